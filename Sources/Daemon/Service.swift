import Capture
import Foundation
import Radiometry
import Records
import Logging
import Screening
import ServiceLifecycle
import Synchronization
import UnixSignals
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
    /// The configuration file, re-read on SIGHUP and `canthus reload`; nil: no reload.
    public var configPath: String?
    /// Serve the control socket (`config.control`).
    public var serveControl: Bool

    public init(config: CanthusConfig, importOptions: ImportOptions, live: Bool, configPath: String? = nil, serveControl: Bool = false) {
        self.config = config
        self.importOptions = importOptions
        self.live = live
        self.configPath = configPath
        self.serveControl = serveControl
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

    /// Runs until every lane's sources end or SIGTERM/SIGINT asks it to stop. `output` receives
    /// terminal text. The parts run as services of one `ServiceGroup` (swift-service-lifecycle),
    /// started in order — control socket, reload on SIGHUP, the event fan-out and its consumers,
    /// the lanes, and a watcher that ends the group when every lane has ended — and shut down
    /// gracefully in reverse order: the lanes stop at their next frame and finish their open
    /// tracks, then the consumers deliver what is queued, then the control socket goes.
    public func run(output: @escaping @Sendable (String) -> Void) async throws -> Summary {
        let lanes = config.effectiveLanes
        guard lanes.allSatisfy({ !$0.source.replay.isEmpty || $0.source.camera != nil }) else {
            throw ConfigError(field: "source", message: "no camera and no recording to run on")
        }
        let config = self.config
        let plans = try Self.plans(config, importOptions: importOptions)
        let logger = Logger(label: "canthus")
        for notice in config.notices { logger.warning("\(notice)") }

        let logPath = (config.records.directory as NSString).appendingPathComponent("events.ndjson")
        let health = HealthModel()
        let fanOut = EventFanOut(health: health)
        // The store first (its consumer is drained last), then the event stream file.
        var storeWriter: StoreWriter?
        // Webhooks send from the store's outbox, written with the events' rows.
        let webhooks = try config.alarms.sinks.enumerated().filter { $0.element.type == .webhook }.map { i, c in
            do { return try WebhookSender(config: c, name: c.displayName(i), storePath: config.records.storePath, health: health) } catch {
                throw ConfigError(field: "alarms.sinks[\(i)]", message: "\(error)")
            }
        }
        if config.records.store {
            let w = StoreWriter(path: config.records.storePath, holdLimit: config.records.holdLimit, health: health,
                                outbox: Webhook.routes(config.alarms)) { for s in webhooks { s.wake() } }
            fanOut.add(StoreWriter.component, capacity: 8192, maxBatch: 512, tick: 1.0) { w.write($0) }
            storeWriter = w
        }
        let writer: EventLogWriter? = config.records.eventsFile ? EventLogWriter(path: logPath, health: health) : nil
        if let writer { fanOut.add(EventLogWriter.component) { writer.write($0) } }
        // The gate light and the alarm outputs, each sink on its own queue; a sink's button
        // acknowledges its lane's alarms as `canthus ack` does.
        let alarms = AlarmRegister()
        let router: AlarmRouter? = config.alarms.sinks.isEmpty ? nil
            : try AlarmRouter(config: config.alarms, lanes: plans.map { ($0.lane.name, $0.lane.gate) }, health: health) { lane, via in
                for id in alarms.unacknowledged where id.hasPrefix(lane + "/") && alarms.acknowledge(id) == .acknowledged {
                    logger.notice("\(id) acknowledged by the \(via)")
                    fanOut.publish(.acknowledgement(Acknowledgement(eventID: id, by: "button", via: via, wallMs: EventRecord.nowMs())))
                }
            }
        if let router { fanOut.add(AlarmRouter.component, capacity: 4096, maxBatch: 64, tick: 0.25) { router.handle($0) } }
        let live = self.live && plans.count == 1
        if !live {
            fanOut.add("terminal") { event in
                if case .decision(let d) = event.body, d.level == .alarm { output("\u{07}") }
                output(event.text + "\n")
            }
        }
        let shared = SharedSummary()
        shared.update { $0.eventLog = logPath }
        config.reportCalibration(to: health)
        let day = DaySummary()
        let notifier = SystemdNotifier()
        let heartbeats = Dictionary(uniqueKeysWithValues: plans.map { ($0.lane.name, LaneHeartbeat(lane: $0.lane.name)) })
        let controls = Dictionary(uniqueKeysWithValues: plans.map { ($0.lane.name, LaneControl(plan: $0)) })
        let reloader = Reloader(path: configPath, running: config, importOptions: importOptions, controls: controls, notifier: notifier)
        let laneServices = plans.map { plan in
            LaneService(plan: plan, control: controls[plan.lane.name]!, heartbeat: heartbeats[plan.lane.name]!, config: config, live: live,
                        health: health, shared: shared, output: output, publish: { record in
                            fanOut.publish(record)
                            guard let event = record.event else { return }
                            alarms.note(event)
                            day.note(event)
                            shared.update { $0.count(event) }
                        })
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        // First to start, last to stop: the watchdog is fed while the lanes finish.
        services.append(.init(service: SystemdService(notifier: notifier, heartbeats: plans.map { heartbeats[$0.lane.name]! },
                                                      health: health, day: day)))
        if serveControl {
            services.append(.init(service: ControlService(path: config.control.path, health: health) { command, peer in
                Self.answer(command, health: health, shared: shared, alarms: alarms, reloader: reloader, router: router) { id in
                    // Who acknowledged, through what: into the records.
                    let via = peer.map { "control socket (pid \($0.pid))" } ?? "control socket"
                    fanOut.publish(.acknowledgement(Acknowledgement(eventID: id, by: peer?.user ?? "unknown", via: via, wallMs: EventRecord.nowMs())))
                }
            }))
        }
        services.append(.init(service: ReloadService(reloader: reloader)))
        services.append(.init(service: FanOutService(fanOut: fanOut, writer: writer, store: storeWriter, router: router, webhooks: webhooks)))
        if let storeWriter, let days = config.records.retentionDays {
            services.append(.init(service: RetentionService(path: storeWriter.path, days: days, health: health)))
        }
        for lane in laneServices { services.append(.init(service: lane, successTerminationBehavior: .ignore)) }
        services.append(.init(service: LanesEndedService(lanes: laneServices), successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        shared.update {
            $0.health = health.snapshot
            $0.healthText = health.text
        }
        return shared.value
    }

    struct LanePlan: Sendable, Equatable {
        var lane: LaneConfig
        var screening: ScreeningConfig
        var importOptions: ImportOptions
    }

    /// Each lane's settings: the shared screening settings with its counting line and its
    /// preset's protocol, and its import options.
    static func plans(_ config: CanthusConfig, importOptions: ImportOptions) throws -> [LanePlan] {
        try config.effectiveLanes.map { lane in
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
    }

    /// The control socket's commands.
    static func answer(_ command: String, health: HealthModel, shared: SharedSummary, alarms: AlarmRegister, reloader: Reloader,
                       router: AlarmRouter? = nil, acknowledged: (String) -> Void = { _ in }) -> String {
        let words = command.split(separator: " ", maxSplits: 1).map(String.init)
        func json(_ o: [String: Any]) -> String {
            (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])).map { String(decoding: $0, as: UTF8.self) } ?? #"{"ok":false}"#
        }
        switch words.first ?? "" {
        case "ping": return json(["ok": true])
        case "status":
            reloader.current.reportCalibration(to: health)
            let s = shared.value
            let components = health.snapshot.map { c -> [String: Any] in
                ["name": c.name, "state": c.state.rawValue, "reasons": c.reasons, "detail": c.detail, "counters": c.counters]
            }
            return json(["ok": true, "state": health.overall.rawValue, "components": components, "frames": s.laneFrames,
                         "decisions": s.decisions, "alarms": s.alarms, "prealarms": s.prealarms, "counted": s.counted,
                         "unacknowledged": alarms.unacknowledged, "pid": Int(getpid()),
                         "gates": (router?.currentLights ?? [:]).mapValues(\.rawValue)])
        case "ack":
            guard words.count == 2 else { return json(["ok": false, "error": "ack needs an event id (canthus ack EVENT_ID)"]) }
            switch alarms.acknowledge(words[1]) {
            case .acknowledged:
                acknowledged(words[1])
                return json(["ok": true, "acknowledged": words[1]])
            case .already: return json(["ok": true, "acknowledged": words[1], "already": true])
            case .unknown: return json(["ok": false, "error": "no alarm or pre-alarm has the id '\(words[1])' (canthus status lists the unacknowledged)"])
            }
        case "reload":
            let (ok, message) = reloader.reload()
            return json(ok ? ["ok": true, "applied": message] : ["ok": false, "error": message])
        default:
            return json(["ok": false, "error": "unknown command '\(command)' (known: status, ack EVENT_ID, reload, ping)"])
        }
    }

    /// One lane's frame loop: a live camera until SIGINT/SIGTERM (its loss and return are
    /// status events and health), or its recordings in order.
    static func runLane(_ plan: LanePlan, control: LaneControl, heartbeat: LaneHeartbeat, stop: StopFlag, config: CanthusConfig, live: Bool, health: HealthModel, shared: SharedSummary,
                        output: @escaping @Sendable (String) -> Void, publish: @escaping (LaneRecord) -> Void) throws {
        var plan = plan
        let component = "lane \(plan.lane.name)", visibleComponent = "lane \(plan.lane.name) visible"
        health.report(component, .ok)
        var view = TerminalView()
        // The lane's health follows its status events: paused is degraded (reference missing
        // or unstable, shutter, frozen) or failing (camera lost), screening is ok.
        func noteHealth(_ event: Event) {
            guard case .status(let state, let reasons) = event.body else { return }
            if reasons.contains(ReasonCode.visibleCameraLost.rawValue) || reasons.contains(ReasonCode.visibleCameraBack.rawValue) {
                let lost = reasons.contains(ReasonCode.visibleCameraLost.rawValue)
                health.report(visibleComponent, lost ? .degraded : .ok, reasons: lost ? [ReasonCode.visibleCameraLost.rawValue] : [])
                return
            }
            let lost = reasons.contains(ReasonCode.cameraLost.rawValue)
            health.report(component, state == .screening ? .ok : lost ? .failing : .degraded, reasons: state == .screening ? [] : reasons)
        }
        // What the store keeps beside each event, and each person's track.
        var maker = RecordMaker(lane: plan.lane.name, gate: plan.lane.gate, calibrationGain: config.calibration.gain,
                                calibrationOffsetC: config.calibration.offsetC, pictures: config.records.store && config.records.pictures,
                                viewEveryS: config.records.viewEveryS)
        // How long each frame takes from its arrival to the end of its screening and the
        // publishing of its records (µs): the run's p50, p99 and maximum, in the health model
        // every 100 frames (`lane NAME`'s frame_us_* counters).
        var frameTimes = FrameTimes()
        var frameStartNs: UInt64 = 0
        func reportFrameTimes() {
            health.set(component, "frame_us_p50", to: frameTimes.percentile(0.50))
            health.set(component, "frame_us_p99", to: frameTimes.percentile(0.99))
            health.set(component, "frame_us_max", to: frameTimes.maxUs)
        }
        defer { if frameTimes.count > 0 { reportFrameTimes() } }
        // A live camera's capture counters (`CaptureStats`: frames, drops, bad buffers,
        // restarts, reconnects, stalls, a USB stream's skipped bytes and overruns), in the
        // health model once a second (`capture_frames`, …).
        var liveCamera: (any LiveCamera)?
        var captureReportedNs: UInt64 = 0
        func reportCapture() {
            guard let stats = liveCamera?.stats else { return }
            stats.forEachCounter { name, value in health.set(component, name, to: value) }
            captureReportedNs = DispatchTime.now().uptimeNanoseconds
        }
        defer { reportCapture() }
        var frames = 0
        defer { shared.update { $0.frames += frames; $0.laneFrames[plan.lane.name] = frames } }
        // IR frames that got a visible picture and those that did not (`pairVisible`).
        var paired = 0, unpaired = 0, reportedPaired = 0, reportedUnpaired = 0
        func reportPairing() {
            health.count(visibleComponent, "paired", by: paired - reportedPaired)
            health.count(visibleComponent, "unpaired", by: unpaired - reportedUnpaired)
            (reportedPaired, reportedUnpaired) = (paired, unpaired)
        }
        defer { if paired + unpaired > 0 { reportPairing() } }
        // One frame loop for a camera and recordings alike; a camera lane whose camera or
        // detection settings a reload changed ends its loop and starts again with them; looped
        // recordings start again when they end.
        var pass = 1
        // `camera.record`: the frames screened, to a recording (its writer opened at the first).
        var recorder: RecordingWriter?
        var recordingFailed = false
        func recordFrame(_ path: String, _ header: RecordingHeader, _ frame: Frame, _ index: Int) {
            guard !recordingFailed else { return }
            do {
                if index == 0 || recorder == nil {
                    try recorder?.close()
                    recorder = try RecordingWriter(path: path, header: header, compressionLevel: 1)
                }
                try recorder?.append(frame)
            } catch {
                recordingFailed = true
                health.report(component, .degraded, detail: "camera.record \(path): \(error); not recording")
                Logger(label: "canthus.lane.\(plan.lane.name)").error("camera.record \(path): \(error); not recording")
            }
        }
        defer { try? recorder?.close() }
        while true {
            let logger = Logger(label: "canthus.lane.\(plan.lane.name)")
            let inputs: [() throws -> FrameInput]
            if let camera = plan.lane.source.camera {
                inputs = [{
                    let source = try camera.source { line in logger.warning("\(line)") }
                    liveCamera = source
                    return .camera(source, visible: try camera.visible?.source { line in logger.warning("visible camera: \(line)") })
                }]
            } else {
                inputs = plan.lane.source.replay.map { path in { .file(try openSource(path: path, options: plan.importOptions)) } }
            }
            var firstNs: UInt64 = 0
            var startedNs: UInt64 = 0
            let realTime = plan.lane.source.camera == nil && plan.lane.source.realTime
            let hasVisible = plan.lane.source.camera?.visible != nil
            var laneConfig = config
            laneConfig.screening = plan.screening
            let summaries = try screenFrames(inputs: inputs, config: laneConfig,
                shouldStop: {
                    heartbeat.beat()
                    return stop.isSet || control.restartPending
                },
                beforeFrame: { frame, index in
                    if index == 0 {   // each source has its own clock
                        firstNs = frame.timestampNs
                        startedNs = DispatchTime.now().uptimeNanoseconds
                    }
                    if realTime {
                        let due = startedNs + (frame.timestampNs &- firstNs)
                        let now = DispatchTime.now().uptimeNanoseconds
                        if due > now { usleep(UInt32(min(1_000_000, (due - now) / 1000))) }
                    }
                    frameStartNs = DispatchTime.now().uptimeNanoseconds
                },
                observe: { screener, frame, index in
                    if let path = plan.lane.source.camera?.record { recordFrame(path, screener.header, frame, index) }
                    frameTimes.add(ns: DispatchTime.now().uptimeNanoseconds &- frameStartNs)
                    if frameTimes.count % 100 == 0 { reportFrameTimes() }
                    if liveCamera != nil && frameStartNs &- captureReportedNs >= 1_000_000_000 { reportCapture() }
                    frames += 1
                    if hasVisible {
                        if frame.visibleJPEG.isEmpty { unpaired += 1 } else { paired += 1 }
                        // To the health model every 25 frames: no allocation per frame.
                        if (paired + unpaired) % 25 == 0 { reportPairing() }
                    }
                    // A reload's decision settings hold for this screener and every later one
                    // (the next recording, a loop's next pass).
                    if let d = control.takeDecision() { plan.screening.decision = d }
                    if screener.config.decision != plan.screening.decision { screener.reconfigure(decision: plan.screening.decision) }
                    if live { output(view.render(screener, frame: frame, frameIndex: index)) }
                },
                stamper: EventStamper(lane: plan.lane.name, gate: plan.lane.gate,
                                      run: plan.lane.source.camera != nil ? Self.runStamp(Date()) : pass > 1 ? "pass\(pass)" : ""),
                tap: ScreeningTap(event: { event, screener, frame in publish(.event(maker.record(event, screener: screener, frame: frame))) },
                                  trackEnded: { track, key, screener, frame in
                                      publish(.track(maker.record(track: track, sourceKey: key, screener: screener, frame: frame)))
                                  }),
                emit: { event in
                    noteHealth(event)
                    if live { view.note(event) }
                })
            let problems = summaries.flatMap(\.problems)
            if !problems.isEmpty { shared.update { $0.problems += problems } }
            if let next = control.takeRestart(), !stop.isSet {
                health.report(component, .ok, detail: "restarted by a reload")
                plan = next
                continue
            }
            if plan.lane.source.loop && !stop.isSet && !summaries.contains(where: \.stopped) && summaries.contains(where: { $0.frames > 0 }) {
                pass += 1
                continue
            }
            if stop.isSet || summaries.contains(where: \.stopped) { shared.update { $0.stoppedBySignal = true } }
            else if plan.lane.source.camera == nil { health.report(component, .ok, detail: "recordings ended") }
            return
        }
    }
}

extension ScreeningService {
    /// A camera run's stamp in event ids: its start, UTC to the millisecond (`20261130T181700.123Z`).
    static func runStamp(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms % 1000))
    }
}

/// The run's summary, updated from every lane's thread.
final class SharedSummary: @unchecked Sendable {
    private let lock = NSLock()
    private var summary = ScreeningService.Summary()
    func update(_ change: (inout ScreeningService.Summary) -> Void) { lock.lock(); change(&summary); lock.unlock() }
    var value: ScreeningService.Summary { lock.lock(); defer { lock.unlock() }; return summary }
}

/// What a reload hands a running lane: new decision settings (applied between two frames) or,
/// for a camera lane whose camera or detection settings changed, a new plan to restart with.
final class LaneControl: @unchecked Sendable {
    private let lock = NSLock()
    private var decision: DecisionConfig?
    private var restart: ScreeningService.LanePlan?
    /// Whether a decision or a restart waits: the frame loop reads only this atomic per frame
    /// and takes the lock only when something came.
    private let pending = Atomic<Bool>(false)
    private let restartWaiting = Atomic<Bool>(false)
    /// The plan the lane runs (or will, once restarted).
    private(set) var plan: ScreeningService.LanePlan

    init(plan: ScreeningService.LanePlan) { self.plan = plan }

    func apply(decision d: DecisionConfig, plan p: ScreeningService.LanePlan) {
        lock.lock(); decision = d; plan = p; lock.unlock()
        pending.store(true, ordering: .releasing)
    }
    func requestRestart(_ p: ScreeningService.LanePlan) {
        lock.lock(); restart = p; plan = p; lock.unlock()
        restartWaiting.store(true, ordering: .releasing)
    }
    func takeDecision() -> DecisionConfig? {
        guard pending.load(ordering: .acquiring) else { return nil }
        lock.lock(); defer { lock.unlock() }
        let d = decision
        decision = nil
        pending.store(false, ordering: .relaxed)
        return d
    }
    var restartPending: Bool { restartWaiting.load(ordering: .acquiring) }
    func takeRestart() -> ScreeningService.LanePlan? {
        lock.lock(); defer { lock.unlock() }
        let r = restart
        restart = nil
        restartWaiting.store(false, ordering: .releasing)
        return r
    }
}

/// Re-reads the configuration (SIGHUP, `canthus reload`): an invalid file is refused, logged,
/// and the running settings kept; decision settings apply to every lane between two frames;
/// a camera lane whose camera or detection settings changed restarts alone. What a reload
/// cannot change (lanes added or removed, the records directory, a recording lane's source)
/// is logged and waits for a restart of canthus.
final class Reloader: @unchecked Sendable {
    let path: String?
    let importOptions: ImportOptions
    let controls: [String: LaneControl]
    let notifier: SystemdNotifier
    let log = Logger(label: "canthus.reload")
    private let lock = NSLock()
    private var running: CanthusConfig
    /// The settings in effect (the last good file).
    var current: CanthusConfig { lock.lock(); defer { lock.unlock() }; return running }

    init(path: String?, running: CanthusConfig, importOptions: ImportOptions, controls: [String: LaneControl],
         notifier: SystemdNotifier = SystemdNotifier(environment: [:])) {
        self.notifier = notifier
        self.path = path
        self.running = running
        self.importOptions = importOptions
        self.controls = controls
    }

    /// systemd hears of it (`RELOADING=1`, then `READY=1` with the outcome in `STATUS=`).
    func reload() -> (ok: Bool, message: String) {
        lock.lock(); defer { lock.unlock() }
        notifier.send("RELOADING=1")
        let outcome = apply()
        notifier.send("READY=1")
        return outcome
    }

    private func apply() -> (ok: Bool, message: String) {
        guard let path else {
            log.warning("reload: started without a configuration file; nothing to re-read")
            return (false, "started without a configuration file (canthus run --config FILE)")
        }
        let next: CanthusConfig
        let plans: [ScreeningService.LanePlan]
        do {
            next = try CanthusConfig.load(path: path)
            plans = try ScreeningService.plans(next, importOptions: importOptions)
        } catch {
            log.error("reload refused, the running settings stay: \(error)")
            return (false, "refused, the running settings stay: \(error)")
        }
        var notes: [String] = []
        for plan in plans {
            guard let control = controls[plan.lane.name] else {
                notes.append("lane \(plan.lane.name) is new: it starts when canthus restarts")
                continue
            }
            let old = control.plan
            if old == plan { continue }
            var detection = plan.screening, oldDetection = old.screening
            detection.decision = DecisionConfig()
            oldDetection.decision = DecisionConfig()
            if old.lane.source != plan.lane.source || detection != oldDetection || old.importOptions != plan.importOptions {
                if old.lane.source.camera != nil && plan.lane.source.camera != nil {
                    control.requestRestart(plan)
                    notes.append("lane \(plan.lane.name) restarts with its new camera or detection settings")
                } else {
                    notes.append("lane \(plan.lane.name): source or detection changes apply when canthus restarts")
                }
            }
            if old.screening.decision != plan.screening.decision {
                control.apply(decision: plan.screening.decision, plan: plan)
                notes.append("lane \(plan.lane.name): decision settings applied (alarm \(plan.screening.decision.alarmC) °C, pre-alarm \(plan.screening.decision.prealarmC) °C)")
            }
        }
        for name in controls.keys where !plans.contains(where: { $0.lane.name == name }) {
            notes.append("lane \(name) is gone from the file: it stops when canthus restarts")
        }
        if next.records != running.records { notes.append("records settings apply when canthus restarts") }
        if next.alarms != running.alarms { notes.append("alarms settings apply when canthus restarts") }
        for notice in next.notices { log.warning("\(notice)") }
        running = next
        let message = notes.isEmpty ? "no change" : notes.joined(separator: "; ")
        log.notice("reload: \(message)")
        return (true, message)
    }
}

/// The alarms and pre-alarms decided so far, by event id, and which were acknowledged
/// (`canthus ack`); the alarm outputs issue extends it with gate state.
final class AlarmRegister: @unchecked Sendable {
    enum Ack { case acknowledged, already, unknown }
    private let lock = NSLock()
    private var order: [String] = []
    private var acked: [String: Bool] = [:]
    static let keep = 1000

    func note(_ event: Event) {
        guard case .decision(let d) = event.body, d.level != .normal else { return }
        lock.lock(); defer { lock.unlock() }
        order.append(event.id)
        acked[event.id] = false
        if order.count > Self.keep { acked[order.removeFirst()] = nil }
    }

    func acknowledge(_ id: String) -> Ack {
        lock.lock(); defer { lock.unlock() }
        guard let was = acked[id] else { return .unknown }
        acked[id] = true
        return was ? .already : .acknowledged
    }

    var unacknowledged: [String] {
        lock.lock(); defer { lock.unlock() }
        return order.filter { acked[$0] == false }
    }
}

/// Set once to stop a lane at its next frame (graceful shutdown); read lock-free every frame.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func raise() { flag.store(true, ordering: .releasing) }
}

/// One lane as a service: its frame loop on its own thread (frames never wait for the async
/// world); graceful shutdown stops it at the next frame, and it finishes its open tracks.
final class LaneService: Service, @unchecked Sendable {
    let plan: ScreeningService.LanePlan
    let control: LaneControl
    let heartbeat: LaneHeartbeat
    let config: CanthusConfig
    let live: Bool
    let health: HealthModel
    let shared: SharedSummary
    let output: @Sendable (String) -> Void
    let publish: (LaneRecord) -> Void
    let stop = StopFlag()
    private let lock = NSLock()
    private var ended = false
    private var cancelled = false
    private var waiter: CheckedContinuation<Void, Never>?

    init(plan: ScreeningService.LanePlan, control: LaneControl, heartbeat: LaneHeartbeat, config: CanthusConfig, live: Bool, health: HealthModel,
         shared: SharedSummary, output: @escaping @Sendable (String) -> Void, publish: @escaping (LaneRecord) -> Void) {
        self.plan = plan
        self.control = control
        self.heartbeat = heartbeat
        self.config = config
        self.live = live
        self.health = health
        self.shared = shared
        self.output = output
        self.publish = publish
    }

    /// Returns when the frame loop has ended (its sources ended, or it was stopped), or when
    /// the waiting task is cancelled. One waiter (`LanesEndedService`); no polling, so an idle
    /// daemon allocates nothing while its lanes run.
    func waitUntilEnded() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if ended || cancelled { lock.unlock(); c.resume(); return }
                waiter = c
                lock.unlock()
            }
        } onCancel: {
            wake { $0.cancelled = true }
        }
    }

    /// Records the change and wakes the waiter, if any.
    private func wake(_ change: (LaneService) -> Void) {
        lock.lock()
        change(self)
        let w = waiter
        waiter = nil
        lock.unlock()
        w?.resume()
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let t = Thread { [self] in
                    do {
                        try ScreeningService.runLane(plan, control: control, heartbeat: heartbeat, stop: stop, config: config, live: live, health: health,
                                                     shared: shared, output: output, publish: publish)
                    } catch {
                        health.report("lane \(plan.lane.name)", .failing, reasons: [], detail: "\(error)")
                        shared.update { $0.problems.append("lane \(plan.lane.name): \(error)") }
                    }
                    heartbeat.end()
                    wake { $0.ended = true }
                    done.resume()
                }
                t.name = "canthus-lane-\(plan.lane.name)"
                t.start()
            }
        } onGracefulShutdown: { [stop] in
            stop.raise()
        }
        // A lane whose recordings ended stays until the group shuts down, so the parts end in
        // order (lanes, then consumers, then the control socket).
        try? await gracefulShutdown()
    }
}

/// Ends the group (gracefully) once every lane has ended by itself: a daemon replaying
/// recordings exits when they are done; one with cameras runs until stopped.
struct LanesEndedService: Service {
    let lanes: [LaneService]
    func run() async throws {
        await cancelWhenGracefulShutdown {
            for lane in lanes { await lane.waitUntilEnded() }
        }
    }
}

/// The event fan-out's consumers live as long as the lanes; at shutdown (after the lanes) they
/// deliver what is queued and the event log is closed.
struct FanOutService: Service {
    let fanOut: EventFanOut
    let writer: EventLogWriter?
    let store: StoreWriter?
    let router: AlarmRouter?
    let webhooks: [WebhookSender]
    func run() async throws {
        for w in webhooks { w.start() }
        try? await gracefulShutdown()
        fanOut.close()
        writer?.close()
        store?.close()
        // The alarm outputs finish together (each for at most 5 s).
        let group = DispatchGroup()
        for w in webhooks {
            group.enter()
            Thread { w.close(); group.leave() }.start()
        }
        router?.close()
        group.wait()
    }
}

/// Purges records older than `records.retention_days` at start and every hour, in small
/// transactions through a connection of its own (the writer goes on between them).
struct RetentionService: Service {
    let path: String
    let days: Double
    let health: HealthModel
    let log = Logger(label: "canthus.records")
    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let store = try RecordStore(path: path)
                    let purged = try store.purge(olderThanMs: EventRecord.nowMs() - Int64(days * 86_400_000))
                    if purged.total > 0 { log.notice("retention: \(purged) older than \(days) days purged") }
                } catch {
                    log.error("retention: \(error)")
                }
                try? await Task.sleep(for: .seconds(3600))
            }
        }
    }
}

/// The control socket, served while the daemon runs and removed last at shutdown.
struct ControlService: Service {
    let path: String
    let health: HealthModel
    let log = Logger(label: "canthus.control")
    let handle: @Sendable (String, ControlPeer?) -> String
    func run() async throws {
        let server: ControlServer
        do { server = try ControlServer(path: path, handle: handle) } catch {
            // Screening goes on without it; status says why.
            health.report("control", .failing, detail: "\(error)")
            log.error("control socket: \(error)")
            try? await gracefulShutdown()
            return
        }
        try? await gracefulShutdown()
        server.stop()
    }
}

/// SIGHUP re-reads the configuration (`Reloader`).
struct ReloadService: Service {
    let reloader: Reloader
    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in await UnixSignalsSequence(trapping: .sighup) { _ = reloader.reload() }
        }
    }
}

/// Frame times in 10 µs bins up to 100 ms (the last bin holds the rest): percentiles without
/// keeping the times, nothing allocated per frame.
struct FrameTimes {
    private var bins = [Int](repeating: 0, count: 10_001)
    private(set) var count = 0
    private(set) var maxUs = 0

    mutating func add(ns: UInt64) {
        let us = Int(ns / 1000)
        bins[min(bins.count - 1, us / 10)] += 1
        count += 1
        maxUs = max(maxUs, us)
    }

    /// The upper edge of the bin the `q` quantile falls in (µs).
    func percentile(_ q: Double) -> Int {
        guard count > 0 else { return 0 }
        let rank = Int((q * Double(count)).rounded(.up))
        var seen = 0
        for (i, n) in bins.enumerated() {
            seen += n
            if seen >= rank { return min(maxUs, (i + 1) * 10) }
        }
        return maxUs
    }
}
