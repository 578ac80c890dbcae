import Foundation
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
        let rows = "SELECT id, lane, gate, source, frame, time_s, track, canthus_c, body_c, raw, level, mode, threshold_c, frames, reasons, distance_m FROM decisions ORDER BY id; SELECT id, state, reasons FROM statuses ORDER BY id; SELECT id, track, direction FROM counts ORDER BY id; SELECT id, track, reasons FROM rejections ORDER BY id;"
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
        #expect(csv.stdout.hasPrefix("\u{FEFF}id,time_utc,time_local,lane,gate,track,level,body_c,canthus_c,threshold_c,mode,frames,distance_m,reasons,source,frame\r\n"))
        #expect(csv.stdout.split(separator: "\r\n").count == 2 && csv.stdout.contains(",alarm,38.383,"), "\(csv.stdout)")
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
            (["export", "people", "--store", store, "--format", "csv"], "export: 'people' is not one of decisions, stats"),
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
        #expect(purge.status == 0 && purge.stdout.contains("purged 8 records") && purge.stdout.contains("(counts 3, decisions 3, headcounts 1, statuses 1)"), "\(purge.stdout)\(purge.stderr)")
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
