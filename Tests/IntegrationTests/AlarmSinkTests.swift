import Foundation
import Testing
import TestSupport

/// The alarm outputs on the running daemon: a hook gets every decision it asked for and the gate
/// light's changes, in order, as JSON on its standard input and in its environment; a hook that
/// hangs is killed at its timeout and reported, and neither screening nor the other outputs wait
/// for it.
@Suite struct AlarmSinkTests {
    @Test func hooksGetTheDecisionsAndTheLightAndAHangingOneDelaysNothing() throws {
        let dir = Project.temporaryDirectory()
        let got = dir + "/got.txt"
        let record = dir + "/record.sh", stuck = dir + "/stuck.sh"
        try "#!/bin/sh\n{ cat; echo \"env $CANTHUS_TYPE $CANTHUS_ID $CANTHUS_LEVEL $CANTHUS_LIGHT\"; } >> \(got)\necho recorded $CANTHUS_TYPE\n"
            .write(toFile: record, atomically: true, encoding: .utf8)
        try "#!/bin/sh\nsleep 10\n".write(toFile: stuck, atomically: true, encoding: .utf8)
        chmod(record, 0o755)
        chmod(stuck, 0o755)
        let config = dir + "/canthus.yaml"
        try """
        source:
          replay: [\(Project.path("Fixtures/demo.canthus"))]
          real_time: true
        records:
          directory: \(dir)/var
        control:
          socket: \(dir)/canthus.sock
        alarms:
          gate:
            hold_s: 1
          sinks:
            - type: hook
              name: stuck
              program: \(stuck)
              levels: [normal, alarm]
              timeout_s: 1
            - type: hook
              name: record
              program: \(record)
              levels: [normal, prealarm, alarm]
              gate: true
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--config", config, "--no-view"])
        #expect(r.status == 0, "\(r.stderr)")
        // Every frame screened, at the recording's own pace, while the stuck hook was being killed.
        #expect(r.stdout.contains("end of recording: 126 frames, 3 people measured (1 alarm"), "\(r.stdout)")
        let lines = try String(contentsOfFile: got, encoding: .utf8).split(separator: "\n").map(String.init)
        let envs = lines.filter { $0.hasPrefix("env ") }
        #expect(envs == ["env decision main/demo.canthus/18/0 normal ", "env decision main/demo.canthus/57/0 alarm ",
                         "env gate main/demo.canthus/57/0  red", "env gate   green", "env decision main/demo.canthus/96/0 normal "], "\(envs)")
        let objects = try lines.filter { $0.hasPrefix("{") }.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.map { ($0["type"] as? String) ?? "?" } == ["decision", "decision", "gate", "gate", "decision"])
        #expect(objects[1]["temperature_c"] as? Double == 38.592 && objects[1]["id"] as? String == "main/demo.canthus/57/0")
        #expect(r.stderr.contains("recorded decision"), "the hook's output is logged")
        // The stuck hook: killed at its timeout each time, reported, screening untouched.
        let warning = try #require(r.stderr.split(separator: "\n").first { $0.contains("warning: alarm stuck") }, "\(r.stderr)")
        #expect(warning.contains("alarm_sink_failing") && warning.contains("was still running after 1.0 s and was killed") && warning.contains("failed 3"),
                "\(warning)")
    }
}
