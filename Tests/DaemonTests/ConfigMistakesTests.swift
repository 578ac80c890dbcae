@testable import Daemon
import Foundation
import Testing
import TestSupport

/// Configuration mistakes an installer makes, each refused with one line naming the file, the
/// line and the key, and saying what would be valid.
@Suite struct ConfigMistakesTests {
    struct Mistake: CustomStringConvertible {
        var name: String
        var yaml: String
        var line: Int
        var key: String
        var says: String
        var description: String { name }
    }

    static let demo = Project.path("Fixtures/demo.canthus")

    static let mistakes: [Mistake] = [
        Mistake(name: "unknown top-level key", yaml: "screenning:\n  skin_margin_k: 2\n", line: 1, key: "screenning", says: "unknown setting 'screenning'"),
        Mistake(name: "unknown nested key", yaml: "screening:\n  skin_margn_k: 2\n", line: 2, key: "screening.skin_margn_k", says: "known: "),
        Mistake(name: "wrong type", yaml: "screening:\n  min_face_width_px: twenty\n", line: 2, key: "screening.min_face_width_px", says: "expected a whole number"),
        Mistake(name: "number out of range", yaml: "screening:\n  skin_margin_k: -1\n", line: 2, key: "skin_margin_k", says: "must be ≥ 0 K"),
        Mistake(name: "alarm not a body temperature", yaml: "screening:\n  decision:\n    alarm_c: 60\n", line: 3, key: "decision.alarm_c", says: "not a body temperature threshold"),
        Mistake(name: "pre-alarm above alarm", yaml: "screening:\n  decision:\n    alarm_c: 37.5\n    prealarm_c: 38\n", line: 4, key: "decision.prealarm_c", says: "must not exceed alarm_c"),
        Mistake(name: "skin→core slope the wrong way", yaml: "screening:\n  decision:\n    offset_per_ambient_k: 0.08\n", line: 3, key: "decision.offset_per_ambient_k", says: "not a skin→core slope"),
        Mistake(name: "unknown decision mode", yaml: "screening:\n  decision:\n    mode: psychic\n", line: 3, key: "screening.decision.mode", says: "psychic"),
        Mistake(name: "unknown protocol", yaml: "screening:\n  protocol: stroll\n", line: 2, key: "protocol", says: "known: walk_through, step_up"),
        Mistake(name: "face width not a face", yaml: "screening:\n  face_width_m: 0.5\n", line: 2, key: "face_width_m", says: "not an adult face's width"),
        Mistake(name: "too many frames for a decision", yaml: "screening:\n  frames_for_decision: 100\n", line: 2, key: "frames_for_decision", says: "must be 1…32"),
        Mistake(name: "counting line axis", yaml: "screening:\n  counting_line:\n    axis: diagonal\n    position: 0.5\n", line: 3, key: "screening.counting_line.axis", says: "'diagonal' is not one of vertical, horizontal"),
        Mistake(name: "counting line without position", yaml: "screening:\n  counting_line:\n    axis: vertical\n", line: 2, key: "counting_line.position", says: "missing"),
        Mistake(name: "camera rotation", yaml: "source:\n  camera:\n    device: /dev/video0\n    rotation_deg: 45\n", line: 4, key: "source.camera.rotation_deg", says: "not 0, 90, 180 or 270"),
        Mistake(name: "unknown camera model", yaml: "source:\n  camera:\n    device: /dev/video0\n    model: nosuch\n", line: 4, key: "source.camera.model", says: "unknown camera 'nosuch'"),
        Mistake(name: "camera without device", yaml: "source:\n  camera:\n    model: lepton35\n", line: 2, key: "source.camera.device", says: "missing"),
        Mistake(name: "camera and replay", yaml: "source:\n  camera:\n    device: /dev/video0\n  replay: [\(demo)]\n", line: 1, key: "source", says: "either camera or replay"),
        Mistake(name: "source and lanes", yaml: "source:\n  replay: [\(demo)]\nlanes:\n  - name: a\n    replay: [\(demo)]\n", line: 3, key: "lanes", says: "either source (one lane) or lanes"),
        Mistake(name: "duplicate lane", yaml: "lanes:\n  - name: a\n    replay: [\(demo)]\n  - name: a\n    replay: [\(demo)]\n", line: 4, key: "lanes[1].name", says: "names two lanes"),
        Mistake(name: "lane without camera or recording", yaml: "lanes:\n  - name: a\n    replay: [\(demo)]\n  - name: b\n    gate: South\n", line: 4, key: "lanes[1].name", says: "neither a camera nor recordings"),
        Mistake(name: "lane name with a space", yaml: "lanes:\n  - name: north gate\n    replay: [\(demo)]\n", line: 2, key: "lanes[0].name", says: "not a lane name"),
        Mistake(name: "lane without a name", yaml: "lanes:\n  - gate: North\n    replay: [\(demo)]\n", line: 2, key: "lanes[0].name", says: "missing"),
        Mistake(name: "calibration twice", yaml: "calibration:\n  gain: 1\n  offset_c: 0\ncalibration_file: cal.json\n", line: 1, key: "calibration", says: "either calibration or calibration_file"),
        Mistake(name: "calibration file missing", yaml: "calibration_file: /nonexistent/cal.json\n", line: 1, key: "calibration_file", says: "/nonexistent/cal.json"),
        Mistake(name: "unwritable records directory", yaml: "source:\n  replay: [\(demo)]\nrecords:\n  directory: /proc/canthus\n", line: 4, key: "records.directory", says: "cannot be written"),
        Mistake(name: "recording that does not exist", yaml: "lanes:\n  - name: a\n    replay:\n      - /nonexistent/x.canthus\n", line: 4, key: "lanes[0].replay[0]", says: "/nonexistent/x.canthus"),
        Mistake(name: "kiosk preset without set-point", yaml: "lanes:\n  - name: a\n    import_preset: feverscreen-kiosk\n    replay: [\(demo)]\n", line: 4, key: "lanes[0].replay[0]", says: "--reference-set"),
        Mistake(name: "calibration age not a number of days", yaml: "calibration_max_age_days: -3\n", line: 1, key: "calibration_max_age_days", says: "not a number of days"),
        Mistake(name: "control socket not absolute", yaml: "control:\n  socket: run/canthus.sock\n", line: 2, key: "control.socket", says: "not an absolute path"),
        Mistake(name: "not YAML", yaml: "screening:\n  skin_margin_k: 2\n   bad: [\n", line: 3, key: "", says: "not valid YAML"),
        Mistake(name: "alarm sink of an unknown type", yaml: "alarms:\n  sinks:\n    - type: pager\n", line: 3, key: "alarms.sinks[0].type", says: "'pager' is not one of hook, speech, log, gpio, webhook"),
        Mistake(name: "hook without a program", yaml: "alarms:\n  sinks:\n    - type: hook\n", line: 3, key: "alarms.sinks[0].program", says: "is needed"),
        Mistake(name: "hook program missing", yaml: "alarms:\n  sinks:\n    - type: hook\n      program: /nonexistent/notify\n", line: 4, key: "alarms.sinks[0].program", says: "'/nonexistent/notify' is not an executable file"),
        Mistake(name: "hook program not on PATH", yaml: "alarms:\n  sinks:\n    - type: log\n    - type: hook\n      program: no-such-notifier\n", line: 5, key: "alarms.sinks[1].program", says: "not an executable file on PATH"),
        Mistake(name: "unknown voice", yaml: "source:\n  replay: [\(demo)]\nalarms:\n  sinks:\n    - type: speech\n      voice: no-such-voice\n", line: 6, key: "alarms.sinks[0].voice", says: "espeak-ng has no voice 'no-such-voice'"),
        Mistake(name: "a setting of another kind of sink", yaml: "alarms:\n  sinks:\n    - type: log\n      voice: en\n", line: 4, key: "alarms.sinks[0].voice", says: "not a setting of a log sink"),
        Mistake(name: "alarm sink for an unknown lane", yaml: "source:\n  replay: [\(demo)]\nalarms:\n  sinks:\n    - type: log\n      lanes: [south]\n", line: 6, key: "alarms.sinks[0].lanes", says: "'south' is not a lane (lanes: main)"),
        Mistake(name: "unknown level", yaml: "alarms:\n  sinks:\n    - type: log\n      levels: [fever]\n", line: 4, key: "alarms.sinks[0].levels", says: "'fever' is not one of normal, prealarm, alarm"),
        Mistake(name: "webhook without a URL", yaml: "alarms:\n  sinks:\n    - type: webhook\n", line: 3, key: "alarms.sinks[0].url", says: "is needed"),
        Mistake(name: "webhook with a bad URL", yaml: "alarms:\n  sinks:\n    - type: webhook\n      url: ftp://example.org/in\n", line: 4, key: "alarms.sinks[0].url",
                says: "'ftp://example.org/in' is not an http:// or https:// URL"),
        Mistake(name: "webhook CA file without a certificate", yaml: "alarms:\n  sinks:\n    - type: webhook\n      url: https://127.0.0.1:9/in\n      ca_file: \(demo)\n",
                line: 5, key: "alarms.sinks[0].ca_file", says: "holds no PEM certificate"),
        Mistake(name: "webhook token twice", yaml: "alarms:\n  sinks:\n    - type: webhook\n      url: http://127.0.0.1:9/in\n      token: a\n      token_file: \(demo)\n",
                line: 6, key: "alarms.sinks[0].token_file", says: "either token or token_file"),
        Mistake(name: "webhook without the store", yaml: "records:\n  store: false\nalarms:\n  sinks:\n    - type: webhook\n      url: http://127.0.0.1:9/in\n",
                line: 5, key: "alarms.sinks[0].type", says: "records.store must be on"),
        Mistake(name: "webhook and the light", yaml: "alarms:\n  sinks:\n    - type: webhook\n      url: http://127.0.0.1:9/in\n      gate: true\n",
                line: 5, key: "alarms.sinks[0].gate", says: "a webhook sends the decisions written to the store"),
        Mistake(name: "negative hold", yaml: "alarms:\n  gate:\n    hold_s: -1\n", line: 3, key: "alarms.gate.hold_s", says: "not a number of seconds"),
        Mistake(name: "a decision mode's mistake says what is valid", yaml: "screening:\n  decision:\n    mode: sometimes\n", line: 3, key: "screening.decision.mode", says: "'sometimes' is not one of absolute, relative"),
    ]

    @Test(arguments: mistakes) func eachMistakeIsOneLineNamingFileLineAndKey(_ m: Mistake) throws {
        let path = Project.temporaryDirectory() + "/canthus.yaml"
        try m.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigCheck.run(path: path)
            Issue.record("\(m.name): accepted")
        } catch let e as ConfigFileError {
            let text = e.description
            #expect(!text.contains("\n"), "\(m.name): \(text)")
            #expect(text.hasPrefix("\(path):\(m.line): "), "\(m.name): \(text)")
            #expect((m.key.isEmpty || text.contains(m.key)) && text.contains(m.says), "\(m.name): \(text)")
        }
    }

    @Test func aValidFileIsPrintedWithItsDefaultsAndLaneDistances() throws {
        let path = Project.temporaryDirectory() + "/canthus.yaml"
        try "lanes:\n  - name: north\n    gate: North entrance\n    replay: [\(Self.demo)]\nrecords:\n  directory: \(Project.temporaryDirectory())/var\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let check = try ConfigCheck.run(path: path)
        // The demo is a Lepton 3.5 scene: 57° across 160 px, f = 147 px, 20 px at 1.1 m.
        #expect(check.lanes == ["lane north (North entrance): 1 recording; screens people to 1.1 m (a 0.15 m face spans 20 px there)"], "\(check.lanes)")
        #expect(check.effective.contains("\"min_face_width_px\" : 20") && check.effective.contains("\"gate\" : \"North entrance\""))
        // The effective settings are themselves a valid configuration.
        let again = Project.temporaryDirectory() + "/effective.yaml"
        try check.effective.write(toFile: again, atomically: true, encoding: .utf8)
        #expect(try CanthusConfig.load(path: again) == check.config)
    }
}
