import Foundation
import Records
import Testing
import TestSupport

/// The webhook sink against a real HTTP server on loopback (tools/webhook_receiver.py, started
/// here): every decision arrives exactly once, in the order it was written, with its id as the
/// Idempotency-Key — across the receiver being down and the daemon being restarted meanwhile,
/// and the receiver stopping and coming back while the daemon runs. HTTPS with a CA file of
/// the site's own; the system's CA store refuses a certificate it does not know; a receiver's
/// lasting refusal (4xx) is reported and does not block the rest.
@Suite(.serialized) struct WebhookTests {
    /// The receiver, a process of its own.
    final class Receiver {
        let process = Process()
        let port: Int
        let log: String

        init(log: String, port: Int = 0, extra: [String] = []) throws {
            self.log = log
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", Project.path("tools/webhook_receiver.py"), "--log", log, "--port", "\(port)"] + extra
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            var text = ""
            while !text.contains("\n") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            guard let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw Failure("the receiver did not start: \(text)") }
            self.port = p
        }

        /// SIGKILL: the test runner's threads block SIGTERM, and its children inherit that.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        /// The requests received so far.
        var requests: [[String: Any]] {
            guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        var ids: [String] { requests.compactMap { $0["key"] as? String } }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func config(_ dir: String, replay: [String], url: String, realTime: Bool = false, extra: String = "") -> String {
        """
        source:
          replay: [\(replay.joined(separator: ", "))]
          real_time: \(realTime)
        records:
          directory: \(dir)/var
        control:
          socket: \(dir)/canthus.sock
        alarms:
          sinks:
            - type: webhook
              name: building
              url: \(url)
              levels: [normal, prealarm, alarm]
              retry_max_s: 1
              timeout_s: 2
        \(extra)
        """
    }

    /// The decisions' ids in the order the daemon wrote them (its event stream file).
    static func decisions(_ dir: String) throws -> [String] {
        try String(contentsOfFile: dir + "/var/events.ndjson", encoding: .utf8).split(separator: "\n").compactMap { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return o?["type"] as? String == "decision" ? o?["id"] as? String : nil
        }
    }

    static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date() + seconds
        while Date() < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }

    @Test func everyDecisionArrivesOnceInOrderAcrossAnOutageAndADaemonRestart() throws {
        let dir = Project.temporaryDirectory()
        let crowd = dir + "/crowd.canthus", second = dir + "/second.canthus"
        let sim = try CLI.run(["simulate", "--preset", "crowd", "--seed", "3", "--out", crowd])
        #expect(sim.status == 0, "\(sim.stderr)")
        try FileManager.default.copyItem(atPath: Project.path("Fixtures/demo.canthus"), toPath: second)
        let received = dir + "/received.ndjson"
        let token = dir + "/token"
        try "s3cret\n".write(toFile: token, atomically: true, encoding: .utf8)
        var receiver = try Receiver(log: received)
        let url = "http://127.0.0.1:\(receiver.port)/canthus/events"
        let yaml = dir + "/canthus.yaml"
        func run(_ replay: [String], realTime: Bool = false) throws -> CLI.Result {
            try Self.config(dir, replay: replay, url: url, realTime: realTime, extra: "      token_file: \(token)")
                .write(toFile: yaml, atomically: true, encoding: .utf8)
            return try CLI.run(["run", "--config", yaml, "--no-view"])
        }

        // 1. The receiver up: the crowd's decisions, in order, each once, with the token.
        var r = try run([crowd])
        #expect(r.status == 0, "\(r.stderr)")
        let first = try Self.decisions(dir)
        #expect(first.count >= 10, "\(first.count) decisions in the crowd")
        #expect(receiver.ids == first, "received \(receiver.ids) of \(first)")
        let one = try #require(receiver.requests.first)
        #expect(one["authorization"] as? String == "Bearer s3cret" && one["content_type"] as? String == "application/json"
                && one["path"] as? String == "/canthus/events")
        let event = try #require(one["event"] as? [String: Any])
        #expect(event["id"] as? String == first[0] && event["type"] as? String == "decision" && event["temperature_c"] is Double)

        // 2. The receiver down; the daemon screens the demo and stops: its decisions wait.
        receiver.stop()
        r = try run([second])
        #expect(r.status == 0, "\(r.stderr)")
        let all = try Self.decisions(dir)
        let waiting = Array(all.dropFirst(first.count))
        #expect(waiting.count == 3, "\(waiting)")
        #expect(r.stderr.contains("alarm building") && r.stderr.contains("alarm_sink_failing"), "\(r.stderr)")
        let store = try RecordStore(path: dir + "/var/canthus.sqlite")
        #expect(try store.pendingOutbox(sink: "building") == 3)

        // 3. The receiver back on the same port, the daemon started again on another recording at
        // its own pace; the receiver stops after its first decision, stays down until the next has
        // been tried, and comes back.
        receiver = try Receiver(log: received, port: receiver.port)
        let third = dir + "/third.canthus"
        try FileManager.default.copyItem(atPath: Project.path("Fixtures/demo.canthus"), toPath: third)
        try Self.config(dir, replay: [third], url: url, realTime: true, extra: "      token_file: \(token)")
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: CLI.binary)
        daemon.arguments = ["run", "--config", yaml, "--no-view"]
        daemon.standardOutput = FileHandle.nullDevice
        let errPath = dir + "/daemon.err"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try daemon.run()
        // The waiting three go first, then the third recording's first decision.
        #expect(Self.waitFor(20) { receiver.ids.count >= first.count + 4 }, "\(receiver.ids.count) received")
        receiver.stop()
        // Down until the next decision has been tried and failed.
        let refused = Self.waitFor(15) { ((try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "").contains("Connection refused") }
        #expect(refused, "the sender did not try while the receiver was down")
        receiver = try Receiver(log: received, port: receiver.port)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
        let expected = try Self.decisions(dir)
        #expect(expected.count == first.count + 6)
        #expect(Self.waitFor(5) { receiver.ids.count >= expected.count })
        #expect(receiver.ids == expected, "received \(receiver.ids) of \(expected)")
        #expect(receiver.requests.allSatisfy { ($0["event"] as? [String: Any])?["id"] as? String == $0["key"] as? String })
        #expect(try store.pendingOutbox(sink: "building") == 0)
        let err = try String(contentsOfFile: errPath, encoding: .utf8)
        #expect(err.contains("works again"), "\(err)")
        receiver.stop()

        // 4. A replay of what was sent sends nothing again.
        let before = receiver.ids.count
        receiver = try Receiver(log: received, port: receiver.port)
        r = try run([crowd])
        #expect(r.status == 0)
        #expect(receiver.ids.count == before)
        receiver.stop()
    }

    @Test func httpsWithTheSitesCAAndRefusals() throws {
        let dir = Project.temporaryDirectory()
        // A site's own CA-signed certificate for 127.0.0.1.
        let openssl = try CLI.run(["-c", """
            cd \(dir) && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=canthus-test-ca -keyout ca.key -out ca.pem 2>&1 &&
            openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>&1 &&
            printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem 2>&1
            """], executable: "/bin/sh")
        #expect(openssl.status == 0, "openssl (make deps installs it): \(openssl.stdout)")
        let received = dir + "/received.ndjson"
        let receiver = try Receiver(log: received, extra: ["--tls", dir + "/server.pem", dir + "/server.key"])
        defer { receiver.stop() }
        let url = "https://127.0.0.1:\(receiver.port)/in"
        let yaml = dir + "/canthus.yaml"

        // The system's CA store does not know the site's CA: nothing is taken, all wait.
        try Self.config(dir, replay: [Project.path("Fixtures/demo.canthus")], url: url).write(toFile: yaml, atomically: true, encoding: .utf8)
        var r = try CLI.run(["run", "--config", yaml, "--no-view"])
        #expect(r.status == 0)
        #expect(receiver.ids.isEmpty)
        #expect(r.stderr.contains("alarm_sink_failing") && r.stderr.lowercased().contains("certificate"), "\(r.stderr)")

        // With the site's CA file: the three waiting go, in order.
        try Self.config(dir, replay: [Project.path("Fixtures/demo.canthus")], url: url, extra: "      ca_file: \(dir)/ca.pem")
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        r = try CLI.run(["run", "--config", yaml, "--no-view"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(receiver.ids == (try Self.decisions(dir)).prefix(3).map { $0 }, "\(receiver.ids)")

        // A receiver that refuses (HTTP 422) every event: each is refused once, reported, and
        // the next goes — none is retried, the queue is not blocked.
        let refusing = try Receiver(log: dir + "/refused.ndjson", extra: ["--status", "422"])
        defer { refusing.stop() }
        let other = dir + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try Self.config(other, replay: [Project.path("Fixtures/demo.canthus")], url: "http://127.0.0.1:\(refusing.port)/in")
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        r = try CLI.run(["run", "--config", yaml, "--no-view"])
        #expect(r.status == 0)
        #expect(refusing.ids.count == 3, "\(refusing.ids)")
        #expect(r.stderr.components(separatedBy: "for good (HTTP 422)").count - 1 == 3, "\(r.stderr)")
        #expect(try RecordStore(path: other + "/var/canthus.sqlite").pendingOutbox(sink: "building") == 0)
    }
}
