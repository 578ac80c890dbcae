import Foundation
import Picture
import Testing
import TestSupport

/// The records commands on stores that `canthus replay --store` and `canthus run` wrote, and the
/// store's behaviour when the writing process is killed or the disk fills.
@Suite struct RecordsCLITests {
    func sqlite(_ path: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, sql]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return out
    }

    @Test func statsOfTheDemoAgreeWithEvalAndAReplayGivesTheSameRows() throws {
        let dir = Project.temporaryDirectory()
        let demo = Project.path("Fixtures/demo.canthus")
        for n in 1...2 {
            let r = try CLI.run(["replay", demo, "--store", "\(dir)/\(n).sqlite", "--format", "ndjson"])
            #expect(r.status == 0, "\(r.stderr)")
        }
        // Same rows (wall-clock columns aside).
        let rows = "SELECT id, lane, gate, source, frame, time_s, track, canthus_c, body_c, raw, level, mode, threshold_c, frames, reasons, distance_m FROM decisions ORDER BY id; SELECT id, state, reasons FROM statuses ORDER BY id; SELECT id, track, direction FROM counts ORDER BY id; SELECT id, track, reasons FROM rejections ORDER BY id; SELECT id, event_id, outcome, points, view_id FROM tracks ORDER BY id; SELECT id, frame, width, height, length(jpeg) > 0 FROM views ORDER BY id; SELECT substr(snapshot, 23) FROM decisions ORDER BY id;"
        let first = try sqlite("\(dir)/1.sqlite", rows), second = try sqlite("\(dir)/2.sqlite", rows)
        #expect(first == second && first.split(separator: "\n").count >= 6, "\(first)")

        let stats = try CLI.run(["stats", "--store", "\(dir)/1.sqlite", "--by", "day", "--format", "json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let day = try #require((try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [[String: Any]])?.first)
        let eval = try CLI.run(["eval", demo, "--json"])
        let e = try #require(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        func int(_ any: Any?) -> Int? { (any as? NSNumber)?.intValue }
        #expect(int(day["screened"]) == int(e["decisions"]), "stats \(day) eval \(e)")
        #expect(int(day["alarms"]) == 1)
        let counted = (int(day["counted_in"]) ?? 0) + (int(day["counted_out"]) ?? 0) + (int(day["counted_pass"]) ?? 0)
        // eval's headcount: the people in the truth plus its counting error.
        #expect(counted == (int(e["people"]) ?? -1) + (int(e["headcount_error"]) ?? -1), "stats \(day) eval \(e)")

        // The export streams rows as it reads them; `events` renders a table it holds: the same text.
        for format in ["csv", "json", "ndjson"] {
            let exported = try CLI.run(["export", "decisions", "--store", "\(dir)/1.sqlite", "--format", format])
            let listed = try CLI.run(["events", "--store", "\(dir)/1.sqlite", "--format", format])
            #expect(exported.status == 0 && exported.stdout == listed.stdout && !exported.stdout.isEmpty, "\(format)")
        }
        let csv = try CLI.run(["export", "decisions", "--store", "\(dir)/1.sqlite", "--format", "csv", "--bom", "--level", "alarm"])
        #expect(csv.status == 0)
        #expect(csv.stdout.hasPrefix("\u{FEFF}id,time_utc,time_local,lane,gate,track,level,body_c,canthus_c,threshold_c,mode,frames,distance_m,reasons,source,frame,reference_c,snapshot\r\n"))
        #expect(csv.stdout.split(separator: "\r\n").count == 2 && csv.stdout.contains(",alarm,38.592,"), "\(csv.stdout)")
    }

    /// The demo's three people: each one's track linked to the decision about them, the alarm's
    /// snapshot beside the database, and the picture of the tracks with the alarm's in red.
    @Test func theDemosTracksSnapshotAndPicture() throws {
        let dir = Project.temporaryDirectory()
        let store = "\(dir)/canthus.sqlite"
        let replay = try CLI.run(["replay", Project.path("Fixtures/demo.canthus"), "--store", store])
        #expect(replay.status == 0, "\(replay.stderr)")
        let listed = try CLI.run(["tracks", "--store", store, "--format", "json", "--points"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let tracks = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(tracks.count == 3)
        let decisions = try sqlite(store, "SELECT track || ' ' || id || ' ' || level FROM decisions ORDER BY track;").split(separator: "\n")
        #expect(decisions.count == 3)
        for d in decisions {
            let parts = d.split(separator: " ").map(String.init)
            let t = try #require(tracks.first { ($0["track"] as? NSNumber)?.intValue == Int(parts[0]) }, "no track for \(d)")
            #expect(t["event_id"] as? String == parts[1] && t["outcome"] as? String == parts[2], "\(t)")
            #expect(((t["point_count"] as? NSNumber)?.intValue ?? 0) >= 10 && (t["points"] as? String)?.hasPrefix("[[") == true, "\(t)")
        }
        // The alarm's snapshot: a JPEG file named by its decision; none for normal readings.
        let snapshots = try sqlite(store, "SELECT level || ' ' || coalesce(snapshot, '-') FROM decisions ORDER BY track;").split(separator: "\n")
        #expect(snapshots.filter { $0.hasPrefix("normal -") }.count == 2, "\(snapshots)")
        let shot = try #require(snapshots.first { $0.hasPrefix("alarm snapshots/") }.map { String($0.dropFirst(6)) }, "\(snapshots)")
        let jpeg = try #require(FileManager.default.contents(atPath: "\(dir)/\(shot)"))
        #expect(jpeg.count > 1000 && jpeg.prefix(2) == Data([0xFF, 0xD8]))
        let picture = try Picture(jpeg: [UInt8](jpeg))
        #expect(picture.width >= 100 && picture.height >= 100)

        // The picture: the alarm's path red along its points, the others green; one track alone is drawn alone.
        func points(_ t: [String: Any]) throws -> [[Double]] {
            try #require(try JSONSerialization.jsonObject(with: Data(((t["points"] as? String) ?? "").utf8)) as? [[Double]])
        }
        func isRed(_ c: RGB) -> Bool { c.r > 200 && c.g < 110 && c.b < 110 }
        func isGreen(_ c: RGB) -> Bool { c.g > 180 && c.r < 140 && c.b < 160 }
        let all = try CLI.run(["tracks", "--store", store, "--image", "\(dir)/tracks.png"])
        #expect(all.status == 0 && all.stdout.contains("3 tracks"), "\(all.stdout)\(all.stderr)")
        let image = try Picture(pngFile: "\(dir)/tracks.png")
        let scale = image.width / 160
        #expect(scale >= 2 && image.height == 120 * scale)
        let alarm = try #require(tracks.first { $0["outcome"] as? String == "alarm" })
        let path = try points(alarm)
        // Mid-path points of the alarm's track (its ends may be under another's label or dot).
        var red = 0
        for p in path[(path.count / 4)..<(3 * path.count / 4)] {
            let x = Int((p[1] + 0.5) * Double(scale)), y = Int((p[2] + 0.5) * Double(scale))
            if isRed(image[x, y]) { red += 1 }
        }
        #expect(red >= path.count / 2 - 1, "\(red) of the alarm track's middle points are red")
        var reds = 0, greens = 0
        for y in 0..<image.height { for x in 0..<image.width { if isRed(image[x, y]) { reds += 1 }; if isGreen(image[x, y]) { greens += 1 } } }
        #expect(reds > 100 && greens > 200, "\(reds) red, \(greens) green pixels")
        let one = try CLI.run(["tracks", "--store", store, "--track", try #require(alarm["event_id"] as? String), "--image", "\(dir)/alarm.png"])
        #expect(one.status == 0 && one.stdout.contains("1 track"), "\(one.stdout)\(one.stderr)")
        let alone = try Picture(pngFile: "\(dir)/alarm.png")
        var aloneGreens = 0
        for y in 0..<alone.height { for x in 0..<alone.width where isGreen(alone[x, y]) { aloneGreens += 1 } }
        #expect(aloneGreens == 0)

        // Privacy: no pictures at all, the same tracks and readings.
        try "records:\n  pictures: false\n".write(toFile: "\(dir)/private.yaml", atomically: true, encoding: .utf8)
        let privateStore = "\(dir)/private/canthus.sqlite"
        #expect(try CLI.run(["replay", Project.path("Fixtures/demo.canthus"), "--config", "\(dir)/private.yaml", "--store", privateStore]).status == 0)
        #expect(try sqlite(privateStore, "SELECT count(*), count(snapshot) FROM decisions; SELECT count(*) FROM views; SELECT count(*), count(view_id) FROM tracks;")
                == "3|0\n0\n3|0\n")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/private/snapshots"))
    }

    /// Each mistake: one line naming what is wrong, exit status non-zero.
    @Test func mistakesAreOneClearLine() throws {
        let dir = Project.temporaryDirectory()
        let store = "\(dir)/s.sqlite"
        #expect(try CLI.run(["replay", Project.path("Fixtures/demo.canthus"), "--store", store]).status == 0)
        try "plain text, not a database; long enough to fill the header page check".write(toFile: "\(dir)/text.sqlite", atomically: true, encoding: .utf8)
        _ = try sqlite("\(dir)/other.sqlite", "CREATE TABLE t (x);")
        _ = try sqlite("\(dir)/newer.sqlite", "SELECT 1;")
        try FileManager.default.removeItem(atPath: "\(dir)/newer.sqlite")
        #expect(try CLI.run(["replay", Project.path("Fixtures/demo.canthus"), "--store", "\(dir)/newer.sqlite"]).status == 0)
        _ = try sqlite("\(dir)/newer.sqlite", "INSERT INTO grdb_migrations (identifier) VALUES ('v99');")
        let cases: [([String], String)] = [
            (["events", "--store", store, "--since", "last tuesday"], "--since/--until: 'last tuesday' is not a time"),
            (["events", "--store", store, "--since", "today", "--until", "yesterday"], "--until (yesterday) is not after --since (today)"),
            (["events", "--store", store, "--format", "xlsx"], "--format: 'xlsx' is not one of table, csv, json, ndjson"),
            (["export", "decisions", "--store", store], "--format is needed: csv, json or ndjson"),
            (["export", "people", "--store", store, "--format", "csv"], "export: 'people' is not one of decisions, tracks, stats"),
            (["tracks", "--store", store, "--level", "red"], "--level: 'red' is not one of alarm, prealarm, normal, rejected, continued"),
            (["tracks", "--store", store, "--track", "99", "--image", "\(dir)/none.png"], "no track matches"),
            (["stats", "--store", store, "--by", "week"], "--by: 'week' is not one of hour, day"),
            (["events", "--store", "\(dir)/missing.sqlite"], "\(dir)/missing.sqlite: no records database here"),
            (["events", "--store", "\(dir)/text.sqlite"], "\(dir)/text.sqlite: is not an SQLite database"),
            (["stats", "--store", "\(dir)/other.sqlite"], "\(dir)/other.sqlite: is not a canthus records database"),
            (["events", "--store", "\(dir)/newer.sqlite"], "\(dir)/newer.sqlite: was written by a newer canthus"),
            (["purge", "--store", store], "give --older-than AGE, or --config with records.retention_days"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(args)
            #expect(r.status != 0, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        let purge = try CLI.run(["purge", "--store", store, "--older-than", "0d"])
        #expect(purge.status == 0 && purge.stdout.contains("purged 12 records (counts 3, decisions 3, headcounts 1, statuses 1, tracks 3, views 1) and 1 snapshot older than"), "\(purge.stdout)\(purge.stderr)")
    }

    /// The writer killed (SIGKILL) at 200 random moments of heavy writing: every transaction it
    /// reported committed is there afterwards, and the database is intact every time.
    @Test func everyAcknowledgedCommitSurvivesSIGKILL() throws {
        let store = Project.temporaryDirectory() + "/crash.sqlite"
        var generator = SystemRandomNumberGenerator()
        var acknowledged = Set<String>()
        var kills = 0
        for _ in 0..<200 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["store-stress", "--store", store, "--batch", "40"]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 40_000...250_000, using: &generator))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .uncaughtSignal { kills += 1 }
            let ids = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
            acknowledged.formUnion(ids.filter { !$0.isEmpty })
            #expect(try sqlite(store, "PRAGMA integrity_check;") == "ok\n")
        }
        #expect(kills >= 190, "only \(kills) of 200 runs were killed while writing")
        #expect(acknowledged.count > 200, "too few commits acknowledged (\(acknowledged.count)) to mean anything")
        // Each acknowledged id is the last row of its transaction: all of them are in the store.
        let present = Set(try sqlite(store, "SELECT id FROM decisions UNION SELECT id FROM counts;").split(separator: "\n").map(String.init))
        let missing = acknowledged.subtracting(present)
        #expect(missing.isEmpty, "\(missing.count) acknowledged commits missing, e.g. \(missing.prefix(3))")
        print("crash test: \(kills) SIGKILLs, \(acknowledged.count) acknowledged transactions, all present; \(present.count) rows; integrity ok after each")
    }
}

/// A small file system that fills up under the running daemon (a size-limited tmpfs the test
/// mounts; root only): screening and events go on, the health model says `records_failing`, the
/// store stays intact, what was held lands once space is freed, and past the bound the dropped
/// count is exact.
@Suite struct FullDiskTests {
    @Test(.enabled(if: getuid() == 0, "mounting a size-limited tmpfs needs root (CI runs as root)"))
    func aFullDiskHoldsRecordsAndTheyLandWhenSpaceIsFreed() throws {
        let dir = Project.temporaryDirectory()
        let mnt = dir + "/small"
        try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
        func sh(_ command: String) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command]
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        try #require(try sh("mount -t tmpfs -o size=3m canthus-test \(mnt)") == 0, "cannot mount a tmpfs")
        defer { _ = try? sh("umount -l \(mnt)") }
        let socket = dir + "/canthus.sock"
        let config = dir + "/canthus.yaml"
        try """
        source:
          replay: [\(Project.path("Fixtures/demo.canthus"))]
          loop: true
        records:
          directory: \(mnt)/records
          events_file: false
          hold_limit: 40
        control:
          socket: \(socket)
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: CLI.binary)
        daemon.arguments = ["run", "--config", config, "--no-view"]
        FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        daemon.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }
        func status() -> [String: Any]? {
            guard let r = try? CLI.run(["status", "--socket", socket, "--json"]), r.status == 0 else { return nil }
            return try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        }
        func records() -> [String: Any]? {
            (status()?["components"] as? [[String: Any]])?.first { $0["name"] as? String == "records" }
        }
        func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline { if condition() { return true }; Thread.sleep(forTimeInterval: 0.1) }
            return false
        }
        let store = mnt + "/records/canthus.sqlite"
        #expect(eventually(30) { ((records()?["counters"] as? [String: Int])?["written"] ?? 0) > 20 }, "the store was never written")
        // Fill the file system.
        _ = try sh("dd if=/dev/zero of=\(mnt)/filler bs=64k 2>/dev/null")
        #expect(eventually(30) { (records()?["reasons"] as? [String]) == ["records_failing"] }, "the health model never said records_failing")
        let failing = try #require(records())
        #expect((failing["detail"] as? String)?.contains("the disk is full") == true, "\(failing)")
        // Screening goes on meanwhile, past the hold limit.
        let before = status()?["decisions"] as? Int ?? 0
        #expect(eventually(30) { (status()?["decisions"] as? Int ?? 0) > before + 60 }, "screening stopped while the disk was full")
        #expect(eventually(30) { ((records()?["counters"] as? [String: Int])?["dropped_unwritten"] ?? 0) > 0 })
        // Space again: the held records land and the component is ok.
        try FileManager.default.removeItem(atPath: mnt + "/filler")
        #expect(eventually(30) { records()?["state"] as? String == "ok" }, "records never recovered: \(records() ?? [:])")
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        let out = try String(contentsOfFile: dir + "/out", encoding: .utf8)
        let err = try String(contentsOfFile: dir + "/err", encoding: .utf8)
        // Every event the lane published is a line on standard output (the terminal consumer);
        // each is in the store or counted as dropped, exactly.
        let events = out.split(separator: "\n").filter { !$0.hasPrefix("stopped:") && !$0.hasPrefix("end of recording") }.count
        let line = try #require(err.split(separator: "\n").first { $0.hasPrefix("warning: records:") }, "\(err)")
        // (Tracks, which are not events, are counted apart: dropped_unwritten_tracks.)
        let dropped = Int(line.firstMatch(of: /dropped_unwritten (\d+)/)?.1 ?? "") ?? -1
        let fanOutDropped = Int(line.firstMatch(of: /dropped (\d+)/)?.1 ?? "") ?? 0
        let rows = Int(try RecordsCLITests().sqlite(store, "SELECT (SELECT count(*) FROM decisions) + (SELECT count(*) FROM rejections) + (SELECT count(*) FROM statuses) + (SELECT count(*) FROM counts);")
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(rows + dropped + fanOutDropped == events, "store \(rows) + dropped \(dropped) + queue-dropped \(fanOutDropped) ≠ \(events) events published; \(line)")
        #expect(dropped > 0)
        #expect(try RecordsCLITests().sqlite(store, "PRAGMA integrity_check;") == "ok\n")
        print("full disk: \(events) events, \(rows) in the store, \(dropped) dropped past the hold limit of 40 (counted exactly), integrity ok")
    }
}
