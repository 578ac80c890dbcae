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

/// Runs the pipeline over recordings, one after another, each with a fresh screener (each
/// source's frames and times start at 0); `canthus replay`, `canthus run` and the tests share it.
/// `beforeFrame` sees each frame and its index before it is screened and may pace or stop the
/// replay (return false to stop: open tracks are still finished); `observe` sees every frame
/// after it is screened, with the screener.
public func replay(paths: [String], config: CanthusConfig, importOptions: ImportOptions,
                   beforeFrame: (Frame, Int) -> Bool = { _, _ in true },
                   observe: (Screener, Frame, Int) -> Void = { _, _, _ in },
                   stamper: EventStamper = EventStamper(),
                   emit: (Event) -> Void) throws -> [SourceSummary] {
    var summaries: [SourceSummary] = []
    var stamper = stamper
    let emit: (Event) -> Void = { emit(stamper.stamp($0)) }
    var table: CountTable?
    for path in paths {
        let source = try openSource(path: path, options: importOptions)
        let screening = source is StillSource ? config.screening.forStills() : config.screening
        let screener = Screener(header: source.header, config: screening, calibration: config.calibration, flatField: config.flatField,
                                sourceName: source.name, table: table)
        table = screener.table
        var frame = Frame.empty
        var index = 0
        var stopped = false
        while try source.next(into: &frame) {
            if !beforeFrame(frame, index) { stopped = true; break }
            screener.process(frame, index: index, emit: emit)
            observe(screener, frame, index)
            index += 1
        }
        screener.finish(emit: emit)
        summaries.append(SourceSummary(name: source.name, frames: index, problems: source.problems.map(\.description), stopped: stopped))
        if stopped { break }
    }
    return summaries
}
