import Foundation
import Testing
import TestSupport

/// The canthus command as a user runs it: exit codes, messages, byte-for-byte replays.
@Suite struct CLITests {
    @Test func replayIsDeterministicAndSpeaksTheEventStream() throws {
        let a = try CLI.run(["replay", "--format", "ndjson", Project.path("Fixtures/demo.canthus"), Project.path("Fixtures/hot-cup.canthus")])
        let b = try CLI.run(["replay", "--format", "ndjson", Project.path("Fixtures/demo.canthus"), Project.path("Fixtures/hot-cup.canthus")])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        let lines = a.stdout.split(separator: "\n")
        #expect(lines.count > 5)
        for line in lines {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(["status", "decision", "rejected", "count"].contains(o["type"] as! String))
            #expect(o["source"] is String && o["frame"] is Int && o["time_s"] is Double)
        }
        let decisions = lines.filter { $0.contains(#""type":"decision""#) }
        #expect(decisions.count == 4)   // three people in the demo, one beside the hot cup
        #expect(decisions.filter { $0.contains(#""level":"alarm""#) }.count == 1)
        // Each source's frames and times start at 0.
        #expect(a.stdout.contains(#"{"type":"status","source":"hot-cup.canthus","frame":0,"time_s":0.000"#))
    }

    @Test(.needsRefData) func cptvReplaysDirectlyWithTheKioskPreset() throws {
        guard let path = RefData.path("feverscreen/20210325-091249.cptv") else {
            Issue.record(Comment(rawValue: RefData.absentMessage))
            return
        }
        let r = try CLI.run(["replay", "--format", "ndjson", "--import-preset", "feverscreen-kiosk", "--reference-set", "37.0", path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""type":"decision""#))
        #expect(!r.stdout.contains(#""level":"alarm""#))
        // The preset never guesses the disc's set-point: without it the command says what to give.
        let unset = try CLI.run(["replay", "--import-preset", "feverscreen-kiosk", path])
        #expect(unset.status != 0)
        #expect(unset.stderr.contains("feverscreen-kiosk") && unset.stderr.contains("--reference-set"), "\(unset.stderr)")
    }

    @Test func notARecordingFailsWithTheFileName() throws {
        let path = Project.temporaryDirectory() + "/photo.jpg"
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: path))
        let r = try CLI.run(["replay", path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("\(path): a JPEG without FLIR radiometric data") || r.stderr.contains("\(path): truncated"), "\(r.stderr)")
        let text = Project.temporaryDirectory() + "/notes.txt"
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        let t = try CLI.run(["replay", text])
        #expect(t.status != 0 && t.stderr.contains("\(text): not a file canthus reads"))
    }

    @Test func truncatedAndCorruptRecordingsReplayTheGoodPartAndSayWhere() throws {
        let dir = Project.temporaryDirectory()
        let data = try Data(contentsOf: URL(fileURLWithPath: Project.path("Fixtures/demo.canthus")))
        let cut = dir + "/cut.canthus"
        try data.prefix(data.count * 2 / 3).write(to: URL(fileURLWithPath: cut))
        let r = try CLI.run(["replay", "--format", "ndjson", cut])
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: \(cut): truncated at byte "))
        #expect(r.stdout.contains(#""type":"decision""#))

        var damaged = data
        damaged[data.count / 2] ^= 0x55
        let bad = dir + "/bad.canthus"
        try damaged.write(to: URL(fileURLWithPath: bad))
        let b = try CLI.run(["replay", bad])
        #expect(b.status == 0)
        #expect(b.stderr.contains("\(bad): corrupt data at byte ") && b.stderr.contains("checksum mismatch; frame dropped"))
    }

    @Test func unknownVersionIsRefused() throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: Project.path("Fixtures/hot-cup.canthus")))
        data[8] = 2
        let path = Project.temporaryDirectory() + "/v2.canthus"
        try data.write(to: URL(fileURLWithPath: path))
        let r = try CLI.run(["replay", path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("\(path): recording format version 2 is not supported"))
    }

    @Test func badConfigurationExitsNonZeroNamingTheField() throws {
        let path = Project.temporaryDirectory() + "/site.yaml"
        try "screening:\n  decision:\n    alarm_c: banana\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try CLI.run(["replay", "--config", path, Project.path("Fixtures/demo.canthus")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("\(path):3: screening.decision.alarm_c: expected a number"), "\(r.stderr)")
    }

    @Test func simulateThenEvalFromTheCommandLine() throws {
        let dir = Project.temporaryDirectory()
        let s = try CLI.run(["simulate", "--preset", "hot-cup", "--seed", "3", "--out", dir + "/cup.canthus"])
        #expect(s.status == 0, "\(s.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/cup.truth.json"))
        let e = try CLI.run(["eval", dir + "/cup.canthus", "--json"])
        #expect(e.status == 0, "\(e.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        #expect(o["recall"] as? Double == 1 && o["precision"] as? Double == 1)
        let table = try CLI.run(["eval", dir + "/cup.canthus"])
        #expect(table.stdout.contains("canthus MAE °C"))
        let bad = try CLI.run(["simulate", "--preset", "nope", "--out", dir + "/x.canthus"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown preset 'nope'"))
    }

    @Test func runWritesEventsUnderVarAndExitsAtTheEnd() throws {
        let dir = Project.temporaryDirectory()
        let config = dir + "/demo.yaml"
        try """
            source: {replay: [\(Project.path("Fixtures/demo.canthus"))]}
            screening: {counting_line: {axis: vertical, position: 0.5}}
            records: {directory: ./var}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--config", config, "--no-view"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("ALARM    person 2"))
        #expect(r.stdout.contains("end of recording: 126 frames, 3 people measured (1 alarm"))
        let log = try String(contentsOfFile: dir + "/var/events.ndjson", encoding: .utf8)
        #expect(log.split(separator: "\n").count == 7)
    }

    @Test func runStopsCleanlyOnSIGTERM() throws {
        let dir = Project.temporaryDirectory()
        let config = dir + "/demo.yaml"
        try "source: {replay: [\(Project.path("Fixtures/demo.canthus"))], real_time: true}\nrecords: {directory: ./var}\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["run", "--config", config, "--no-view"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        Thread.sleep(forTimeInterval: 7.0)   // the febrile person is decided at 5.6 s
        p.terminate()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(text.contains("stopped: "), "\(text)")
        #expect(text.contains("ALARM    person 2"))
        let log = try String(contentsOfFile: dir + "/var/events.ndjson", encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(lines.count >= 3 && lines.count < 7)
        for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil) }
    }

    @Test func helpNamesTheSubcommands() throws {
        let r = try CLI.run(["--help"])
        for sub in ["run", "replay", "simulate", "eval"] { #expect(r.stdout.contains(sub)) }
    }
}

/// tools/canthus_recording.py reads the format independently; it must agree with canthus.
@Suite struct PythonReaderTests {
    @Test func pythonReaderAgreesFrameByFrame() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Project.path("tools/canthus_recording.py"), Project.path("Fixtures/demo.canthus"), "--frame", "50"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "python3 with numpy is needed (make pydeps)")
        let o = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(o["frames"] as? Int == 126 && o["width"] as? Int == 160 && o["height"] as? Int == 120)
        let frame = o["frame"] as! [String: Any]
        let sums = try FrameSums.compute(path: Project.path("Fixtures/demo.canthus"), index: 50)
        #expect(frame["sum"] as? Int == sums.frame)
        #expect(o["sum_of_counts"] as? Int == sums.all)
        #expect((frame["timestamp_ns"] as? Int) == 5_555_555_556)
    }
}

import Capture

enum FrameSums {
    static func compute(path: String, index: Int) throws -> (frame: Int, all: Int) {
        let reader = try RecordingReader(path: path)
        var f = Frame.empty
        var all = 0, one = 0
        for i in 0..<reader.frameCount {
            try reader.read(frame: i, into: &f)
            let s = f.pixels.reduce(0) { $0 + Int($1) }
            all += s
            if i == index { one = s }
        }
        return (one, all)
    }
}

@Suite struct EventLogFailureTests {
    /// The event log on a full filesystem (`/dev/full`): screening goes on and prints every
    /// event, the run exits 0, and the health line says why and how many events were not written.
    @Test func aFullDiskUnderTheEventLogNeverStopsScreening() throws {
        let dir = Project.temporaryDirectory()
        try FileManager.default.createSymbolicLink(atPath: dir + "/events.ndjson", withDestinationPath: "/dev/full")
        let config = dir + "/full.yaml"
        try "source:\n  replay: [\(Project.path("Fixtures/demo.canthus"))]\nrecords:\n  directory: \(dir)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--config", config, "--no-view"])
        #expect(r.status == 0, "\(r.stderr)")
        let events = r.stdout.split(separator: "\n").filter { $0.contains("demo.canthus ") }   // an alarm's line starts with a bell
        #expect(events.count >= 7 && r.stdout.contains("3 people measured"))
        #expect(r.stderr.contains("event_log: failing (event_log_failing)") && r.stderr.contains("No space left on device"), "\(r.stderr)")
        #expect(r.stderr.contains("not_written \(events.count)"), "\(events.count) events: \(r.stderr)")
    }
}

@Suite struct LaneTests {
    /// Two lanes from two recordings in one daemon: each lane's events are exactly those its
    /// recording gives alone (but for lane, gate and id), and the lane whose recording ends
    /// first does not cut the other short.
    @Test func twoLanesGiveEachTheEventsItGivesAlone() throws {
        let dir = Project.temporaryDirectory()
        let demo = Project.path("Fixtures/demo.canthus"), cup = Project.path("Fixtures/hot-cup.canthus")
        let config = dir + "/lanes.yaml"
        try """
        lanes:
          - name: north
            gate: North entrance
            replay: [\(demo)]
          - name: south
            gate: South entrance
            replay: [\(cup)]
        records:
          directory: \(dir)/var
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--config", config, "--no-view"])
        #expect(r.status == 0, "\(r.stderr)")
        let logged = try String(contentsOfFile: dir + "/var/events.ndjson", encoding: .utf8).split(separator: "\n")
        func objects<S: Sequence>(_ lines: S) throws -> [[String: Any]] where S.Element: StringProtocol {
            try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        }
        func strip(_ o: [String: Any]) -> NSDictionary {
            var o = o
            for k in ["lane", "gate", "id"] { o[k] = nil }
            return o as NSDictionary
        }
        let all = try objects(logged)
        for (lane, gate, file) in [("north", "North entrance", demo), ("south", "South entrance", cup)] {
            let mine = all.filter { $0["lane"] as? String == lane }
            #expect(mine.allSatisfy { $0["gate"] as? String == gate })
            let alone = try CLI.run(["replay", "--format", "ndjson", file])
            let expected = try objects(alone.stdout.split(separator: "\n"))
            #expect(mine.count == expected.count && mine.count >= 3, "\(lane): \(mine.count) vs \(expected.count)")
            #expect(mine.map(strip) == expected.map(strip), "\(lane)")
            // Ids are unique and name the lane.
            let ids = mine.compactMap { $0["id"] as? String }
            #expect(Set(ids).count == ids.count && ids.allSatisfy { $0.hasPrefix(lane + "/") })
        }
    }
}
