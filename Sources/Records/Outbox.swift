import Foundation
import GRDB
import Screening

/// Which decisions a webhook sink sends: its name, the levels and the lanes it asked for.
public struct OutboxRoute: Sendable, Equatable {
    public var sink: String
    public var levels: Set<Level>
    /// nil: every lane.
    public var lanes: Set<String>?

    public init(sink: String, levels: Set<Level>, lanes: Set<String>?) {
        self.sink = sink
        self.levels = levels
        self.lanes = lanes
    }

    func takes(_ event: Event) -> Bool {
        guard case .decision(let d) = event.body else { return false }
        return levels.contains(d.level) && (lanes?.contains(event.lane) ?? true)
    }
}

/// One event waiting to be sent (`outbox` table, docs/records.md).
public struct OutboxItem: Sendable, Equatable {
    /// The order of sending: the order the events were written in.
    public var seq: Int64
    public var eventID: String
    /// The event as the event stream has it (JSON).
    public var body: String
    public var attempts: Int
}

/// The outbox: a webhook's events are written in the same transaction as their rows (a
/// decision in the store is a decision in its webhook's outbox, and only then), and leave it in
/// that order, one at a time, once the receiver has taken them (`delivered`) or refused them
/// for good (`rejected`: a 4xx answer other than 408 and 429). A row keeps its state, so a
/// replay written again sends nothing twice (one row per sink and event id).
extension RecordStore {
    static func enqueue(_ r: EventRecord, routes: [OutboxRoute], into db: Database) throws {
        for route in routes where route.takes(r.event) {
            let s = try db.cachedStatement(sql: "INSERT OR IGNORE INTO outbox (sink, event_id, wall_ms, body) VALUES (?, ?, ?, ?)")
            try Binder.run(s, in: db) { b in b.add(route.sink); b.add(r.event.id); b.add(r.wallMs); b.add(r.event.json) }
        }
    }

    /// The sink's oldest event not yet delivered nor rejected.
    public func nextOutbox(sink: String) throws -> OutboxItem? {
        try wrapped {
            try db.read { db in
                try Row.fetchOne(db, sql: """
                    SELECT seq, event_id, body, attempts FROM outbox WHERE sink = ? AND state = 'pending' ORDER BY seq LIMIT 1
                    """, arguments: [sink]).map { OutboxItem(seq: $0["seq"], eventID: $0["event_id"], body: $0["body"], attempts: $0["attempts"]) }
            }
        }
    }

    /// How many of the sink's events wait.
    public func pendingOutbox(sink: String) throws -> Int {
        try wrapped { try db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE sink = ? AND state = 'pending'", arguments: [sink]) ?? 0 } }
    }

    public enum OutboxOutcome: Sendable {
        /// The receiver took it (its HTTP status).
        case delivered(status: Int)
        /// The receiver refused it for good: it is not sent again.
        case rejected(status: Int, why: String)
        /// Not taken this time (down, timed out, a 5xx): sent again later.
        case failed(why: String)
    }

    /// Notes an attempt's outcome.
    public func settleOutbox(seq: Int64, _ outcome: OutboxOutcome, wallMs: Int64 = EventRecord.nowMs()) throws {
        try wrapped {
            try db.write { db in
                switch outcome {
                case .delivered(let status):
                    try db.execute(sql: "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, status = ?, done_ms = ?, failure = NULL WHERE seq = ?",
                                   arguments: [status, wallMs, seq])
                case .rejected(let status, let why):
                    try db.execute(sql: "UPDATE outbox SET state = 'rejected', attempts = attempts + 1, status = ?, done_ms = ?, failure = ? WHERE seq = ?",
                                   arguments: [status, wallMs, why, seq])
                case .failed(let why):
                    try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, failure = ? WHERE seq = ?", arguments: [why, seq])
                }
            }
        }
    }

    func wrapped<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DatabaseError { throw RecordsError(path: path, message: Self.describe(e)) }
    }
}
