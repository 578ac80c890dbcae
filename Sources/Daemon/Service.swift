import Capture
import Foundation
import Radiometry
import Records
import Screening
#if canImport(Glibc)
import Glibc
#endif

/// `canthus run`: the screening service. This first version runs on recordings named in the
/// configuration (`source.replay`); the capture issue adds live cameras. Events go to
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
    }

    /// Runs until the sources end or a stop signal arrives. `output` receives terminal text.
    public func run(output: (String) -> Void) throws -> Summary {
        guard !config.source.replay.isEmpty else {
            throw ConfigError(field: "source.replay", message: "no recording to run on (live cameras come with the capture issue)")
        }
        let disarm = StopSignals.arm()
        defer { disarm() }

        let logPath = (config.records.directory as NSString).appendingPathComponent("events.ndjson")
        let log = try EventLog(path: logPath)
        var summary = Summary()
        summary.eventLog = logPath
        var view = TerminalView()
        var failure: Error?
        var firstNs: UInt64 = 0
        var startedNs: UInt64 = 0
        let summaries = try replay(paths: config.source.replay, config: config, importOptions: importOptions,
            beforeFrame: { frame, index in
                if StopSignals.requested || failure != nil { return false }
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
            observe: { screener, index in
                summary.frames += 1
                if live { output(view.render(screener, frameIndex: index)) }
            },
            emit: { event in
                do { try log.append(event) } catch { failure = failure ?? error }
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
            })
        if let failure { throw failure }
        summary.stoppedBySignal = summaries.contains { $0.stopped }
        summary.problems = summaries.flatMap(\.problems)
        try log.close()
        return summary
    }
}
