import Foundation
import Logging
import Screening
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The service manager's notification protocol (sd_notify(3)), spoken without libsystemd: one
/// datagram per message to the Unix socket `$NOTIFY_SOCKET` (a path, or `@name` in the abstract
/// namespace). `$WATCHDOG_USEC` (for this process: `$WATCHDOG_PID` absent or ours) asks for
/// `WATCHDOG=1` at least that often. Outside systemd the variables are absent and nothing is sent.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?
    /// How often systemd wants `WATCHDOG=1`; nil: no watchdog.
    public let watchdogInterval: Duration?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        var interval: Duration?
        if path != nil, let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            interval = .microseconds(Int64(usec))
        }
        watchdogInterval = interval
    }

    public var isActive: Bool { socketPath != nil }

    /// Sends `message` (lines like `READY=1`, `STATUS=…`); false when it could not be sent.
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard let address = UnixSocketAddress(socketPath) else { return false }
        let payload = Array(message.utf8)
        let sent = address.with { sa, length in
            payload.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
        }
        return sent == payload.count
    }
}

/// A Unix socket's address: a path, or with a leading `@` a name in the abstract namespace
/// (as systemd's `NOTIFY_SOCKET` may be). The one place a `sockaddr_un` is filled.
struct UnixSocketAddress {
    /// The longest path that fits, in bytes, plus one.
    static var capacity: Int { MemoryLayout.size(ofValue: sockaddr_un().sun_path) }
    private var storage = sockaddr_un()
    /// The address's length: an abstract one counts its bytes exactly (no terminating zero).
    let length: socklen_t

    /// nil when `path` does not fit.
    init?(_ path: String) {
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard bytes.count < Self.capacity else { return nil }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
    }

    /// Calls `body` with the address as a `sockaddr` and its length (for bind, connect, sendto).
    func with<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}

/// A lane's sign of life for the watchdog: its frame loop beats before every frame and, while
/// its camera is away, every quarter second (`screenFrames`' `shouldStop`), so a lane that is
/// screening or knowingly waiting beats and a stuck one does not. Lock- and allocation-free.
public final class LaneHeartbeat: Sendable {
    public let lane: String
    private let lastNs = Atomic<UInt64>(0)
    private let endedFlag = Atomic<Bool>(false)

    public init(lane: String) { self.lane = lane }

    public func beat() { lastNs.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }
    /// The frame loop has returned (its recordings ended, or it failed): not stuck.
    public func end() { endedFlag.store(true, ordering: .releasing) }

    public var hasStarted: Bool { lastNs.load(ordering: .relaxed) != 0 || ended }
    public var ended: Bool { endedFlag.load(ordering: .acquiring) }
    /// Seconds since the last beat (0 before the first or after the end).
    public var silenceS: Double {
        let last = lastNs.load(ordering: .relaxed)
        guard last != 0, !ended else { return 0 }
        return Double(DispatchTime.now().uptimeNanoseconds &- last) / 1e9
    }
}

/// What `STATUS=` says: people screened today (local time), the last alarm, and each lane's
/// camera and reference state from the health model. Fed by the lanes' events.
final class DaySummary: @unchecked Sendable {
    private let lock = NSLock()
    private var day = ""
    private var screened = 0, alarms = 0
    private var lastAlarm: String?
    private let dayFormat: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.locale = Locale(identifier: "en_US_POSIX")
        return f
    }()
    private let timeFormat: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm"
        f.locale = Locale(identifier: "en_US_POSIX")
        return f
    }()

    func note(_ event: Event, at now: Date = Date()) {
        guard case .decision(let d) = event.body else { return }
        lock.lock(); defer { lock.unlock() }
        rollOver(now)
        screened += 1
        if d.level == .alarm {
            alarms += 1
            lastAlarm = String(format: "%@ %.1f °C (lane %@)", timeFormat.string(from: now), d.temperatureC, event.lane)
        }
    }

    private func rollOver(_ now: Date) {
        let today = dayFormat.string(from: now)
        if today != day { (day, screened, alarms) = (today, 0, 0) }
    }

    func text(health: HealthModel, lanes: [String], now: Date = Date()) -> String {
        lock.lock()
        rollOver(now)
        var parts = ["\(screened) screened today, \(alarms) alarm\(alarms == 1 ? "" : "s")"]
        if let lastAlarm { parts.append("last alarm \(lastAlarm)") }
        lock.unlock()
        let components = Dictionary(uniqueKeysWithValues: health.snapshot.map { ($0.name, $0) })
        for lane in lanes {
            guard let c = components["lane \(lane)"] else { parts.append("\(lane): starting"); continue }
            var s = "\(lane): " + (c.state == .ok ? (c.detail.isEmpty ? "screening" : c.detail) : c.reasons.isEmpty ? c.state.rawValue : c.reasons.joined(separator: ", "))
            if let v = components["lane \(lane) visible"], v.state != .ok { s += " (visible camera lost)" }
            parts.append(s)
        }
        let bad = components.values.filter { !$0.name.hasPrefix("lane ") && $0.state != .ok }.sorted { $0.name < $1.name }
        for c in bad { parts.append("\(c.name): \(c.reasons.first ?? c.state.rawValue)") }
        return parts.joined(separator: "; ")
    }
}

/// Speaks to systemd while the daemon runs (`Type=notify`): `READY=1` once every lane is
/// screening or knowingly waiting for its camera (its first heartbeat) or has ended;
/// `STATUS=` whenever the summary changes; `WATCHDOG=1` every half watchdog interval while no
/// lane's frame loop has been silent for that long — a stuck lane gets the service restarted,
/// an unplugged camera (the lane waits and beats) does not. `STOPPING=1` at shutdown. Without
/// `$NOTIFY_SOCKET` it does nothing.
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let heartbeats: [LaneHeartbeat]
    let health: HealthModel
    let day: DaySummary
    let log = Logger(label: "canthus.systemd")
    /// How often STATUS is refreshed without a watchdog.
    static let statusEvery: Duration = .seconds(2)

    func run() async throws {
        guard notifier.isActive else { try? await gracefulShutdown(); return }
        let tick = notifier.watchdogInterval.map { min($0 / 2, Self.statusEvery) } ?? Self.statusEvery
        let stallLimitS = notifier.watchdogInterval.map { Double($0.components.seconds) / 2 + Double($0.components.attoseconds) / 2e18 } ?? .infinity
        let lanes = heartbeats.map(\.lane)
        await cancelWhenGracefulShutdown {
            var ready = false
            var lastStatus = ""
            var withheld: Set<String> = []
            while !Task.isCancelled {
                if !ready && heartbeats.allSatisfy(\.hasStarted) {
                    ready = true
                    lastStatus = day.text(health: health, lanes: lanes)
                    notifier.send("READY=1\nSTATUS=\(lastStatus)")
                    log.info("ready: \(lastStatus)")
                } else if ready {
                    let status = day.text(health: health, lanes: lanes)
                    if status != lastStatus { notifier.send("STATUS=\(status)"); lastStatus = status }
                }
                if notifier.watchdogInterval != nil {
                    let stuck = heartbeats.filter { $0.silenceS > stallLimitS }
                    for h in stuck where withheld.insert(h.lane).inserted {
                        log.error("lane \(h.lane): its frame loop has not moved for \(String(format: "%.1f", h.silenceS)) s; the watchdog is no longer fed")
                        health.report("lane \(h.lane)", .failing, reasons: [ReasonCode.laneStalled.rawValue],
                                      detail: "frame loop silent for more than \(String(format: "%.1f", stallLimitS)) s")
                    }
                    withheld.formIntersection(stuck.map(\.lane))
                    if stuck.isEmpty { notifier.send("WATCHDOG=1") }
                }
                // Until ready, look often: READY=1 as soon as the last lane has started.
                try? await Task.sleep(for: ready ? tick : .milliseconds(100))
            }
        }
        notifier.send("STOPPING=1\nSTATUS=stopping: finishing open tracks and writing what is queued")
    }
}
