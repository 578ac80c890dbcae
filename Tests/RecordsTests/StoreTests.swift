import Foundation
import GRDB
import Testing
import TestSupport
@testable import Records
@testable import Screening

/// The records store on a real SQLite database.
@Suite struct StoreTests {
    static func records(source: String = "gate.canthus", wallMs: Int64 = 1_796_065_200_000) -> [EventRecord] {
        func event(_ frame: Int, _ body: Event.Body, ordinal: Int = 0) -> Event {
            var e = Event(source: source, frame: frame, timeS: Double(frame) / 9, body: body)
            e.lane = "north"
            e.gate = "North entrance 北门"
            e.ordinal = ordinal
            return e
        }
        let events = [
            event(0, .status(state: .screening, reasons: [])),
            event(18, .decision(Decision(track: 1, canthusC: 35.4861, temperatureC: 36.8861, raw: 30865, level: .normal, mode: .absolute,
                                         thresholdC: 37.5, frames: 5, reasons: [], distanceM: 0.8839))),
            event(57, .decision(Decision(track: 2, canthusC: 36.983, temperatureC: 38.383, raw: 31500, level: .alarm, mode: .absolute,
                                         thresholdC: 37.5, frames: 5, reasons: ["glasses"], distanceM: 0.85))),
            event(60, .rejected(track: 4, reasons: ["too_far", "motion"], distanceM: 3.2)),
            event(61, .rejected(track: 5, reasons: ["too_far"], distanceM: nil)),
            event(70, .count(track: 1, direction: .in)),
            event(70, .count(track: 2, direction: .out), ordinal: 1),
            event(71, .count(track: 3, direction: .in)),
        ]
        return events.enumerated().map { EventRecord(event: $1, wallMs: wallMs + Int64($0) * 1000, calibrationGain: 1.01, calibrationOffsetC: -0.2) }
    }

    func count(_ db: DatabasePool, _ table: String) throws -> Int {
        try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? -1 }
    }

    @Test func eachEventGoesToItsTableOnceAndHeadcountsRollUp() throws {
        let path = Project.temporaryDirectory() + "/canthus.sqlite"
        let store = try RecordStore(path: path)
        try store.write(Self.records())
        // The same records again (a replay written twice): no new rows, headcounts unchanged.
        try store.write(Self.records())
        #expect(try count(store.db, "decisions") == 2 && count(store.db, "rejections") == 2)
        #expect(try count(store.db, "statuses") == 1 && count(store.db, "counts") == 3)
        let people = try store.db.read { try Row.fetchAll($0, sql: "SELECT direction, people FROM headcounts ORDER BY direction") }
        #expect(people.map { "\($0["direction"] as String) \($0["people"] as Int)" } == ["in 2", "out 1"])
        let alarm = try #require(try store.db.read { try Row.fetchOne($0, sql: "SELECT * FROM decisions WHERE level = 'alarm'") })
        #expect(alarm["id"] as String == "north/gate.canthus/57/0")
        #expect(alarm["gate"] as String == "North entrance 北门")
        #expect(alarm["body_c"] as Double == 38.383 && alarm["distance_m"] as Double == 0.85)
        #expect(alarm["reasons"] as String == #"["glasses"]"#)
        #expect(alarm["wall_utc"] as String == "2026-11-30T19:00:02.000Z")
        #expect(alarm["calibration_gain"] as Double == 1.01 && alarm["calibration_offset_c"] as Double == -0.2)
        let normal = try #require(try store.db.read { try Row.fetchOne($0, sql: "SELECT body_c, distance_m FROM decisions WHERE level = 'normal'") })
        #expect(normal["body_c"] as Double == 36.886 && normal["distance_m"] as Double == 0.884, "three decimals, as the event stream")
        // The plain sqlite3 shell reads it.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        shell.arguments = [path, "SELECT count(*) FROM decisions; PRAGMA integrity_check;"]
        let pipe = Pipe()
        shell.standardOutput = pipe
        try shell.run()
        shell.waitUntilExit()
        #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "2\nok\n")
    }

    @Test func queriesAnswerTheOfficersQuestions() throws {
        let path = Project.temporaryDirectory() + "/canthus.sqlite"
        try RecordStore(path: path).write(Self.records())
        let reader = try RecordReader(path: path)
        let alarms = try reader.decisions(.init(level: "alarm"))
        #expect(alarms.rows.count == 1)
        let row = Dictionary(uniqueKeysWithValues: zip(alarms.columns, alarms.rows[0]))
        #expect(row["id"] == .text("north/gate.canthus/57/0") && row["body_c"] == .real(38.383) && row["reasons"] == .text("glasses"))
        #expect(try reader.decisions(.init(gate: "South")).rows.isEmpty)
        #expect(try reader.decisions(.init(sinceMs: 1_796_065_202_000)).rows.count == 1)
        #expect(try reader.decisions(.init(limit: 1)).rows.count == 1)
        let stats = try reader.stats(by: .hour, .init())
        #expect(stats.rows.count == 1)
        let s = Dictionary(uniqueKeysWithValues: zip(stats.columns, stats.rows[0]))
        #expect(s["counted_in"] == .int(2) && s["counted_out"] == .int(1) && s["screened"] == .int(2) && s["rejected"] == .int(2))
        #expect(s["rejected_by_reason"] == .text("too_far 2, motion 1"))
        #expect(s["alarms"] == .int(1) && s["prealarms"] == .int(0) && s["max_body_c"] == .real(38.383))
        #expect(s["gate"] == .text("North entrance 北门"))
    }

    @Test func csvOpensInASpreadsheetWithChineseTextIntact() {
        let t = ResultTable(columns: ["gate", "note", "body_c"], rows: [[.text("北门, east"), .text("said \"hot\""), .real(38.3829)], [.text("南门"), .null, .int(37)]])
        let csv = t.render(.csv, bom: true)
        #expect(Array(csv.utf8.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(csv.dropFirst() == "gate,note,body_c\r\n\"北门, east\",\"said \"\"hot\"\"\",38.383\r\n南门,,37\r\n")
        #expect(t.render(.ndjson) == "{\"gate\":\"北门, east\",\"note\":\"said \\\"hot\\\"\",\"body_c\":38.383}\n{\"gate\":\"南门\",\"note\":null,\"body_c\":37}\n")
        let json = t.render(.json)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [[String: Any]] != nil)
    }

    @Test func timesPeopleType() throws {
        let utc = TimeZone(identifier: "UTC")!, shanghai = TimeZone(identifier: "Asia/Shanghai")!
        let now = Date(timeIntervalSince1970: 1_796_065_200)   // 2026-11-30T19:00:00Z
        #expect(try TimeSpec.parse("today", now: now, timeZone: utc) == 1_796_083_200_000 - 86_400_000)
        #expect(try TimeSpec.parse("yesterday", now: now, timeZone: utc) == 1_796_083_200_000 - 2 * 86_400_000)
        // Local midnight in Shanghai (UTC+8): 2026-12-01 00:00 there is 16:00 UTC on the 30th.
        #expect(try TimeSpec.parse("today", now: now, timeZone: shanghai) == 1_796_083_200_000 - 8 * 3_600_000)
        #expect(try TimeSpec.parse("24h", now: now) == 1_796_065_200_000 - 86_400_000)
        #expect(try TimeSpec.parse("7d", now: now) == 1_796_065_200_000 - 7 * 86_400_000)
        #expect(try TimeSpec.parse("90m", now: now) == 1_796_065_200_000 - 5_400_000)
        #expect(try TimeSpec.parse("2026-11-30", timeZone: utc) == 1_796_083_200_000 - 86_400_000)
        #expect(try TimeSpec.parse("2026-11-30T19:00", timeZone: shanghai) == 1_796_065_200_000 - 8 * 3_600_000)
        #expect(try TimeSpec.parse("2026-11-30T19:00:00Z", timeZone: shanghai) == 1_796_065_200_000)
        #expect(try TimeSpec.parse("2026-11-30T19:00:00+08:00") == 1_796_065_200_000 - 8 * 3_600_000)
        #expect(try TimeSpec.parse("2026-11-30 19:00", timeZone: utc) == 1_796_065_200_000)
        for bad in ["", "tomorrowish", "2026-13-01", "-5d", "24 hours"] {
            #expect(throws: RecordsError.self, "\(bad)") { try TimeSpec.parse(bad, now: now) }
        }
    }

    /// The webhooks' outbox: a decision it asked for is in it exactly when its row is, in the
    /// order written; each leaves once, delivered or refused; a failed attempt keeps it first.
    @Test func theOutboxHoldsEachWantedDecisionOnceInOrder() throws {
        let path = Project.temporaryDirectory() + "/canthus.sqlite"
        let routes = [OutboxRoute(sink: "all", levels: [.normal, .prealarm, .alarm], lanes: nil),
                      OutboxRoute(sink: "alarms", levels: [.alarm], lanes: ["north"]),
                      OutboxRoute(sink: "south", levels: [.alarm], lanes: ["south"])]
        let store = try RecordStore(path: path, outbox: routes)
        try store.write(Self.records(source: "a.canthus"))
        try store.write(Self.records(source: "a.canthus"))   // a replay written twice adds nothing
        try store.write(Self.records(source: "b.canthus"))
        #expect(try store.pendingOutbox(sink: "all") == 4 && store.pendingOutbox(sink: "alarms") == 2 && store.pendingOutbox(sink: "south") == 0)
        var first = try #require(try store.nextOutbox(sink: "all"))
        #expect(first.eventID == "north/a.canthus/18/0" && first.attempts == 0)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
        #expect(body["id"] as? String == first.eventID && body["temperature_c"] as? Double == 36.886)
        try store.settleOutbox(seq: first.seq, .failed(why: "down"))
        first = try #require(try store.nextOutbox(sink: "all"))
        #expect(first.eventID == "north/a.canthus/18/0" && first.attempts == 1, "a failed attempt keeps its place")
        try store.settleOutbox(seq: first.seq, .delivered(status: 200))
        let second = try #require(try store.nextOutbox(sink: "all"))
        #expect(second.eventID == "north/a.canthus/57/0")
        try store.settleOutbox(seq: second.seq, .rejected(status: 422, why: "no"))
        #expect(try store.nextOutbox(sink: "all")?.eventID == "north/b.canthus/18/0" && store.pendingOutbox(sink: "all") == 2)
        #expect(try store.nextOutbox(sink: "alarms")?.eventID == "north/a.canthus/57/0", "each sink has its own outbox")
        // A store opened without routes (a query, the retention) adds nothing to the outbox.
        try RecordStore(path: path).write(Self.records(source: "c.canthus"))
        #expect(try store.pendingOutbox(sink: "all") == 2)
        // Purged with the records.
        #expect(try store.purge(olderThanMs: Self.records()[0].wallMs + 60_000).rows["outbox"] == 6)
    }

    @Test func purgeDeletesOnlyWhatIsOlderAndGivesSpaceBack() throws {
        let path = Project.temporaryDirectory() + "/canthus.sqlite"
        let store = try RecordStore(path: path)
        try store.write(Self.records(source: "old.canthus", wallMs: 1_000_000_000_000))
        try store.write(Self.records(source: "new.canthus", wallMs: 1_796_065_200_000))
        let deleted = try store.purge(olderThanMs: 1_700_000_000_000, batch: 1).rows
        #expect(deleted["decisions"] == 2 && deleted["counts"] == 3 && deleted["headcounts"] == 2)
        #expect(try count(store.db, "decisions") == 2)
        #expect(try store.db.read { try String.fetchOne($0, sql: "SELECT DISTINCT source FROM decisions") } == "new.canthus")
        #expect(try store.db.read { try Int.fetchOne($0, sql: "PRAGMA auto_vacuum") } == 2)   // incremental
    }

    static func track(_ n: Int, source: String, wallMs: Int64, view: String?, withView: Bool) -> TrackRecord {
        let points = (0..<5).map { TrajectoryPoint(frame: 10 + $0, timeS: Double(10 + $0) / 9, x: 20 + 10 * Double($0), y: 40.25, width: 22, height: 28) }
        var t = TrackRecord(id: "north/\(source)/track/\(n)", lane: "north", gate: "North entrance 北门", source: source, track: n,
                            wallMs: wallMs, points: points)
        t.eventID = "north/\(source)/18/0"
        t.outcome = "normal"
        t.viewID = view
        if withView { t.view = Thermogram(celsius: [20, 21, 22, 23], width: 2, height: 2); t.viewJPEG = [0xFF, 0xD8, 0xFF, 0xD9] }
        return t
    }

    @Test func tracksViewsAcknowledgementsAndSnapshotsAreKeptAndPurged() throws {
        let dir = Project.temporaryDirectory()
        let store = try RecordStore(path: dir + "/canthus.sqlite")
        var old = Self.records(source: "old.canthus", wallMs: 1_000_000_000_000)
        old[2].snapshotPath = "snapshots/2001-09-09/north_old.canthus_57_0.jpg"
        old[2].faceBox = Box(minX: 50, minY: 30, maxX: 71, maxY: 57)
        old[2].referenceC = 35.0123
        try FileManager.default.createDirectory(atPath: dir + "/snapshots/2001-09-09", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/" + old[2].snapshotPath!, contents: Data([0xFF, 0xD8]))
        try store.write(old.map(LaneRecord.event) + [
            .track(Self.track(1, source: "old.canthus", wallMs: 1_000_000_001_000, view: "north/old.canthus/view/20", withView: true)),
            .track(Self.track(2, source: "old.canthus", wallMs: 1_000_000_002_000, view: "north/old.canthus/view/20", withView: false)),
            .acknowledgement(Acknowledgement(eventID: "north/old.canthus/57/0", by: "guard", via: "control socket (pid 7)", wallMs: 1_000_000_003_000)),
        ])
        // A view older than the cutoff still used by a newer track stays.
        try store.write([
            .track(Self.track(3, source: "new.canthus", wallMs: 1_796_065_200_000, view: "north/new.canthus/view/5", withView: true)),
            .track(Self.track(4, source: "old.canthus", wallMs: 1_796_065_200_000, view: "north/old.canthus/view/20", withView: false)),
        ])
        let row = try #require(try store.db.read { try Row.fetchOne($0, sql: "SELECT * FROM decisions WHERE level = 'alarm'") })
        #expect(row["box_min_x"] as Int == 50 && row["box_max_y"] as Int == 57 && row["reference_c"] as Double == 35.012)
        #expect(row["snapshot"] as String == "snapshots/2001-09-09/north_old.canthus_57_0.jpg")
        let t = try #require(try store.db.read { try Row.fetchOne($0, sql: "SELECT * FROM tracks WHERE track = 1") })
        #expect(t["points"] as String == "[[1.111,20.0,40.3,22,28],[1.222,30.0,40.3,22,28],[1.333,40.0,40.3,22,28],[1.444,50.0,40.3,22,28],[1.556,60.0,40.3,22,28]]")
        #expect(t["point_count"] as Int == 5 && t["first_frame"] as Int == 10 && t["last_frame"] as Int == 14 && t["event_id"] as String == "north/old.canthus/18/0")
        #expect(try count(store.db, "views") == 2 && count(store.db, "acknowledgements") == 1)
        let ack = try #require(try store.db.read { try Row.fetchOne($0, sql: "SELECT * FROM acknowledgements") })
        #expect(ack["by"] as String == "guard" && ack["via"] as String == "control socket (pid 7)")

        let purged = try store.purge(olderThanMs: 1_700_000_000_000, batch: 1)
        #expect(purged.rows["tracks"] == 2 && purged.rows["acknowledgements"] == 1 && purged.rows["views"] == 0 && purged.snapshotFiles == 1, "\(purged)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/" + old[2].snapshotPath!))
        #expect(!FileManager.default.fileExists(atPath: dir + "/snapshots/2001-09-09"), "the emptied day's folder goes")
        #expect(try count(store.db, "views") == 2 && count(store.db, "tracks") == 2)
        // Once no track uses it, the old view goes too.
        try store.db.write { try $0.execute(sql: "DELETE FROM tracks WHERE track = 4") }
        #expect(try store.purge(olderThanMs: 1_700_000_000_000).rows["views"] == 1)
    }

    /// A store written by the first release (schema v1) is migrated in place: its rows kept,
    /// the new columns empty, the new tables there.
    @Test func aFirstReleaseStoreIsMigratedKeepingItsRows() throws {
        let path = Project.temporaryDirectory() + "/v1.sqlite"
        let pool = try DatabasePool(path: path)
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA application_id = \(RecordStore.applicationID)") }
        try RecordStore.migrator.migrate(pool, upTo: "v1")
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO decisions (id, lane, gate, source, frame, time_s, wall_ms, wall_utc, track, canthus_c, body_c, raw, level, mode,
                                       threshold_c, frames, reasons)
                VALUES ('main/a/1/0', 'main', '', 'a', 1, 0.1, 1, '1970-01-01T00:00:00.001Z', 1, 35.5, 36.9, 30000, 'normal', 'absolute', 37.5, 5, '[]')
                """)
        }
        try pool.close()
        let store = try RecordStore(path: path)
        let row = try #require(try store.db.read { try Row.fetchOne($0, sql: "SELECT body_c, box_min_x, reference_c FROM decisions") })
        #expect(row["body_c"] as Double == 36.9 && (row["box_min_x"] as Int?) == nil && (row["reference_c"] as Double?) == nil)
        #expect(try count(store.db, "tracks") == 0 && count(store.db, "views") == 0)
        #expect(try store.db.read { try RecordStore.migrator.appliedIdentifiers($0) } == ["v1", "v2", "v3"])
    }

    @Test func aDatabaseThatIsNotCanthussOrNewerIsRefused() throws {
        let dir = Project.temporaryDirectory()
        let other = dir + "/other.sqlite"
        let q = try DatabaseQueue(path: other)
        try q.write { try $0.execute(sql: "CREATE TABLE t (x)") }
        for open in [{ _ = try RecordStore(path: other) }, { _ = try RecordReader(path: other) }] {
            do { try open(); Issue.record("opened a database that is not canthus's") } catch {
                #expect("\(error)" == "\(other): is not a canthus records database (application id 0)")
            }
        }
        let text = dir + "/notes.sqlite"
        try "not a database at all, just text that is long enough to be a header".write(toFile: text, atomically: true, encoding: .utf8)
        do { _ = try RecordReader(path: text); Issue.record("opened text") } catch { #expect("\(error)" == "\(text): is not an SQLite database") }
        do { _ = try RecordReader(path: dir + "/absent.sqlite"); Issue.record("opened nothing") } catch {
            #expect("\(error)".hasPrefix("\(dir)/absent.sqlite: no records database here"))
        }
        // A later canthus added a migration this binary does not know.
        let newer = dir + "/newer.sqlite"
        _ = try RecordStore(path: newer)
        let w = try DatabaseQueue(path: newer)
        try w.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        for open in [{ _ = try RecordStore(path: newer) }, { _ = try RecordReader(path: newer) }] {
            do { try open(); Issue.record("opened a newer schema") } catch {
                #expect("\(error)".contains("was written by a newer canthus"))
            }
        }
    }
}
