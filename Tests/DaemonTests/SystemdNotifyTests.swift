import Foundation
import Logging
import ServiceLifecycle
import Testing
import TestSupport
@testable import Daemon
@testable import Screening
#if canImport(Glibc)
import Glibc
#endif

/// A datagram socket standing in for systemd's notification socket: what the daemon sends.
final class NotifyListener: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let messages = Locked<[(at: Double, text: String)]>([])
    private let started = Date()
    private var thread: Thread?
    private let running = Locked(true)

    /// `abstract`: bind `@name` in the abstract namespace instead of a file.
    init(directory: String, abstract: Bool = false) throws {
        path = abstract ? "@canthus-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" : directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let rc = UnixSocketAddress(path)!.with { bind(fd, $0, $1) }
        guard rc == 0 else { throw POSIXError(.EADDRINUSE) }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let t = Thread { [self] in
            var buf = [UInt8](repeating: 0, count: 4096)
            while running.value {
                let n = recv(fd, &buf, buf.count, 0)
                if n > 0 {
                    let text = String(decoding: buf[0..<n], as: UTF8.self)
                    let at = Date().timeIntervalSince(started)
                    messages.mutate { $0.append((at, text)) }
                }
            }
        }
        thread = t
        t.start()
    }

    var received: [(at: Double, text: String)] { messages.value }
    var texts: [String] { received.map(\.text) }

    /// Waits up to `timeoutS` for a message containing `part`.
    func wait(for part: String, timeoutS: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeoutS)
        while Date() < deadline {
            if texts.contains(where: { $0.contains(part) }) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func close() {
        running.mutate { $0 = false }
        Thread.sleep(forTimeInterval: 0.2)
        Glibc.close(fd)
        if !path.hasPrefix("@") { unlink(path) }
    }
}

/// Runs jobs on a thread of its own: the service under test keeps running while the other tests'
/// synchronous bodies hold the cooperative pool's threads (two on this machine) for minutes.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(name: String) {
        let t = Thread { [self] in   // kept for the process's life
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
        t.name = name
        t.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }
}

/// True once `condition` holds, checked every 50 ms on this thread, at most `seconds`.
func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return condition()
}

/// sd_notify as the daemon speaks it, to a real datagram socket: readiness only once every
/// lane has started, STATUS from the health model and the day's decisions, and the watchdog fed
/// only while every lane's frame loop moves.
@Suite struct SystemdNotifyTests {
    @Test func theEnvironmentSaysWhereAndHowOften() {
        #expect(!SystemdNotifier(environment: [:]).isActive)
        let n = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "10000000"])
        #expect(n.isActive && n.watchdogInterval == .seconds(10))
        // The watchdog is for another process (a helper started by ours).
        let other = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "1"])
        #expect(other.watchdogInterval == nil)
        let ours = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(ours.watchdogInterval == .seconds(10))
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "10000000"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "soon"]).watchdogInterval == nil)
    }

    @Test(arguments: [false, true]) func messagesReachAPathOrAnAbstractSocket(abstract: Bool) throws {
        let listener = try NotifyListener(directory: Project.temporaryDirectory(), abstract: abstract)
        defer { listener.close() }
        let n = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.path])
        #expect(n.send("READY=1\nSTATUS=testing"))
        #expect(listener.wait(for: "READY=1\nSTATUS=testing", timeoutS: 30))
        // A socket that is not there: false, no crash.
        #expect(!SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify"]).send("READY=1"))
    }

    @Test func readyWhenEveryLaneStartedAndTheWatchdogStarvesWhenOneStalls() async throws {
        let listener = try NotifyListener(directory: Project.temporaryDirectory())
        defer { listener.close() }
        // A 4 s watchdog: a lane silent for 2 s is stalled. (Shorter flaps beside the other tests:
        // the beating thread itself can be kept off the CPU for a few hundred ms.)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "4000000"])
        let north = LaneHeartbeat(lane: "north"), south = LaneHeartbeat(lane: "south")
        let health = HealthModel()
        let day = DaySummary()
        let service = SystemdService(notifier: notifier, heartbeats: [north, south], health: health, day: day)
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "test")))
        let beating = Locked<Set<String>>(["north"])
        let stop = Locked(false)
        // The lanes' frame loops: each beats every 50 ms while it is "moving".
        let lanes = Thread {
            while !stop.value {
                if beating.value.contains("north") { north.beat() }
                if beating.value.contains("south") { south.beat() }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        lanes.start()
        defer { stop.mutate { $0 = true } }
        let executor = ThreadExecutor(name: "systemd-service-test")
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask(executorPreference: executor) { try await group.run() }
            // One lane has not started: no READY, while the watchdog is fed meanwhile. (Timeouts
            // are generous: beside the other tests the cooperative pool can be busy for seconds.)
            #expect(listener.wait(for: "WATCHDOG=1", timeoutS: 60))
            #expect(!listener.texts.contains { $0.contains("READY=1") })
            health.report("lane north", .ok)
            health.report("lane south", .failing, reasons: ["camera_lost"])
            beating.mutate { $0.insert("south") }
            #expect(listener.wait(for: "READY=1", timeoutS: 60))
            let ready = try #require(listener.texts.first { $0.contains("READY=1") })
            #expect(ready.contains("STATUS=0 screened today, 0 alarms; north: screening; south: camera_lost"), "\(ready)")
            // A decision changes STATUS.
            var decision = Decision(track: 3, canthusC: 37.2, temperatureC: 38.6, raw: 0, level: .alarm, mode: .absolute, thresholdC: 37.5, frames: 5, reasons: [])
            decision.distanceM = 1.1
            var event = Event(source: "cam", frame: 9, timeS: 0.3, body: .decision(decision))
            event.lane = "south"
            day.note(event)
            #expect(listener.wait(for: "STATUS=1 screened today, 1 alarm; last alarm ", timeoutS: 60))
            #expect(listener.texts.contains { $0.contains("38.6 °C (lane south)") })
            // North's frame loop stops moving: after half the watchdog interval the pings stop
            // and its health says lane_stalled. (The waits block this test's own thread: an
            // awaited sleep could wait for a pool thread longer than the deadline.)
            beating.mutate { $0.remove("north") }
            #expect(eventually(60) { health.snapshot.contains { $0.name == "lane north" && $0.reasons == ["lane_stalled"] } })
            let pingsBefore = listener.texts.filter { $0 == "WATCHDOG=1" }.count
            usleep(5_000_000)   // more than two ticks (2 s each)
            #expect(listener.texts.filter { $0 == "WATCHDOG=1" }.count == pingsBefore, "pings went on for a stalled lane")
            // It moves again: fed again.
            beating.mutate { $0.insert("north") }
            #expect(eventually(60) { listener.texts.filter { $0 == "WATCHDOG=1" }.count > pingsBefore })
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(listener.wait(for: "STOPPING=1", timeoutS: 30))
    }

    @Test func withoutSystemdNothingIsSent() async throws {
        let service = SystemdService(notifier: SystemdNotifier(environment: [:]), heartbeats: [LaneHeartbeat(lane: "main")],
                                     health: HealthModel(), day: DaySummary())
        let group = ServiceGroup(configuration: .init(services: [service], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Task.sleep(for: .milliseconds(200))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
