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

    /// Sets one of `name`'s counters (a figure rather than a count: a frame time's percentile).
    public func set(_ name: String, _ counter: String, to n: Int) {
        update(name) { $0.counters[counter] = n }
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

/// A bounded queue served by a thread of its own: what every consumer of the lanes' records and
/// every alarm sink runs on. `offer` never blocks: when the queue is full the item is dropped and
/// counted (`dropped`, and the component's `dropped` counter in the health model) — or, for a
/// queue that keeps only the latest (`replacesLatest`: a spoken prompt), it takes the place of
/// the newest waiting one (`replaced`). `handle` gets up to `maxBatch` items at a time, and an
/// empty batch every `tick` seconds when nothing came (to retry, or to let time act).
public final class WorkQueue<Item: Sendable>: @unchecked Sendable {
    public let name: String
    public let capacity: Int
    private let handle: @Sendable ([Item]) -> Void
    private let maxBatch: Int
    private let tick: TimeInterval?
    private let replacesLatest: Bool
    private let condition = NSCondition()
    private var ring: [Item?]
    private var head = 0, count = 0
    private var closed = false
    private var thread: Thread?
    private let health: HealthModel
    private let finished = DispatchSemaphore(value: 0)
    /// Items that did not fit the queue.
    public private(set) var dropped = 0
    /// Items that a newer one replaced while they waited (`replacesLatest`).
    public private(set) var replaced = 0
    /// Items handed to `handle`.
    public private(set) var delivered = 0

    public init(name: String, capacity: Int, maxBatch: Int = 1, tick: TimeInterval? = nil, replacesLatest: Bool = false,
                health: HealthModel, handle: @escaping @Sendable ([Item]) -> Void) {
        self.name = name
        self.capacity = capacity
        self.maxBatch = maxBatch
        self.tick = tick
        self.replacesLatest = replacesLatest
        self.handle = handle
        self.health = health
        ring = [Item?](repeating: nil, count: capacity)
        let t = Thread { [self] in self.drain() }
        t.name = "canthus-\(name)"
        thread = t
        t.start()
    }

    /// Queues `item`; false (and counted) when it was dropped.
    @discardableResult
    public func offer(_ item: Item) -> Bool {
        condition.lock()
        if closed || (count == capacity && !replacesLatest) {
            dropped += 1
            condition.unlock()
            health.count(name, "dropped")
            return false
        }
        if count == capacity {
            ring[(head + count - 1) % capacity] = item
            replaced += 1
            condition.unlock()
            health.count(name, "replaced")
            return true
        }
        ring[(head + count) % capacity] = item
        count += 1
        condition.signal()
        condition.unlock()
        return true
    }

    private func drain() {
        var batch: [Item] = []
        batch.reserveCapacity(maxBatch)
        while true {
            condition.lock()
            var timedOut = false
            while count == 0 && !closed && !timedOut {
                if let tick { timedOut = !condition.wait(until: Date().addingTimeInterval(tick)) } else { condition.wait() }
            }
            if count == 0 && closed { condition.unlock(); break }
            if discarding {
                // Stopping, and past the time to finish: what waits is dropped, and counted.
                let left = count
                for i in 0..<count { ring[(head + i) % capacity] = nil }
                head = 0
                count = 0
                dropped += left
                condition.unlock()
                health.count(name, "dropped_at_shutdown", by: left)
                break
            }
            while count > 0 && batch.count < maxBatch {
                batch.append(ring[head]!)
                ring[head] = nil
                head = (head + 1) % capacity
                count -= 1
            }
            condition.unlock()
            handle(batch)
            condition.lock(); delivered += batch.count; condition.unlock()
            batch.removeAll(keepingCapacity: true)
        }
        finished.signal()
    }

    private var discarding = false

    /// Delivers what is queued, then stops the thread. With `within`, what is still waiting after
    /// that many seconds is dropped and counted (`dropped_at_shutdown`); the item being handled
    /// then is finished.
    public func close(within seconds: Double? = nil) {
        condition.lock()
        let already = closed
        closed = true
        condition.signal()
        condition.unlock()
        guard !already else { return }
        if let seconds, finished.wait(timeout: .now() + seconds) == .timedOut {
            condition.lock(); discarding = true; condition.signal(); condition.unlock()
            finished.wait()
        } else if seconds == nil {
            finished.wait()
        }
    }
}

/// Hands the frame loop's records to every consumer (the store, the event stream file, the
/// alarms), each through its own `WorkQueue`: `publish` never blocks and never waits for a
/// consumer, so a slow or stuck consumer costs the frame loop nothing; what does not fit its
/// queue is dropped and counted.
public final class EventFanOut: @unchecked Sendable {
    public typealias Consumer = WorkQueue<LaneRecord>

    public let health: HealthModel
    public private(set) var consumers: [Consumer] = []

    public init(health: HealthModel) { self.health = health }

    /// Adds a consumer of one event at a time (tracks are not its business) with a queue of
    /// `capacity` records, served by its own thread.
    @discardableResult
    public func add(_ name: String, capacity: Int = 1024, _ handle: @escaping @Sendable (Event) -> Void) -> Consumer {
        add(name, capacity: capacity, maxBatch: 1, tick: nil) { batch in for r in batch { if let e = r.event { handle(e) } } }
    }

    /// Adds a consumer of records in batches (the store: one transaction per batch).
    @discardableResult
    public func add(_ name: String, capacity: Int, maxBatch: Int, tick: TimeInterval?, _ handle: @escaping @Sendable ([LaneRecord]) -> Void) -> Consumer {
        let c = Consumer(name: name, capacity: capacity, maxBatch: maxBatch, tick: tick, health: health, handle: handle)
        consumers.append(c)
        return c
    }

    /// Offers `record` to every consumer; never blocks.
    public func publish(_ record: LaneRecord) {
        for c in consumers { _ = c.offer(record) }
    }

    /// Offers `event`, stamped with the wall clock now.
    public func publish(_ event: Event) { publish(.event(EventRecord(event: event, wallMs: EventRecord.nowMs()))) }

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

/// The records store as a consumer of the fan-out: one transaction per batch. When a batch cannot
/// be written (a full or read-only disk, a reader holding a lock past the timeout) the component
/// is `failing` with `records_failing` and the cause, the records are held in memory — at most
/// `holdLimit`; beyond that the oldest are dropped and counted (`dropped_unwritten`), never
/// silently — and written with the next batch or tick once writing works again.
public final class StoreWriter: @unchecked Sendable {
    public static let component = "records"
    public let path: String
    public let holdLimit: Int
    private let health: HealthModel
    private var store: RecordStore?
    private var held: [LaneRecord] = []
    private var failing = false
    /// After a failure, no new attempt before this (uptime ns): a store that cannot be written
    /// is tried every `retryS` seconds, not at every batch (a retry storm would take CPU from the
    /// lanes on a small machine).
    private var nextAttemptNs: UInt64 = 0
    public var retryS = 2.0

    /// The webhooks' outbox rows are written with their events (`outbox`); `written` is told
    /// after each commit (their senders look for more).
    private let outbox: [OutboxRoute]
    private let written: @Sendable () -> Void

    public init(path: String, holdLimit: Int, health: HealthModel, outbox: [OutboxRoute] = [], written: @escaping @Sendable () -> Void = {}) {
        self.path = path
        self.holdLimit = holdLimit
        self.health = health
        self.outbox = outbox
        self.written = written
        health.report(Self.component, .ok)
    }

    /// On the consumer's thread, at the first batch: startup never waits for the disk.
    private func open() {
        do { store = try RecordStore(path: path, outbox: outbox) } catch { fail("\(error)") }
    }

    private func fail(_ why: String) {
        failing = true
        health.report(Self.component, .failing, reasons: [ReasonCode.recordsFailing.rawValue], detail: why)
    }

    /// Called on the consumer's thread only; an empty batch retries what is held.
    public func write(_ batch: [LaneRecord]) {
        held.append(contentsOf: batch)
        if held.count > holdLimit {
            let excess = held.count - holdLimit
            countDropped(held.prefix(excess))
            held.removeFirst(excess)
        }
        guard !held.isEmpty, DispatchTime.now().uptimeNanoseconds >= nextAttemptNs else { return }
        if store == nil { open() }
        guard let store else { backOff(); return }
        do {
            try StorePictures.prepare(&held, directory: store.directory)
            try store.write(held)
            health.count(Self.component, "written", by: held.count)
            held.removeAll(keepingCapacity: true)
            written()
            if failing {
                failing = false
                health.report(Self.component, .ok)
            }
        } catch {
            fail("\(error); \(held.count) record\(held.count == 1 ? "" : "s") held in memory")
            backOff()
        }
    }

    private func backOff() { nextAttemptNs = DispatchTime.now().uptimeNanoseconds + UInt64(retryS * 1e9) }

    /// At shutdown, after the last batch: one more try at once for what is held (a batch that
    /// came while waiting to retry was not tried), then what still cannot be written is counted
    /// as dropped, never lost silently.
    public func close() {
        guard !held.isEmpty else { return }
        nextAttemptNs = 0
        write([])
        guard !held.isEmpty else { return }
        countDropped(held[...])
        fail("\(held.count) record\(held.count == 1 ? "" : "s") not written at shutdown")
        held.removeAll()
    }

    /// Events and tracks counted apart: each event published is a row or a drop, exactly.
    private func countDropped(_ records: ArraySlice<LaneRecord>) {
        let tracks = records.filter { if case .track = $0 { return true }; return false }.count
        if records.count > tracks { health.count(Self.component, "dropped_unwritten", by: records.count - tracks) }
        if tracks > 0 { health.count(Self.component, "dropped_unwritten_tracks", by: tracks) }
    }

    /// Records not written yet.
    public var heldCount: Int { held.count }
}
