import Foundation
import Records
import Screening

/// The one health model: every component of the daemon (a lane, the event log, later the store,
/// the alarm sinks, the HTTP server) reports a state and reason codes here; `canthus status`,
/// the run summary and later `STATUS=`, the API and the metrics read it. Thread-safe.
public final class HealthModel: @unchecked Sendable {
    public enum State: String, Sendable, Comparable, Codable {
        case ok, degraded, failing
        var rank: Int { self == .ok ? 0 : self == .degraded ? 1 : 2 }
        public static func < (a: State, b: State) -> Bool { a.rank < b.rank }
    }

    public struct Component: Sendable, Equatable, Codable {
        public var name: String
        public var state: State
        /// Reason codes (docs/events.md), most important first.
        public var reasons: [String]
        /// One human line on the cause ("write failed: No space left on device").
        public var detail: String
        /// Counters the component keeps (events dropped or not written, …).
        public var counters: [String: Int]
    }

    private let lock = NSLock()
    private var components: [String: Component] = [:]

    public init() {}

    /// Sets `name`'s state, reasons and detail (its counters stay).
    public func report(_ name: String, _ state: State, reasons: [String] = [], detail: String = "") {
        update(name) { c in
            c.state = state
            c.reasons = reasons
            c.detail = detail
        }
    }

    /// Adds `by` to one of `name`'s counters.
    public func count(_ name: String, _ counter: String, by n: Int = 1) {
        update(name) { $0.counters[counter, default: 0] += n }
    }

    /// Changes `name`'s component (made ok and empty the first time) in place, under the lock:
    /// no copy of its counters.
    private func update(_ name: String, _ change: (inout Component) -> Void) {
        lock.lock(); defer { lock.unlock() }
        change(&components[name, default: Component(name: name, state: .ok, reasons: [], detail: "", counters: [:])])
    }

    /// Every component, by name.
    public var snapshot: [Component] {
        lock.lock(); defer { lock.unlock() }
        return components.values.sorted { $0.name < $1.name }
    }

    /// The worst state of any component.
    public var overall: State { snapshot.map(\.state).max() ?? .ok }

    /// One line per component: "event_log: failing (event_log_failing) — write failed: …; not_written 12".
    public var text: String { snapshot.map(Self.line).joined(separator: "\n") }

    public static func line(_ c: Component) -> String {
        var line = "\(c.name): \(c.state.rawValue)"
        if !c.reasons.isEmpty { line += " (\(c.reasons.joined(separator: ", ")))" }
        if !c.detail.isEmpty { line += " — \(c.detail)" }
        let counters = c.counters.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        if !counters.isEmpty { line += "; " + counters.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
        return line
    }
}

/// Hands the frame loop's events to every consumer (the event log now; the store, alarm sinks
/// and HTTP server later), each through its own bounded queue and thread: `publish` never
/// blocks and never waits for a consumer, so a slow or stuck consumer costs the frame loop
/// nothing; what does not fit its queue is dropped and counted (`dropped`, and in the health
/// model as the consumer's `dropped` counter).
public final class EventFanOut: @unchecked Sendable {
    public final class Consumer: @unchecked Sendable {
        public let name: String
        public let capacity: Int
        private let handle: @Sendable (Event) -> Void
        private let condition = NSCondition()
        private var ring: [Event?]
        private var head = 0, count = 0
        private var closed = false
        private var thread: Thread?
        private let health: HealthModel
        private let finished = DispatchSemaphore(value: 0)
        /// Events that did not fit the queue.
        public private(set) var dropped = 0
        /// Events handed to `handle`.
        public private(set) var delivered = 0

        init(name: String, capacity: Int, health: HealthModel, handle: @escaping @Sendable (Event) -> Void) {
            self.name = name
            self.capacity = capacity
            self.handle = handle
            self.health = health
            ring = [Event?](repeating: nil, count: capacity)
        }

        func start() {
            let t = Thread { [self] in self.drain() }
            t.name = "canthus-\(name)"
            thread = t
            t.start()
        }

        /// Queues `event`; false (and counted) when the queue is full.
        func offer(_ event: Event) -> Bool {
            condition.lock()
            if count == capacity || closed {
                dropped += 1
                condition.unlock()
                health.count(name, "dropped")
                return false
            }
            ring[(head + count) % capacity] = event
            count += 1
            condition.signal()
            condition.unlock()
            return true
        }

        private func drain() {
            while true {
                condition.lock()
                while count == 0 && !closed { condition.wait() }
                if count == 0 && closed { condition.unlock(); break }
                let event = ring[head]!
                ring[head] = nil
                head = (head + 1) % capacity
                count -= 1
                condition.unlock()
                handle(event)
                condition.lock(); delivered += 1; condition.unlock()
            }
            finished.signal()
        }

        /// Delivers what is queued, then stops the thread.
        func close() {
            condition.lock()
            closed = true
            condition.signal()
            condition.unlock()
            if thread != nil { finished.wait() }
        }
    }

    public let health: HealthModel
    public private(set) var consumers: [Consumer] = []

    public init(health: HealthModel) { self.health = health }

    /// Adds a consumer with a queue of `capacity` events, served by its own thread.
    @discardableResult
    public func add(_ name: String, capacity: Int = 1024, _ handle: @escaping @Sendable (Event) -> Void) -> Consumer {
        let c = Consumer(name: name, capacity: capacity, health: health, handle: handle)
        consumers.append(c)
        c.start()
        return c
    }

    /// Offers `event` to every consumer; never blocks.
    public func publish(_ event: Event) {
        for c in consumers { _ = c.offer(event) }
    }

    /// Drains and stops every consumer, in reverse order of adding.
    public func close() {
        for c in consumers.reversed() { c.close() }
    }
}

/// The event log as a consumer of the fan-out: appends each event (`EventLog`); a write that
/// fails (a full disk, a lost mount) marks the component `failing` with `event_log_failing` and
/// the cause, and counts the event `not_written`; the next write that succeeds clears it.
public final class EventLogWriter: @unchecked Sendable {
    public static let component = "event_log"
    private let path: String
    private let health: HealthModel
    private var log: EventLog?
    private var failing = false

    public init(path: String, health: HealthModel) {
        self.path = path
        self.health = health
        health.report(Self.component, .ok)
        open()
    }

    private func open() {
        do { log = try EventLog(path: path) } catch { fail("\(error)") }
    }

    private func fail(_ why: String) {
        failing = true
        health.report(Self.component, .failing, reasons: [ReasonCode.eventLogFailing.rawValue], detail: why)
    }

    /// Called on the consumer's thread only.
    public func write(_ event: Event) {
        if log == nil { open() }
        guard let log else { health.count(Self.component, "not_written"); return }
        do {
            try log.append(event)
            health.count(Self.component, "written")
            if failing {
                failing = false
                health.report(Self.component, .ok)
            }
        } catch {
            health.count(Self.component, "not_written")
            fail("\(error)")
        }
    }

    public func close() {
        do { try log?.close() } catch { fail("\(error)") }
        log = nil
    }
}
