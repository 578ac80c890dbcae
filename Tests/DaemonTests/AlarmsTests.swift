@testable import Daemon
import Foundation
import Records
import Screening
import Testing
import TestSupport

/// The gate light's rules and the spoken prompts (docs/alarms.md).
@Suite struct GateLightTests {
    static func decision(_ track: Int, _ level: Level, frame: Int) -> LaneRecord {
        var e = Event(source: "gate.canthus", frame: frame, timeS: Double(frame) / 9,
                      body: .decision(Decision(track: track, canthusC: 35.5, temperatureC: level == .alarm ? 38.4 : level == .prealarm ? 37.4 : 36.6,
                                               raw: 30000, level: level, mode: .absolute, thresholdC: 37.5, frames: 5, reasons: [])))
        e.lane = "north"
        return .event(EventRecord(event: e, wallMs: 0))
    }

    static func left(_ track: Int) -> LaneRecord {
        .track(TrackRecord(id: "north/gate.canthus/track/\(track)", lane: "north", gate: "", source: "gate.canthus", track: track, wallMs: 0, points: []))
    }

    @Test func theLightIsTheHighestLevelInFrontAndRedHolds() {
        var config = GateConfig()
        config.holdS = 5
        var gate = GateState(config: config)
        #expect(gate.note(Self.decision(1, .normal, frame: 10), nowS: 0) == nil && gate.light == .green)
        #expect(gate.note(Self.decision(2, .prealarm, frame: 20), nowS: 1) == .amber)
        #expect(gate.note(Self.decision(3, .alarm, frame: 30), nowS: 2) == .red)
        #expect(gate.cause == "north/gate.canthus/30/0")
        // The alarm's person leaves: red holds until 5 s after the alarm, then the pre-alarm's amber.
        #expect(gate.note(Self.left(3), nowS: 3) == nil && gate.light == .red)
        #expect(gate.update(nowS: 6.9) == nil)
        #expect(gate.update(nowS: 7.1) == .amber && gate.cause == nil)
        #expect(gate.note(Self.left(2), nowS: 8) == .green)
        #expect(gate.note(Self.left(1), nowS: 9) == nil && gate.light == .green)
    }

    @Test func redWaitsForTheAcknowledgementWhenSoConfigured() {
        var config = GateConfig()
        config.holdS = 1
        config.untilAcknowledged = true
        var gate = GateState(config: config)
        #expect(gate.note(Self.decision(3, .alarm, frame: 30), nowS: 0) == .red)
        #expect(gate.note(Self.left(3), nowS: 1) == nil)
        #expect(gate.update(nowS: 60) == nil && gate.light == .red)
        let ack = LaneRecord.acknowledgement(Acknowledgement(eventID: "north/gate.canthus/30/0", by: "guard", via: "control socket", wallMs: 0))
        #expect(gate.note(ack, nowS: 61) == .green)
    }
}

@Suite struct SpeechPromptTests {
    static func decision(_ level: Level, _ t: Double) -> Decision {
        Decision(track: 1, canthusC: t - 1.4, temperatureC: t, raw: 30000, level: level, mode: .absolute, thresholdC: 37.5, frames: 5, reasons: [])
    }

    @Test func eachPromptSaysTheReadingAndWhatToDo() {
        #expect(SpeechPrompt.text(Self.decision(.normal, 36.31), language: .zh) == "体温36.3度，请通行")
        #expect(SpeechPrompt.text(Self.decision(.alarm, 37.84), language: .zh) == "体温37.8度，请稍候，工作人员将为您复测")
        #expect(SpeechPrompt.text(Self.decision(.prealarm, 37.25), language: .zh) == "体温37.3度，请稍候，重新测量")
        #expect(SpeechPrompt.text(Self.decision(.normal, 36.31), language: .en) == "Temperature 36.3 degrees. Please go ahead.")
        #expect(SpeechPrompt.text(Self.decision(.alarm, 38.0), language: .en)
                == "Temperature 38.0 degrees. Please wait; a member of staff will check you again.")
        // A site's own phrase for a level.
        #expect(SpeechPrompt.text(Self.decision(.alarm, 38.04), language: .en, templates: ["alarm": "Stop: {temperature}."]) == "Stop: 38.0.")
    }

    /// espeak-ng renders each prompt to a WAV holding speech of plausible length (sox measures it).
    @Test func thePromptsAreSpokenAtAPlausibleLength() throws {
        let espeak = try #require(SinkConfig.resolve("espeak-ng"), "espeak-ng is not installed (make deps installs it)")
        let soxi = try #require(SinkConfig.resolve("soxi"), "sox is not installed (make deps installs it)")
        let dir = Project.temporaryDirectory()
        for (language, level, t, range) in [(SinkConfig.Language.zh, Level.alarm, 37.8, 3.0...12.0), (.zh, .normal, 36.3, 1.5...8.0),
                                            (.en, .alarm, 38.2, 3.0...12.0), (.en, .normal, 36.4, 1.5...8.0)] {
            let text = SpeechPrompt.text(Self.decision(level, t), language: language)
            let wav = "\(dir)/\(language.rawValue)-\(level.rawValue).wav"
            let run = try runProgram(espeak, ["-v", SpeechPrompt.defaultVoice(language), "-w", wav, text], timeoutS: 30)
            #expect(run.status == 0, "\(run.output)")
            let seconds = Double(try runProgram(soxi, ["-D", wav], timeoutS: 10).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            #expect(range.contains(seconds), "\(text): \(seconds) s")
            // Speech, not silence: sox's statistics give the signal's RMS level.
            let stat = try runProgram(try #require(SinkConfig.resolve("sox")), [wav, "-n", "stat"], timeoutS: 10).output
            let rms = stat.split(separator: "\n").first { $0.hasPrefix("RMS     amplitude") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            #expect(rms > 0.02, "\(text): RMS \(rms)")
            print("speech: \(language.rawValue) \(level.rawValue) \"\(text)\" \(seconds) s, RMS \(rms)")
        }
    }
}

@Suite struct ProgramRunTests {
    /// A program past its timeout is killed — with what it started (a hook's `sleep`) — and
    /// the run returns at once, with what it wrote.
    @Test func aHangingProgramIsKilledAtItsTimeout() throws {
        let started = Date()
        // (A duration no other test sleeps: other tests' hooks run `sleep 10` meanwhile.)
        let run = try runProgram("/bin/sh", ["-c", "echo started; sleep 10.321; echo never"], timeoutS: 1)
        let took = Date().timeIntervalSince(started)
        #expect(run.status == nil && run.output == "started\n", "\(run)")
        #expect(took < 3, "returned after \(took) s")
        Thread.sleep(forTimeInterval: 0.3)
        let left = try runProgram("/bin/sh", ["-c", "ps -eo args | grep -c '^sleep 10.321$' || true"], timeoutS: 5).output
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "its sleep is still running")
    }

    @Test func aProgramGetsItsInputAndEnvironmentAndGivesItsStatus() throws {
        let run = try runProgram("/bin/sh", ["-c", "cat; echo \" $CANTHUS_X\"; exit 3"], input: Data("{}".utf8), environment: ["CANTHUS_X": "y"], timeoutS: 5)
        #expect(run.status == 3 && run.output == "{} y\n", "\(run)")
    }
}
