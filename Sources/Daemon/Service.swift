import Capture
import Foundation
import Radiometry
import Records
import Screening
#if canImport(Glibc)
import Glibc
#endif

/// `canthus run`: the screening service, on a live camera (`source.camera`) or on recordings
/// (`source.replay`). Events go to
/// `records.directory/events.ndjson` and to the terminal, live.
public struct ScreeningService {
    public let config: CanthusConfig
    public let importOptions: ImportOptions
    /// Draw the live picture (a terminal); otherwise print one line per event.
    public var live: Bool

    public init(config: CanthusConfig, importOptions: ImportOptions, live: Bool) {
        self.config = config
        self.importOptions = importOptions
        self.live = live
    }

    public struct Summary: Sendable {
        public var frames = 0
        public var decisions = 0
        public var alarms = 0
        public var prealarms = 0
        public var counted = 0
        public var rejected = 0
        public var eventLog = ""
        public var stoppedBySignal = false
        public var problems: [String] = []
        /// The health model's components at the end (`HealthModel.snapshot`), and its text.
        public var health: [HealthModel.Component] = []
        public var healthText = ""
    }

    /// Runs until the sources end or a stop signal arrives. `output` receives terminal text.
    public func run(output: (String) -> Void) throws -> Summary {
        guard !config.source.replay.isEmpty || config.source.camera != nil else {
            throw ConfigError(field: "source", message: "no camera and no recording to run on")
        }
        let disarm = StopSignals.arm()
        defer { disarm() }

        let logPath = (config.records.directory as NSString).appendingPathComponent("events.ndjson")
        let health = HealthModel()
        // Events leave the frame loop through the fan-out: a failing or slow consumer (a full
        // disk under the event log) is a health reason, never a reason to stop screening.
        let fanOut = EventFanOut(health: health)
        let writer = EventLogWriter(path: logPath, health: health)
        fanOut.add(EventLogWriter.component) { writer.write($0) }
        var summary = Summary()
        summary.eventLog = logPath
        var view = TerminalView()

        func handle(_ event: Event) {
            fanOut.publish(event)
            switch event.body {
            case .decision(let d):
                summary.decisions += 1
                if d.level == .alarm { summary.alarms += 1; if !live { output("\u{07}") } }
                if d.level == .prealarm { summary.prealarms += 1 }
            case .count: summary.counted += 1
            case .rejected: summary.rejected += 1
            case .status: break
            }
            if live { view.note(event) } else { output(event.text + "\n") }
        }

        if let camera = config.source.camera {
            // A live camera until SIGINT/SIGTERM; its loss and return are status events.
            let err = FileHandle.standardError
            let source = try camera.source { line in err.write(Data((line + "\n").utf8)) }
            source.start()
            defer { source.stop() }
            let screener = Screener(header: source.header, config: config.screening, calibration: config.calibration, flatField: config.flatField,
                                    sourceName: source.name)
            var frame = Frame.empty
            var index = 0
            var lost = false
            while !StopSignals.requested {
                if source.stats.lost != lost {
                    lost.toggle()
                    handle(Event(source: source.name, frame: max(0, index - 1), timeS: screener.lastTimeS,
                                 body: .status(state: lost ? .paused : .screening, reasons: [(lost ? ReasonCode.cameraLost : .cameraBack).rawValue])))
                }
                guard let got = source.next(into: &frame, timeoutS: 0.25) else { continue }
                if !got { break }
                screener.process(frame, index: index, emit: handle)
                summary.frames += 1
                if live { output(view.render(screener, frame: frame, frameIndex: index)) }
                index += 1
            }
            screener.finish(emit: handle)
            summary.stoppedBySignal = StopSignals.requested
        } else {
            var firstNs: UInt64 = 0
            var startedNs: UInt64 = 0
            let summaries = try replay(paths: config.source.replay, config: config, importOptions: importOptions,
                beforeFrame: { frame, index in
                    if StopSignals.requested { return false }
                    if index == 0 {   // each source has its own clock
                        firstNs = frame.timestampNs
                        startedNs = DispatchTime.now().uptimeNanoseconds
                    }
                    if config.source.realTime {
                        let due = startedNs + (frame.timestampNs &- firstNs)
                        let now = DispatchTime.now().uptimeNanoseconds
                        if due > now { usleep(UInt32(min(1_000_000, (due - now) / 1000))) }
                    }
                    return true
                },
                observe: { screener, frame, index in
                    summary.frames += 1
                    if live { output(view.render(screener, frame: frame, frameIndex: index)) }
                },
                emit: handle)
            summary.stoppedBySignal = summaries.contains { $0.stopped }
            summary.problems = summaries.flatMap(\.problems)
        }
        fanOut.close()
        writer.close()
        summary.health = health.snapshot
        summary.healthText = health.text
        return summary
    }
}
