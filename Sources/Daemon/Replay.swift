import Capture
import Foundation
import Radiometry
import Screening

/// Import presets by name, for files whose own header lacks rotation or reference facts.
public enum ImportPreset {
    /// `referenceSetC` is the reference's set-point where the preset has a reference: the
    /// kiosk preset refuses to guess it (a wrong set-point shifts every reading by the error).
    public static func named(_ name: String, referenceSetC: Double?) throws -> ImportOptions {
        switch name {
        case _ where kiosk.contains(name):
            guard let referenceSetC else {
                throw ConfigError(field: "import preset \(name)", message: "needs the kiosk's reference disc set-point in °C: --reference-set T (or source.reference_set_c in the configuration); each kiosk has its own")
            }
            return .feverscreenKiosk(setPointC: referenceSetC)
        case "none": return ImportOptions()
        default: throw ConfigError(field: "import preset", message: "unknown preset '\(name)' (known: feverscreen-kiosk, none)")
        }
    }

    /// How the preset's source was used, where the configuration does not say
    /// (`screening.protocol`): the kiosks are stepped up to.
    public static func applyProtocol(_ name: String?, to config: inout ScreeningConfig) {
        guard config.screeningProtocol == nil, let name, kiosk.contains(name) else { return }
        config.screeningProtocol = .stepUp
    }

    /// The import options a lane's `source` settings give (preset and set-point).
    public static func options(for source: SourceConfig) throws -> ImportOptions {
        try source.importPreset.map { try named($0, referenceSetC: source.referenceSetC) } ?? ImportOptions()
    }

    /// The names of the Cacophony fever-screening kiosk preset.
    static let kiosk: Set = ["feverscreen-kiosk", "kiosk"]
}

/// What one source did in a replay.
public struct SourceSummary: Sendable {
    public var name: String
    public var frames: Int
    public var problems: [String]
    /// The replay was stopped before the source's end.
    public var stopped: Bool
}

/// Where a lane's frames come from: a recording, a photo or an imported file (`FrameSource`),
/// or a live camera, whose wait for a frame can end with none and whose loss and return are
/// status events.
public enum FrameInput {
    case file(FrameSource)
    /// A live IR camera, and the visible camera paired with it, if any.
    case camera(any LiveCamera, visible: V4L2Source?)

    var name: String {
        switch self {
        case .file(let s): return s.name
        case .camera(let c, _): return c.name
        }
    }
    var header: RecordingHeader {
        switch self {
        case .file(let s): return s.header
        case .camera(let c, let visible):
            var h = c.header
            if visible != nil { h.visible = VisibleDescription(registration: nil) }
            return h
        }
    }
}

/// What the records want of a frame loop beyond its events (`RecordMaker`): each event with the
/// screener and the frame it came from (the screener's `subject` is the person it is about),
/// and each person's track when it ends, with the key of its source's run (`Event.sourceKey`).
public struct ScreeningTap {
    public var event: (Event, Screener, Frame) -> Void
    public var trackEnded: (Track, String, Screener, Frame) -> Void

    public init(event: @escaping (Event, Screener, Frame) -> Void, trackEnded: @escaping (Track, String, Screener, Frame) -> Void) {
        self.event = event
        self.trackEnded = trackEnded
    }
}

/// The one frame loop, for live cameras and recordings alike (`canthus run`'s lanes, `replay`,
/// `screen`, the tests): each input in turn, each with a fresh screener (its frames and times
/// start at 0; a photo's rules are relaxed, `ScreeningConfig.forStills`). `shouldStop` is
/// asked before every frame and while a camera is idle (true ends the loop; open tracks are
/// still finished); `beforeFrame` sees each frame and its index before it is screened (to pace
/// a replay); `observe` sees every frame after it is screened; `tap` sees every event (before
/// `emit`) and every ended track.
public func screenFrames(inputs: [() throws -> FrameInput], config: CanthusConfig,
                         shouldStop: () -> Bool = { false },
                         beforeFrame: (Frame, Int) -> Void = { _, _ in },
                         observe: (Screener, Frame, Int) -> Void = { _, _, _ in },
                         stamper: EventStamper = EventStamper(),
                         tap: ScreeningTap? = nil,
                         emit: (Event) -> Void) throws -> [SourceSummary] {
    var summaries: [SourceSummary] = []
    var stamper = stamper
    var table: CountTable?
    for open in inputs {
        let input = try open()
        var still = false
        if case .file(let s) = input { still = s is StillSource }
        let screening = still ? config.screening.forStills() : config.screening
        let screener = Screener(header: input.header, config: screening, calibration: config.calibration, flatField: config.flatField,
                                sourceName: input.name, table: table)
        table = screener.table
        var frame = Frame.empty
        func emitStamped(_ e: Event) {
            let stamped = stamper.stamp(e)
            tap?.event(stamped, screener, frame)
            emit(stamped)
        }
        func tapEndedTracks() {
            guard let tap, !screener.endedTracks.isEmpty else { return }
            let key = stamper.sourceKey(input.name)
            for t in screener.endedTracks { tap.trackEnded(t, key, screener, frame) }
        }
        /// A camera's loss or return as a status event; the visible camera's leaves the state as it is.
        func announce(_ reason: ReasonCode, paused: Bool, index: Int, timeS: Double) {
            emitStamped(Event(source: input.name, frame: max(0, index - 1), timeS: timeS,
                              body: .status(state: paused ? .paused : .screening, reasons: [reason.rawValue])))
        }
        if case .camera(let c, let v) = input { c.start(); v?.start() }
        defer { if case .camera(let c, let v) = input { c.stop(); v?.stop() } }
        var visibleFrame = Frame.empty
        var visibleLost = false
        var index = 0
        var stopped = false
        var lost = false
        frames: while true {
            if shouldStop() { stopped = true; break }
            switch input {
            case .file(let source):
                guard try source.next(into: &frame) else { break frames }
            case .camera(let camera, let visible):
                if camera.stats.lost != lost {
                    lost.toggle()
                    announce(lost ? .cameraLost : .cameraBack, paused: lost, index: index, timeS: screener.lastTimeS)
                }
                // The visible camera's loss and return do not pause screening.
                if let visible, visible.stats.lost != visibleLost {
                    visibleLost.toggle()
                    announce(visibleLost ? .visibleCameraLost : .visibleCameraBack, paused: lost, index: index, timeS: screener.lastTimeS)
                }
                guard let got = camera.next(into: &frame, timeoutS: 0.25) else { continue frames }
                guard got else { break frames }
                if let visible { pairVisible(from: visible, into: &frame, scratch: &visibleFrame) }
            }
            beforeFrame(frame, index)
            screener.process(frame, index: index, emit: emitStamped)
            tapEndedTracks()
            observe(screener, frame, index)
            index += 1
        }
        screener.finish(emit: emitStamped)
        tapEndedTracks()
        var problems: [String] = []
        if case .file(let s) = input { problems = s.problems.map(\.description) }
        summaries.append(SourceSummary(name: input.name, frames: index, problems: problems, stopped: stopped))
        if stopped { break }
    }
    return summaries
}

/// Gives the IR `frame` the newest picture of the `visible` camera taken within one second of it
/// (their timestamps share the monotonic clock); the JPEG is copied into the frame's own buffer,
/// so a steady stream allocates nothing.
func pairVisible(from visible: V4L2Source, into frame: inout Frame, scratch: inout Frame) {
    while visible.next(into: &scratch, timeoutS: 0) == true {}
    frame.visibleJPEG.removeAll(keepingCapacity: true)
    let skew = frame.timestampNs > scratch.timestampNs ? frame.timestampNs - scratch.timestampNs : scratch.timestampNs - frame.timestampNs
    if !scratch.visibleJPEG.isEmpty && skew <= 1_000_000_000 { frame.visibleJPEG.append(contentsOf: scratch.visibleJPEG) }
}

/// `screenFrames` over files (recordings, photos, imported files) by path.
public func replay(paths: [String], config: CanthusConfig, importOptions: ImportOptions,
                   observe: (Screener, Frame, Int) -> Void = { _, _, _ in },
                   tap: ScreeningTap? = nil,
                   emit: (Event) -> Void) throws -> [SourceSummary] {
    try screenFrames(inputs: paths.map { path in { .file(try openSource(path: path, options: importOptions)) } }, config: config,
                     observe: observe, tap: tap, emit: emit)
}
