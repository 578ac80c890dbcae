import Foundation
import Testing
import TestSupport

/// The running daemon through its control socket and SIGHUP: status, ack, reload.
@Suite struct ControlTests {
    @Test func statusAckAndReloadTalkToTheRunningDaemon() throws {
        let dir = Project.temporaryDirectory()
        let socket = dir + "/run/canthus.sock"
        let config = dir + "/canthus.yaml"
        func write(alarm: String, broken: Bool = false) throws {
            try """
            source:
              replay: [\(Project.path("Fixtures/demo.canthus"))]
              real_time: true
            screening:
              decision:
                alarm_c: \(alarm)
                prealarm_c: 35.5
            records:
              directory: \(dir)/var
            control:
              socket: \(socket)
            \(broken ? "oops: [" : "")
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write(alarm: "37.5")
        // Nothing runs yet: a clear message and exit 1.
        let none = try CLI.run(["status", "--socket", socket])
        #expect(none.status != 0 && none.stderr.contains("no canthus daemon is running") && none.stderr.contains(socket), "\(none.stderr)")

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: CLI.binary)
        daemon.arguments = ["run", "--config", config, "--no-view"]
        let out = Pipe()
        let errPath = dir + "/daemon.err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        daemon.standardOutput = out
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try daemon.run()
        func status() throws -> [String: Any]? {
            let r = try CLI.run(["status", "--socket", socket, "--json"])
            guard r.status == 0 else { return nil }
            return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        }
        var first: [String: Any]?
        for _ in 0..<100 where first == nil { first = try status(); if first == nil { Thread.sleep(forTimeInterval: 0.05) } }
        let s = try #require(first, "the daemon's control socket never answered")
        #expect(s["state"] as? String == "ok")
        #expect(((s["components"] as? [[String: Any]]) ?? []).contains { $0["name"] as? String == "lane main" })
        // Owner and group only.
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode == 0o660)

        // SIGHUP with a lower alarm threshold: the next decisions use it.
        try write(alarm: "36.0")
        kill(daemon.processIdentifier, SIGHUP)
        // Wait for a decision under the new threshold, then break the file and reload: refused.
        var decided = 0
        for _ in 0..<200 where decided == 0 { decided = (try status()?["decisions"] as? Int) ?? 0; Thread.sleep(forTimeInterval: 0.05) }
        try write(alarm: "39.0", broken: true)
        let refused = try CLI.run(["reload", "--socket", socket])
        #expect(refused.status != 0 && refused.stderr.contains("refused, the running settings stay") && refused.stderr.contains(config), "\(refused.stderr)")
        kill(daemon.processIdentifier, SIGHUP)
        // An alarm to acknowledge (person 2 reads 38.4 °C).
        var open: [String] = []
        for _ in 0..<300 where open.isEmpty { open = (try status()?["unacknowledged"] as? [String]) ?? []; Thread.sleep(forTimeInterval: 0.05) }
        let id = try #require(open.first)
        let ack = try CLI.run(["ack", id, "--socket", socket])
        #expect(ack.status == 0 && ack.stdout.contains("\(id): acknowledged"), "\(ack.stderr)")
        let again = try CLI.run(["ack", id, "--socket", socket])
        #expect(again.status == 0 && again.stdout.contains("already"))
        let unknown = try CLI.run(["ack", "north/nothing/1/0", "--socket", socket])
        #expect(unknown.status != 0 && unknown.stderr.contains("no alarm or pre-alarm has the id 'north/nothing/1/0'"))
        #expect(((try status()?["unacknowledged"] as? [String]) ?? ["?"]).contains(id) == false)

        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        daemon.waitUntilExit()
        let stderr = try String(contentsOfFile: errPath, encoding: .utf8)
        #expect(daemon.terminationStatus == 0, "\(stderr)")
        let thresholds = stdout.split(separator: "\n").filter { $0.contains("person") && $0.contains("threshold") }
        #expect(thresholds.count == 3, "\(stdout)")
        // The reload came about 1.5 s before the first decision; every later one reads it for sure.
        #expect(thresholds.dropFirst().allSatisfy { $0.contains("absolute threshold 36.00 °C") }, "\(stdout)")
        #expect(thresholds.allSatisfy { $0.contains("absolute threshold 36.00 °C") || $0.contains("absolute threshold 37.50 °C") })
        #expect(stderr.contains("reload: lane main: decision settings applied (alarm 36.0 °C"), "\(stderr)")
        #expect(stderr.contains("reload refused, the running settings stay: \(config):"), "\(stderr)")
        // Gone with the daemon.
        #expect(!FileManager.default.fileExists(atPath: socket))
        // The acknowledgement is recorded once, with who sent it (the kernel's word for it) and how.
        let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
        let acks = Process()
        acks.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        acks.arguments = ["\(dir)/var/canthus.sqlite", "SELECT event_id, by, via FROM acknowledgements"]
        let rows = Pipe()
        acks.standardOutput = rows
        try acks.run()
        acks.waitUntilExit()
        let recorded = String(decoding: rows.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(recorded.hasPrefix("\(id)|\(user)|control socket (pid ") && recorded.split(separator: "\n").count == 1, "\(recorded)")
    }

    /// A reload's decision settings hold for the lane's later screeners too: the next pass of a
    /// looped recording (found in the systemd guest: pass 2 went back to the file's threshold).
    @Test func aReloadHoldsForTheNextPassOfALoop() throws {
        let dir = Project.temporaryDirectory()
        let config = dir + "/canthus.yaml"
        func write(alarm: String) throws {
            try """
            source:
              replay: [\(Project.path("Fixtures/demo.canthus"))]
              real_time: true
              loop: true
            screening:
              decision: {alarm_c: \(alarm), prealarm_c: 35.5}
            records:
              directory: \(dir)/var
            control:
              socket: \(dir)/canthus.sock
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write(alarm: "37.5")
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: CLI.binary)
        daemon.arguments = ["run", "--config", config, "--no-view"]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }
        let log = dir + "/var/events.ndjson"
        func decisions() -> [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init).filter { $0.contains(#""type":"decision""#) }
        }
        for _ in 0..<200 where decisions().isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        try #require(!decisions().isEmpty, "no decision within 10 s")
        try write(alarm: "36.0")
        kill(daemon.processIdentifier, SIGHUP)
        var second: [String] = []
        for _ in 0..<400 where second.count < 2 {
            second = decisions().filter { $0.contains("@pass2/") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(second.count >= 2, "the loop's second pass decided \(second.count) people within 20 s")
        #expect(second.allSatisfy { $0.contains(#""threshold_c":36.000"#) }, "\(second)")
    }
}
