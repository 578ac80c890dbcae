import Foundation
@testable import Screening
import Testing
import TestSupport

@Suite struct EventTests {
    @Test func decisionSerialisesExactlyAsTheContractSays() {
        let d = Decision(track: 3, canthusC: 36.12345, temperatureC: 37.4334, raw: 30912, level: .prealarm,
                         mode: .absolute, thresholdC: 37.5, frames: 4, reasons: ["glasses"])
        let e = Event(source: "cam \"a\".canthus", frame: 12, timeS: 1.3333333, body: .decision(d))
        #expect(e.json == #"{"type":"decision","source":"cam \"a\".canthus","frame":12,"time_s":1.333,"track":3,"canthus_c":36.123,"temperature_c":37.433,"raw":30912,"level":"prealarm","mode":"absolute","threshold_c":37.500,"frames":4,"distance_m":null,"reasons":["glasses"],"lane":"main","gate":"","id":"main/cam \"a\".canthus/12/0"}"#)
        var near = d
        near.distanceM = 0.8123
        #expect(Event(source: "s", frame: 0, timeS: 0, body: .decision(near)).json.contains(#""frames":4,"distance_m":0.812,"reasons""#))
        #expect(Event(source: "s", frame: 0, timeS: 0, body: .rejected(track: 1, reasons: ["too_far"], distanceM: 2.5)).json
                 == #"{"type":"rejected","source":"s","frame":0,"time_s":0.000,"track":1,"distance_m":2.500,"reasons":["too_far"],"lane":"main","gate":"","id":"main/s/0/0"}"#)
        let object = try? JSONSerialization.jsonObject(with: Data(e.json.utf8)) as? [String: Any]
        #expect(object?["canthus_c"] as? Double == 36.123)
    }

    /// Ids are stable and unique: lane, source, frame and the event's place within the frame.
    @Test func stampedEventsCarryLaneGateAndAStableId() {
        var stamper = EventStamper(lane: "north", gate: "Gate A")
        let a = stamper.stamp(Event(source: "cam", frame: 7, timeS: 0, body: .count(track: 1, direction: .in)))
        let b = stamper.stamp(Event(source: "cam", frame: 7, timeS: 0, body: .count(track: 2, direction: .in)))
        let c = stamper.stamp(Event(source: "cam", frame: 8, timeS: 0, body: .count(track: 3, direction: .in)))
        #expect([a.id, b.id, c.id] == ["north/cam/7/0", "north/cam/7/1", "north/cam/8/0"])
        #expect(a.json.hasSuffix(#","lane":"north","gate":"Gate A","id":"north/cam/7/0"}"#))
    }

    @Test func everyTypeHasTheCommonFields() throws {
        let bodies: [Event.Body] = [.status(state: .paused, reasons: ["reference_missing"]), .rejected(track: 1, reasons: ["too_far"], distanceM: 2.5),
                                    .count(track: 2, direction: .in)]
        for b in bodies {
            let json = Event(source: "s", frame: 0, timeS: 0, body: b).json
            let o = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
            #expect(Set(["type", "source", "frame", "time_s", "lane", "gate", "id"]).isSubset(of: o.keys))
        }
    }

    @Test func everyReasonHasASentenceAndIsDocumented() throws {
        let doc = try String(contentsOfFile: Project.path("docs/events.md"), encoding: .utf8)
        for code in ReasonCode.allCases {
            #expect(Reason.sentence(for: code.rawValue) == code.sentence && !code.sentence.isEmpty)
            #expect(doc.contains("`\(code.rawValue)`"), "docs/events.md does not list \(code.rawValue)")
        }
        #expect(Reason.sentence(for: "no_such_code") == "no_such_code")
    }
}

@Suite struct DecisionPolicyTests {
    @Test func absoluteLevels() {
        var p = DecisionPolicy(config: DecisionConfig())
        let offset = DecisionConfig().skinToCoreOffsetC
        #expect(p.decide(track: 1, canthusC: 37.5 - offset, raw: 0, frames: 3, reasons: []).level == .alarm)
        #expect(p.decide(track: 2, canthusC: 37.49 - offset, raw: 0, frames: 3, reasons: []).level == .prealarm)
        #expect(p.decide(track: 3, canthusC: 37.19 - offset, raw: 0, frames: 3, reasons: []).level == .normal)
    }

    /// Alarm at 37.5 °C, pre-alarm at 37.2 °C, hysteresis 0.2 K (the design brief's defaults).
    @Test func levelsHoldUntilTheEstimateFallsTheHysteresisBelow() {
        var p = DecisionPolicy(config: DecisionConfig())
        #expect(p.level(temperatureC: 37.45, previous: .normal) == .prealarm)
        #expect(p.level(temperatureC: 37.45, previous: .alarm) == .alarm)
        #expect(p.level(temperatureC: 37.31, previous: .alarm) == .alarm)
        #expect(p.level(temperatureC: 37.29, previous: .alarm) == .prealarm)
        #expect(p.level(temperatureC: 37.05, previous: .prealarm) == .prealarm)
        #expect(p.level(temperatureC: 36.99, previous: .prealarm) == .normal)
        #expect(p.level(temperatureC: 36.99, previous: .alarm) == .normal)
        let offset = DecisionConfig().skinToCoreOffsetC
        // A person whose running estimate reached the alarm keeps it at 37.4 °C; one who never did does not.
        #expect(p.decide(track: 1, canthusC: 37.4 - offset, raw: 0, frames: 3, reasons: [], previous: .alarm).level == .alarm)
        #expect(p.decide(track: 2, canthusC: 37.4 - offset, raw: 0, frames: 3, reasons: [], previous: .normal).level == .prealarm)
        var none = DecisionConfig()
        none.hysteresisC = 0
        p = DecisionPolicy(config: none)
        #expect(p.level(temperatureC: 37.45, previous: .alarm) == .prealarm)
    }

    @Test func relativeModeUsesTrimmedMeanOfRecentPeople() {
        var c = DecisionConfig()
        c.mode = .relative
        c.relativeWindow = 5
        var p = DecisionPolicy(config: c)
        // Until five people are seen the absolute rule applies, and the decision says so.
        for (i, t) in [34.0, 34.2, 34.4, 34.6, 40.0].enumerated() {
            #expect(p.decide(track: i, canthusC: t, raw: 0, frames: 3, reasons: []).mode == .absolute)
        }
        // Baseline: drop 34.0 and 40.0 → mean(34.2, 34.4, 34.6) + offset = 34.4 + offset.
        let d = p.decide(track: 9, canthusC: 35.5, raw: 0, frames: 3, reasons: [])
        #expect(d.mode == .relative)
        #expect(abs(d.thresholdC - (34.4 + c.skinToCoreOffsetC + 1.0)) < 1e-9)
        #expect(d.level == .alarm)
    }
}
