import Capture
import Foundation
import Radiometry
import Records
import Screening
#if canImport(Glibc)
import Glibc
#endif

/// `canthus run`: the screening daemon. One lane per configured IR camera (`lanes`, or
/// `source` as lane `main`), each on its own thread: its frames — a live camera's or its
/// recordings' — go through one frame loop to its screener, and its events, stamped with lane,
/// gate and id, leave through the fan-out (`EventFanOut`): the event log
/// (`records.directory/events.ndjson`) and the terminal are consumers, each with its own
/// bounded queue, so neither can hold up a frame. A lane that ends or loses its camera does
/// not disturb the others. The health model (`HealthModel`) collects every part's state.
public struct ScreeningService {
    public let config: CanthusConfig
    /// Import options for the one-lane `source` as the command line gave them; lanes of
    /// `lanes` take theirs from the file (`ImportPreset.options(for:)`).
    public let importOptions: ImportOptions
    /// Draw the live picture (a terminal; one lane only); otherwise print one line per event.
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
        /// Frames per lane.
        public var laneFrames: [String: Int] = [:]

        mutating func count(_ event: Event) {
            switch event.body {
            case .decision(let d):
                decisions += 1
                if d.level == .alarm { alarms += 1 }
                if d.level == .prealarm { prealarms += 1 }
            case .count: counted += 1
            case .rejected: rejected += 1
            case .status: break
            }
        }
    }

    /// Runs until every lane's sources end or a stop signal arrives. `output` receives terminal text.
    public func run(output: @escaping @Sendable (String) -> Void) throws -> Summary {
        let lanes = config.effectiveLanes
        guard lanes.allSatisfy({ !$0.source.replay.isEmpty || $0.source.camera != nil }) else {
            throw ConfigError(field: "source", message: "no camera and no recording to run on")
        }
        let config = self.config
        let plans = try lanes.map { lane -> LanePlan in
            var screening = config.screening
            if let line = lane.countingLine { screening.countingLine = line }
            let options: ImportOptions
            if config.lanes.isEmpty {
                options = importOptions
            } else {
                options = try ImportPreset.options(for: lane.source)
                ImportPreset.applyProtocol(lane.source.importPreset, to: &screening)
            }
            return LanePlan(lane: lane, screening: screening, importOptions: options)
        }
        let disarm = StopSignals.arm()
        defer { disarm() }

        let logPath = (config.records.directory as NSString).appendingPathComponent("events.ndjson")
        let health = HealthModel()
        let fanOut = EventFanOut(health: health)
        let writer = EventLogWriter(path: logPath, health: health)
        fanOut.add(EventLogWriter.component) { writer.write($0) }
        let live = self.live && plans.count == 1
        if !live {
            fanOut.add("terminal") { event in
                if case .decision(let d) = event.body, d.level == .alarm { output("\u{07}") }
                output(event.text + "\n")
            }
        }
        let shared = SharedSummary()
        shared.update { $0.eventLog = logPath }
        let threads = plans.map { plan in
            let done = DispatchSemaphore(value: 0)
            let t = Thread {
                do {
                    try Self.runLane(plan, config: config, live: live, health: health, shared: shared, output: output,
                                     publish: { event in
                                         fanOut.publish(event)
                                         shared.update { $0.count(event) }
                                     })
                } catch {
                    health.report("lane \(plan.lane.name)", .failing, reasons: [], detail: "\(error)")
                    shared.update { $0.problems.append("lane \(plan.lane.name): \(error)") }
                }
                done.signal()
            }
            t.name = "canthus-lane-\(plan.lane.name)"
            return (t, done)
        }
        for (t, _) in threads { t.start() }
        for (_, done) in threads { done.wait() }
        fanOut.close()
        writer.close()
        shared.update {
            $0.health = health.snapshot
            $0.healthText = health.text
        }
        return shared.value
    }

    struct LanePlan: Sendable {
        var lane: LaneConfig
        var screening: ScreeningConfig
        var importOptions: ImportOptions
    }

    /// One lane's frame loop: a live camera until SIGINT/SIGTERM (its loss and return are
    /// status events and health), or its recordings in order.
    static func runLane(_ plan: LanePlan, config: CanthusConfig, live: Bool, health: HealthModel, shared: SharedSummary,
                        output: @escaping @Sendable (String) -> Void, publish: @escaping (Event) -> Void) throws {
        let component = "lane \(plan.lane.name)"
        health.report(component, .ok)
        var stamper = EventStamper(lane: plan.lane.name, gate: plan.lane.gate)
        var view = TerminalView()
        func handle(_ event: Event) {
            let e = stamper.stamp(event)
            publish(e)
            if live { view.note(e) }
        }
        var frames = 0
        defer { shared.update { $0.frames += frames; $0.laneFrames[plan.lane.name] = frames } }
        if let camera = plan.lane.source.camera {
            let err = FileHandle.standardError
            let source = try camera.source { line in err.write(Data((line + "\n").utf8)) }
            source.start()
            defer { source.stop() }
            let screener = Screener(header: source.header, config: plan.screening, calibration: config.calibration, flatField: config.flatField,
                                    sourceName: source.name)
            var frame = Frame.empty
            var index = 0
            var lost = false
            while !StopSignals.requested {
                if source.stats.lost != lost {
                    lost.toggle()
                    let reason = lost ? ReasonCode.cameraLost : .cameraBack
                    health.report(component, lost ? .failing : .ok, reasons: lost ? [reason.rawValue] : [])
                    handle(Event(source: source.name, frame: max(0, index - 1), timeS: screener.lastTimeS,
                                 body: .status(state: lost ? .paused : .screening, reasons: [reason.rawValue])))
                }
                guard let got = source.next(into: &frame, timeoutS: 0.25) else { continue }
                if !got { break }
                screener.process(frame, index: index, emit: handle)
                frames += 1
                if live { output(view.render(screener, frame: frame, frameIndex: index)) }
                index += 1
            }
            screener.finish(emit: handle)
            if StopSignals.requested { shared.update { $0.stoppedBySignal = true } }
        } else {
            var firstNs: UInt64 = 0
            var startedNs: UInt64 = 0
            let realTime = plan.lane.source.realTime
            var laneConfig = config
            laneConfig.screening = plan.screening
            let summaries = try replay(paths: plan.lane.source.replay, config: laneConfig, importOptions: plan.importOptions,
                beforeFrame: { frame, index in
                    if StopSignals.requested { return false }
                    if index == 0 {   // each source has its own clock
                        firstNs = frame.timestampNs
                        startedNs = DispatchTime.now().uptimeNanoseconds
                    }
                    if realTime {
                        let due = startedNs + (frame.timestampNs &- firstNs)
                        let now = DispatchTime.now().uptimeNanoseconds
                        if due > now { usleep(UInt32(min(1_000_000, (due - now) / 1000))) }
                    }
                    return true
                },
                observe: { screener, frame, index in
                    frames += 1
                    if live { output(view.render(screener, frame: frame, frameIndex: index)) }
                },
                stamper: stamper,
                emit: { event in
                    publish(event)
                    if live { view.note(event) }
                })
            if summaries.contains(where: \.stopped) { shared.update { $0.stoppedBySignal = true } }
            let problems = summaries.flatMap(\.problems)
            if !problems.isEmpty { shared.update { $0.problems += problems } }
            health.report(component, .ok, detail: "recordings ended")
        }
    }
}

/// The run's summary, updated from every lane's thread.
final class SharedSummary: @unchecked Sendable {
    private let lock = NSLock()
    private var summary = ScreeningService.Summary()
    func update(_ change: (inout ScreeningService.Summary) -> Void) { lock.lock(); change(&summary); lock.unlock() }
    var value: ScreeningService.Summary { lock.lock(); defer { lock.unlock() }; return summary }
}
