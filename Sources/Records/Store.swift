import Foundation
import GRDB
import Screening

/// What a lane hands its consumers (`EventFanOut`): an event with what the store keeps beside
/// it, or a person's track that ended.
public enum LaneRecord: Sendable {
    case event(EventRecord)
    case track(TrackRecord)
    /// An alarm or pre-alarm acknowledged (`canthus ack`, the gate's button).
    case acknowledgement(Acknowledgement)

    public var event: Event? {
        if case .event(let r) = self { return r.event }
        return nil
    }
}

/// An acknowledgement of an alarm or pre-alarm: the event, who, and through what.
public struct Acknowledgement: Sendable, Equatable {
    public var eventID: String, by: String, via: String
    public var wallMs: Int64
    public init(eventID: String, by: String, via: String, wallMs: Int64) { self.eventID = eventID; self.by = by; self.via = via; self.wallMs = wallMs }
}

/// Temperatures (°C, row-major) of part of a frame: a snapshot's crop, a track's view. Turned
/// into a picture on the store's thread, never on the frame thread.
public struct Thermogram: Sendable {
    public var celsius: [Float]
    public var width: Int, height: Int
    public init(celsius: [Float], width: Int, height: Int) { self.celsius = celsius; self.width = width; self.height = height }
}

/// What the store keeps of one event (a record beside the event): the event as the stream has it, plus what the public
/// stream does not carry — when it was published (wall clock, UTC), the calibration in force, the person's face box,
/// the reference's reading, and for an alarm or pre-alarm the picture for its snapshot.
public struct EventRecord: Sendable {
    public var event: Event
    /// Wall-clock time of publishing, milliseconds since 1970 (UTC).
    public var wallMs: Int64
    /// The calibration in force for the lane (gain, offset °C).
    public var calibrationGain: Double?
    public var calibrationOffsetC: Double?
    /// The person's face box when the event was decided (decisions, rejections).
    public var faceBox: Box?
    /// The reference's last reading (°C) and the drift correction in force (K), when the lane has one.
    public var referenceC: Double?
    public var referenceOffsetK: Double?
    /// An alarm's or pre-alarm's crop around the person (`faceBox` then in its coordinates),
    /// until the store's writer has turned it into a snapshot file; then `snapshotPath`
    /// (relative to the store's directory) and no picture.
    public var snapshot: (thermogram: Thermogram, box: Box)?
    public var snapshotPath: String?

    public init(event: Event, wallMs: Int64, calibrationGain: Double? = nil, calibrationOffsetC: Double? = nil) {
        self.event = event
        self.wallMs = wallMs
        self.calibrationGain = calibrationGain
        self.calibrationOffsetC = calibrationOffsetC
    }

    public static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// One person's movement from entry to exit (`Track.trajectory`), linked to the decision or
/// rejection made about them, and to a view of the camera's scene kept with the track.
public struct TrackRecord: Sendable {
    /// `Event.sourceKey` + `/track/N`.
    public var id: String
    public var lane: String, gate: String, source: String
    public var track: Int
    /// The decided person this track continues (back after a moment out of view).
    public var continues: Int?
    /// The decision or rejection about this person, and its outcome: a level, `rejected`,
    /// `continued` (`continues`), or nil when neither was made.
    public var eventID: String?
    public var outcome: String?
    public var wallMs: Int64
    public var points: [TrajectoryPoint]
    /// The view of the scene the track is drawn over: `Event.sourceKey` + `/view/FRAME`; its
    /// thermogram travels with the first track that uses it, its JPEG is made by the store's writer.
    public var viewID: String?
    public var view: Thermogram?
    public var viewJPEG: [UInt8]?

    public init(id: String, lane: String, gate: String, source: String, track: Int, wallMs: Int64, points: [TrajectoryPoint]) {
        self.id = id; self.lane = lane; self.gate = gate; self.source = source; self.track = track
        self.wallMs = wallMs
        self.points = points
    }
}

/// The records store: one SQLite database (WAL, one writer, readers in other processes at any
/// time), `records.directory/canthus.sqlite`. Rows are keyed by the event id with lane and gate;
/// a replay written twice gives the same rows (INSERT OR IGNORE on the id). Migrations are
/// append-only (`RecordStore.migrator`); a database that is not canthus's, or of a newer schema
/// than this binary knows, is refused with a clear error. docs/records.md documents the tables.
public final class RecordStore: @unchecked Sendable {
    /// `PRAGMA application_id`: "CNTH".
    public static let applicationID: Int32 = 0x434E_5448
    public static let fileName = "canthus.sqlite"

    public let path: String
    public let db: DatabasePool
    /// The webhook sinks whose decisions go to the outbox with their rows.
    public let outboxRoutes: [OutboxRoute]

    /// Opens (creating and migrating) the store for writing.
    public init(path: String, outbox: [OutboxRoute] = []) throws {
        self.path = path
        outboxRoutes = outbox
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        var config = Configuration()
        config.prepareDatabase { db in
            // A commit acknowledged is on disk (a power cut loses nothing acknowledged).
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // The write-ahead log is copied into the database every 2 MiB (SQLite's default,
            // 1000 pages, is 16 MiB of 16 KiB pages: more than a small card has free), and cut
            // back to 2 MiB after: a full disk freed again has room to write.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 128")
            try db.execute(sql: "PRAGMA journal_size_limit = 2097152")
        }
        config.busyMode = .timeout(5)
        do {
            db = try DatabasePool(path: path, configuration: config)
            try db.writeWithoutTransaction { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                if id == 0 && tables == 0 {
                    // A new store. Pages freed by purges go back to the file system a few at a
                    // time (auto_vacuum takes effect on an empty database through VACUUM). Pages
                    // of 16 KiB hold a dozen tracks each (4 KiB, three): a quarter fewer bytes
                    // written per track (Benchmarks/store.py).
                    // (Neither takes effect in WAL mode: set outside it, then back.)
                    try db.execute(sql: "PRAGMA journal_mode = DELETE")
                    try db.execute(sql: "PRAGMA page_size = 16384")
                    try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                    try db.execute(sql: "VACUUM")
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                    try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)")
                } else if id != Self.applicationID {
                    throw RecordsError(path: path, message: "is not a canthus records database (application id \(id))")
                }
            }
            try Self.checkNotNewer(db, path: path)
            try Self.migrator.migrate(db)
        } catch let e as RecordsError {
            throw e
        } catch let e as DatabaseError {
            throw RecordsError(path: path, message: Self.describe(e))
        }
    }

    /// Opens an existing store read-only (the query commands), while the daemon may write it.
    public static func openForReading(path: String) throws -> DatabasePool {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RecordsError(path: path, message: "no records database here (canthus run writes it to records.directory/\(fileName); give --store)")
        }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        do {
            let pool = try DatabasePool(path: path, configuration: config)
            try pool.read { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                guard id == applicationID else {
                    throw RecordsError(path: path, message: "is not a canthus records database (application id \(id))")
                }
            }
            try checkNotNewer(pool, path: path)
            return pool
        } catch let e as RecordsError {
            throw e
        } catch let e as DatabaseError {
            throw RecordsError(path: path, message: describe(e))
        }
    }

    static func describe(_ e: DatabaseError) -> String {
        switch e.resultCode {
        case .SQLITE_NOTADB: return "is not an SQLite database"
        case .SQLITE_CANTOPEN: return "cannot be opened (\(e.message ?? "unknown reason"))"
        case .SQLITE_FULL: return "the disk is full"
        case .SQLITE_READONLY: return "is read-only"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "is locked by another process"
        default: return e.message ?? "\(e)"
        }
    }

    static func checkNotNewer(_ db: DatabasePool, path: String) throws {
        let newer = try db.read { db in try migrator.hasBeenSuperseded(db) }
        if newer {
            throw RecordsError(path: path, message: "was written by a newer canthus (its schema has migrations this binary does not know); use that version or newer")
        }
    }

    /// Append-only: a release adds migrations, never edits one.
    public static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE decisions (
                    id TEXT PRIMARY KEY, lane TEXT NOT NULL, gate TEXT NOT NULL, source TEXT NOT NULL, frame INTEGER NOT NULL,
                    time_s REAL NOT NULL, wall_ms INTEGER NOT NULL, wall_utc TEXT NOT NULL,
                    track INTEGER NOT NULL, canthus_c REAL NOT NULL, body_c REAL NOT NULL, raw INTEGER NOT NULL,
                    level TEXT NOT NULL, mode TEXT NOT NULL, threshold_c REAL NOT NULL, frames INTEGER NOT NULL,
                    reasons TEXT NOT NULL, distance_m REAL, calibration_gain REAL, calibration_offset_c REAL,
                    snapshot TEXT);
                -- Covers the statistics (canthus stats reads no table row) and orders by time.
                CREATE INDEX decisions_wall ON decisions(wall_ms, gate, level, body_c);
                CREATE INDEX decisions_level_wall ON decisions(level, wall_ms);
                CREATE TABLE rejections (
                    id TEXT PRIMARY KEY, lane TEXT NOT NULL, gate TEXT NOT NULL, source TEXT NOT NULL, frame INTEGER NOT NULL,
                    time_s REAL NOT NULL, wall_ms INTEGER NOT NULL, wall_utc TEXT NOT NULL,
                    track INTEGER NOT NULL, reasons TEXT NOT NULL, distance_m REAL);
                CREATE INDEX rejections_wall ON rejections(wall_ms, gate, reasons);
                CREATE TABLE statuses (
                    id TEXT PRIMARY KEY, lane TEXT NOT NULL, gate TEXT NOT NULL, source TEXT NOT NULL, frame INTEGER NOT NULL,
                    time_s REAL NOT NULL, wall_ms INTEGER NOT NULL, wall_utc TEXT NOT NULL,
                    state TEXT NOT NULL, reasons TEXT NOT NULL);
                CREATE INDEX statuses_wall ON statuses(wall_ms);
                CREATE TABLE counts (
                    id TEXT PRIMARY KEY, lane TEXT NOT NULL, gate TEXT NOT NULL, source TEXT NOT NULL, frame INTEGER NOT NULL,
                    time_s REAL NOT NULL, wall_ms INTEGER NOT NULL, wall_utc TEXT NOT NULL,
                    track INTEGER NOT NULL, direction TEXT NOT NULL);
                CREATE INDEX counts_wall ON counts(wall_ms);
                CREATE TABLE headcounts (
                    minute_ms INTEGER NOT NULL, lane TEXT NOT NULL, gate TEXT NOT NULL, direction TEXT NOT NULL,
                    people INTEGER NOT NULL, PRIMARY KEY (minute_ms, lane, direction)) WITHOUT ROWID;
                CREATE TABLE acknowledgements (
                    event_id TEXT NOT NULL, wall_ms INTEGER NOT NULL, wall_utc TEXT NOT NULL, by TEXT NOT NULL, via TEXT NOT NULL);
                CREATE INDEX acknowledgements_event ON acknowledgements(event_id);
                CREATE TABLE calibrations (
                    wall_ms INTEGER NOT NULL, wall_utc TEXT NOT NULL, gain REAL NOT NULL, offset_c REAL NOT NULL,
                    passed INTEGER NOT NULL, record TEXT NOT NULL);
                """)
        }
        m.registerMigration("v2") { db in
            // What the public stream does not carry, beside each decision and rejection; each
            // person's track and the views of the scene tracks are drawn over.
            for table in ["decisions", "rejections"] {
                for column in ["box_min_x", "box_min_y", "box_max_x", "box_max_y"] {
                    try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(column) INTEGER")
                }
            }
            try db.execute(sql: """
                ALTER TABLE decisions ADD COLUMN reference_c REAL;
                ALTER TABLE decisions ADD COLUMN reference_offset_k REAL;
                CREATE TABLE views (
                    id TEXT PRIMARY KEY, lane TEXT NOT NULL, source TEXT NOT NULL, frame INTEGER NOT NULL,
                    wall_ms INTEGER NOT NULL, wall_utc TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
                    jpeg BLOB NOT NULL);
                CREATE INDEX views_wall ON views(wall_ms);
                CREATE TABLE tracks (
                    id TEXT PRIMARY KEY, lane TEXT NOT NULL, gate TEXT NOT NULL, source TEXT NOT NULL, track INTEGER NOT NULL,
                    continues INTEGER, event_id TEXT, outcome TEXT,
                    first_frame INTEGER NOT NULL, last_frame INTEGER NOT NULL, first_time_s REAL NOT NULL, last_time_s REAL NOT NULL,
                    wall_ms INTEGER NOT NULL, wall_utc TEXT NOT NULL, point_count INTEGER NOT NULL,
                    points TEXT NOT NULL, view_id TEXT);
                CREATE INDEX tracks_wall ON tracks(wall_ms);
                CREATE INDEX tracks_event ON tracks(event_id);
                CREATE INDEX tracks_view ON tracks(view_id);
                """)
        }
        m.registerMigration("v3") { db in
            // The webhooks' outbox (Outbox.swift): `seq` is the order of sending.
            try db.execute(sql: """
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, sink TEXT NOT NULL, event_id TEXT NOT NULL, wall_ms INTEGER NOT NULL,
                    body TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
                    status INTEGER, done_ms INTEGER, failure TEXT, UNIQUE (sink, event_id));
                CREATE INDEX outbox_pending ON outbox(sink, seq) WHERE state = 'pending';
                CREATE INDEX outbox_wall ON outbox(wall_ms);
                """)
        }
        return m
    }()

    /// Where snapshots go: `snapshots/` beside the database.
    public var directory: String { (path as NSString).deletingLastPathComponent }

    /// Writes `records` in one transaction; rows already there (same id) are left as they are.
    /// Throws on a full disk, a read-only file system or a lock held past the busy timeout:
    /// nothing of the batch is then written (the caller holds it and tries again).
    public func write(_ records: [LaneRecord]) throws {
        do {
            try db.write { db in
                for r in records {
                    switch r {
                    case .event(let e):
                        try Self.insert(e, into: db)
                        if !outboxRoutes.isEmpty { try Self.enqueue(e, routes: outboxRoutes, into: db) }
                    case .track(let t): try Self.insert(t, into: db)
                    case .acknowledgement(let a): try Self.insert(a, into: db)
                    }
                }
            }
        } catch let e as DatabaseError {
            throw RecordsError(path: path, message: Self.describe(e))
        }
    }

    public func write(_ records: [EventRecord]) throws { try write(records.map(LaneRecord.event)) }

    static func insert(_ t: TrackRecord, into db: Database) throws {
        if let id = t.viewID, let view = t.view, let jpeg = t.viewJPEG {
            let s = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO views (id, lane, source, frame, wall_ms, wall_utc, width, height, jpeg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            let frame = Int(id.split(separator: "/").last ?? "") ?? 0
            try Binder.run(s, in: db) { b in
                b.add(id); b.add(t.lane); b.add(t.source); b.add(frame); b.add(t.wallMs); b.add(utcText(t.wallMs))
                b.add(view.width); b.add(view.height); b.add(blob: jpeg)
            }
        }
        let s = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO tracks (id, lane, gate, source, track, continues, event_id, outcome, first_frame, last_frame,
                first_time_s, last_time_s, wall_ms, wall_utc, point_count, points, view_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let first = t.points.first, last = t.points.last
        try Binder.run(s, in: db) { b in
            b.add(t.id); b.add(t.lane); b.add(t.gate); b.add(t.source); b.add(t.track); b.add(t.continues); b.add(t.eventID); b.add(t.outcome)
            b.add(first?.frame ?? 0); b.add(last?.frame ?? 0); b.add(milli(first?.timeS ?? 0)); b.add(milli(last?.timeS ?? 0))
            b.add(t.wallMs); b.add(utcText(t.wallMs)); b.add(t.points.count); b.add(utf8: pointsJSON(t.points)); b.add(t.viewID)
        }
    }

    /// `[[time_s, x, y, width, height], …]`: seconds since the source's start, the face box's
    /// centre and size in upright pixels (readable with SQLite's json_each).
    static func pointsJSON(_ points: [TrajectoryPoint]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(points.count * 30 + 2)
        for (i, p) in points.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "["))
            ResultTable.appendFixed(p.timeS, places: 3, to: &out)
            out.append(UInt8(ascii: ","))
            ResultTable.appendFixed(p.x, places: 1, to: &out)
            out.append(UInt8(ascii: ","))
            ResultTable.appendFixed(p.y, places: 1, to: &out)
            out.append(UInt8(ascii: ","))
            ResultTable.appendInt(Int64(max(0, p.width)), to: &out)
            out.append(UInt8(ascii: ","))
            ResultTable.appendInt(Int64(max(0, p.height)), to: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    static func insert(_ r: EventRecord, into db: Database) throws {
        let e = r.event
        let utc = utcText(r.wallMs)
        // The columns every event table begins with.
        func common(_ b: inout Binder) {
            b.add(e.id); b.add(e.lane); b.add(e.gate); b.add(e.source); b.add(e.frame); b.add(milli(e.timeS)); b.add(r.wallMs); b.add(utc)
        }
        switch e.body {
        case .decision(let d):
            let s = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO decisions (id, lane, gate, source, frame, time_s, wall_ms, wall_utc, track, canthus_c, body_c, raw,
                    level, mode, threshold_c, frames, reasons, distance_m, calibration_gain, calibration_offset_c, snapshot,
                    box_min_x, box_min_y, box_max_x, box_max_y, reference_c, reference_offset_k)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try Binder.run(s, in: db) { b in
                common(&b)
                b.add(d.track); b.add(milli(d.canthusC)); b.add(milli(d.temperatureC)); b.add(d.raw); b.add(d.level.rawValue); b.add(d.mode.rawValue)
                b.add(milli(d.thresholdC)); b.add(d.frames); b.add(jsonList(d.reasons)); b.add(d.distanceM.map(milli))
                b.add(r.calibrationGain); b.add(r.calibrationOffsetC); b.add(r.snapshotPath)
                b.add(r.faceBox); b.add(r.referenceC.map(milli)); b.add(r.referenceOffsetK.map(milli))
            }
        case .rejected(let track, let reasons, let distance):
            let s = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO rejections (id, lane, gate, source, frame, time_s, wall_ms, wall_utc, track, reasons, distance_m,
                    box_min_x, box_min_y, box_max_x, box_max_y)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try Binder.run(s, in: db) { b in
                common(&b); b.add(track); b.add(jsonList(reasons)); b.add(distance.map(milli)); b.add(r.faceBox)
            }
        case .status(let state, let reasons):
            let s = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO statuses (id, lane, gate, source, frame, time_s, wall_ms, wall_utc, state, reasons)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try Binder.run(s, in: db) { b in common(&b); b.add(state.rawValue); b.add(jsonList(reasons)) }
        case .count(let track, let direction):
            let s = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO counts (id, lane, gate, source, frame, time_s, wall_ms, wall_utc, track, direction)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            try Binder.run(s, in: db) { b in common(&b); b.add(track); b.add(direction.rawValue) }
            // The per-minute rollup counts each count row once (a replayed row is ignored above).
            if db.changesCount > 0 {
                let h = try db.cachedStatement(sql: """
                    INSERT INTO headcounts (minute_ms, lane, gate, direction, people) VALUES (?, ?, ?, ?, 1)
                    ON CONFLICT (minute_ms, lane, direction) DO UPDATE SET people = people + 1
                    """)
                try Binder.run(h, in: db) { b in b.add(r.wallMs - r.wallMs % 60_000); b.add(e.lane); b.add(e.gate); b.add(direction.rawValue) }
            }
        }
    }

    static func insert(_ a: Acknowledgement, into db: Database) throws {
        try db.execute(sql: "INSERT INTO acknowledgements (event_id, wall_ms, wall_utc, by, via) VALUES (?, ?, ?, ?, ?)",
                       arguments: [a.eventID, a.wallMs, utcText(a.wallMs), a.by, a.via])
    }

    /// One `canthus calibrate` run, passed or not: its fit and the whole record (JSON).
    public func recordCalibration(wallMs: Int64, gain: Double, offsetC: Double, passed: Bool, json: String) throws {
        do {
            try db.write { db in
                try db.execute(sql: "INSERT INTO calibrations (wall_ms, wall_utc, gain, offset_c, passed, record) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [wallMs, Self.utcText(wallMs), gain, offsetC, passed, json])
            }
        } catch let e as DatabaseError { throw RecordsError(path: path, message: Self.describe(e)) }
    }

    /// Deletes rows older than `cutoffMs` (wall clock), `batch` rows per transaction so the
    /// writer never waits long, and the snapshot files of the decisions deleted (after their
    /// rows are gone: a crash between the two leaves a file no row names, never a row naming no
    /// file), then views no track uses any more, then gives freed pages back (incremental
    /// vacuum).
    @discardableResult
    public func purge(olderThanMs cutoffMs: Int64, batch: Int = 2000) throws -> Purged {
        var deleted: [String: Int] = [:], files = 0
        do {
            for (table, column) in [("decisions", "wall_ms"), ("rejections", "wall_ms"), ("statuses", "wall_ms"), ("counts", "wall_ms"),
                                    ("headcounts", "minute_ms"), ("acknowledgements", "wall_ms"), ("calibrations", "wall_ms"),
                                    ("tracks", "wall_ms"), ("outbox", "wall_ms")] {
                // headcounts has no rowid: its key instead.
                let (key, keyList) = table == "headcounts" ? ("(minute_ms, lane, direction)", "minute_ms, lane, direction") : ("rowid", "rowid")
                while true {
                    let (n, snapshots) = try db.write { db -> (Int, [String]) in
                        let chosen = "SELECT \(keyList) FROM \(table) WHERE \(column) < ? LIMIT ?"
                        let files = table == "decisions"
                            ? try String.fetchAll(db, sql: "SELECT snapshot FROM decisions WHERE rowid IN (\(chosen)) AND snapshot IS NOT NULL",
                                                  arguments: [cutoffMs, batch])
                            : []
                        try db.execute(sql: "DELETE FROM \(table) WHERE \(key) IN (\(chosen))", arguments: [cutoffMs, batch])
                        return (db.changesCount, files)
                    }
                    for f in snapshots where unlink(directory + "/" + f) == 0 { files += 1 }
                    deleted[table, default: 0] += n
                    if n < batch { break }
                }
            }
            deleted["views"] = try db.write { db -> Int in
                try db.execute(sql: "DELETE FROM views WHERE wall_ms < ? AND id NOT IN (SELECT view_id FROM tracks WHERE view_id IS NOT NULL)",
                               arguments: [cutoffMs])
                return db.changesCount
            }
            try db.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA incremental_vacuum") }
        } catch let e as DatabaseError { throw RecordsError(path: path, message: Self.describe(e)) }
        removeEmptySnapshotDays()
        return Purged(rows: deleted, snapshotFiles: files)
    }

    /// What a purge deleted: rows per table, and snapshot files.
    public struct Purged: Sendable, CustomStringConvertible {
        public var rows: [String: Int]
        public var snapshotFiles: Int
        public var total: Int { rows.values.reduce(0, +) }
        /// "13 records (counts 3, decisions 3, …) and 1 snapshot".
        public var description: String {
            let each = rows.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            return "\(total) record\(total == 1 ? "" : "s")" + (each.isEmpty ? "" : " (" + each.joined(separator: ", ") + ")")
                + (snapshotFiles > 0 ? " and \(snapshotFiles) snapshot\(snapshotFiles == 1 ? "" : "s")" : "")
        }
    }

    /// `snapshots/` holds a folder per day (UTC): those emptied by a purge go.
    private func removeEmptySnapshotDays() {
        let root = directory + "/" + Self.snapshotsFolder
        guard let days = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for day in days { rmdir(root + "/" + day) }   // fails, harmlessly, unless empty
    }

    public static let snapshotsFolder = "snapshots"

    /// Three decimals, as the event stream has them.
    static func milli(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    static func jsonList(_ items: [String]) -> String {
        "[" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "]"
    }

    /// `2026-11-30T18:17:00.123Z`.
    public static func utcText(_ ms: Int64) -> String {
        var t = time_t(ms >= 0 ? ms / 1000 : (ms - 999) / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func two(_ n: Int32) { out.append(UInt8(48 + n / 10 % 10)); out.append(UInt8(48 + n % 10)) }
        ResultTable.appendInt(Int64(parts.tm_year) + 1900, to: &out)
        out.append(UInt8(ascii: "-")); two(parts.tm_mon + 1)
        out.append(UInt8(ascii: "-")); two(parts.tm_mday)
        out.append(UInt8(ascii: "T")); two(parts.tm_hour)
        out.append(UInt8(ascii: ":")); two(parts.tm_min)
        out.append(UInt8(ascii: ":")); two(parts.tm_sec)
        let milli = Int32(((ms % 1000) + 1000) % 1000)
        out.append(UInt8(ascii: ".")); out.append(UInt8(48 + milli / 100)); two(milli % 100)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
}
