import Capture
import Foundation
import Screening
@testable import Simulation
import Testing
import TestSupport

@Suite struct SimulatorTests {
    func simulate(_ preset: String, seed: UInt64, in dir: String) throws -> (Data, Data) {
        let rec = dir + "/\(preset)-\(seed).canthus", truth = dir + "/\(preset)-\(seed).truth.json"
        try Simulator(scenario: try Presets.named(preset), seed: seed).run(recordingPath: rec, truthPath: truth)
        return (try Data(contentsOf: URL(fileURLWithPath: rec)), try Data(contentsOf: URL(fileURLWithPath: truth)))
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        let a = Project.temporaryDirectory(), b = Project.temporaryDirectory()
        let first = try simulate("hot-cup", seed: 42, in: a)
        let again = try simulate("hot-cup", seed: 42, in: b)
        #expect(first.0 == again.0)
        #expect(first.1 == again.1)
        let other = try simulate("hot-cup", seed: 43, in: b)
        #expect(other.0 != first.0)
    }

    /// Fixtures/ holds simulator output; it must be exactly what the simulator makes today.
    /// After a deliberate change to the simulator, run `make fixtures` and commit the result.
    @Test func committedFixturesAreWhatTheSimulatorMakes() throws {
        let list = try String(contentsOfFile: Project.path("Fixtures/fixtures.list"), encoding: .utf8)
        let dir = Project.temporaryDirectory()
        var checked = 0
        for line in list.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard parts.count == 3, let seed = UInt64(parts[2]) else { continue }
            let rec = dir + "/\(parts[0]).canthus", truth = dir + "/\(parts[0]).truth.json"
            try Simulator(scenario: try Presets.named(parts[1]), seed: seed).run(recordingPath: rec, truthPath: truth)
            for (made, committed) in [(rec, "Fixtures/\(parts[0]).canthus"), (truth, "Fixtures/\(parts[0]).truth.json")] {
                let same = try Data(contentsOf: URL(fileURLWithPath: made)) == Data(contentsOf: URL(fileURLWithPath: Project.path(committed)))
                #expect(same, "\(committed) differs from what the simulator makes now: run `make fixtures` if the change was meant")
            }
            checked += 1
        }
        #expect(checked == 2)
    }

    @Test func truthDescribesThePeopleAndTheirGeometry() throws {
        let dir = Project.temporaryDirectory()
        let far = try Simulator(scenario: try Presets.named("far"), seed: 1).run(recordingPath: dir + "/far.canthus", truthPath: nil)
        #expect(far.people.count == 1 && !far.people[0].measurable && far.people[0].notMeasurableBecause == ["too_far"])
        let runner = try Simulator(scenario: try Presets.named("runner"), seed: 1).run(recordingPath: dir + "/r.canthus", truthPath: nil)
        #expect(runner.people[0].notMeasurableBecause.contains("motion"))
        let edge = try Simulator(scenario: try Presets.named("edge"), seed: 1).run(recordingPath: dir + "/e.canthus", truthPath: nil)
        #expect(edge.people[0].notMeasurableBecause == ["edge"])
        let demo = try Truth.load(path: Project.path("Fixtures/demo.truth.json"))
        #expect(demo.people.map(\.measurable) == [true, true, true])
        #expect(demo.people.map(\.crossedLine) == [true, true, true])
        #expect(demo.people.map(\.direction) == ["in", "out", "in"])
        #expect(demo.people[1].febrile && demo.people[1].canthusC == 37.0)
        #expect(demo.frames.count == demo.frameCount)
        #expect(demo.frames[20].boxes.map(\.person) == [1])
    }

    @Test func recordingCarriesTheCameraModelAndReference() throws {
        let r = try RecordingReader(path: Project.path("Fixtures/demo.canthus"))
        #expect(r.header.camera.model == "lepton3.5" && r.header.camera.width == 160 && r.header.camera.fps == 9)
        #expect(r.header.radiometry == .leptonTLinearHigh)
        #expect(r.header.reference?.setTemperatureC == 35)
        #expect(r.frameCount == 126)
    }

    @Test func calibrationSceneShowsEachSetpoint() throws {
        let dir = Project.temporaryDirectory()
        let truth = try Simulator(scenario: try Presets.named("calibration"), seed: 5).run(recordingPath: dir + "/cal.canthus", truthPath: nil)
        #expect(truth.blackbody?.map(\.setpointC) == [30, 35, 40])
        let r = try RecordingReader(path: dir + "/cal.canthus")
        var f = Frame.empty
        for sp in truth.blackbody! {
            try r.read(frame: (sp.firstFrame + sp.lastFrame) / 2, into: &f)
            let mean = Double(f.pixels.reduce(0) { $0 + Int($1) }) / Double(f.pixels.count) * 0.01 - 273.15
            // The simulated camera reads gain·T + offset: 1.02·T − 0.6.
            #expect(abs(mean - (1.02 * sp.setpointC - 0.6)) < 0.05)
        }
    }
}

@Suite struct PopulationTests {
    /// The PhysioNet subjects with a canthus, an oral reading, their room's temperature and
    /// their forehead's warmest (`canthiMax1`, `aveOralM`, `T_atm`, `T_FH_Max1`); nil without the
    /// reference data.
    static func subjects() throws -> [(canthus: Double, oral: Double, room: Double, forehead: Double)]? {
        guard let path = RefData.path("face-oral-temp-physionet/FLIR_groups1and2.csv") else { return nil }
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(whereSeparator: \.isNewline)
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } }
        let header = rows[2]  // three header rows: rounds, regions, column codes
        let ci = header.firstIndex(of: "canthiMax1")!, oi = header.firstIndex(of: "aveOralM")!, ai = header.firstIndex(of: "T_atm")!
        let fi = header.firstIndex(of: "T_FH_Max1")!
        return rows.dropFirst(3).compactMap { r in
            guard r.count > max(ci, oi, ai, fi), let c = Double(r[ci]), let o = Double(r[oi]), let a = Double(r[ai]), let f = Double(r[fi]) else { return nil }
            return (c, o, a, f)
        }
    }

    /// The embedded summary statistics equal what the PhysioNet table gives (tools/fit_population.py),
    /// and so do the cold bounds: no subject's canthus reads below `cold_canthus_c`, nor (what a
    /// glasses wearer's reading comes from) their forehead's warmest below `cold_forehead_c` —
    /// each the lowest of the 1003 (tools/physionet_roc.py prints them).
    @Test(.needsRefData) func constantsMatchThePhysioNetTable() throws {
        guard let subjects = try Self.subjects() else {
            Issue.record(Comment(rawValue: RefData.absentMessage))
            return
        }
        let pairs = subjects.map { ($0.canthus, $0.oral) }
        #expect(pairs.count == 1003)
        let config = ScreeningConfig()
        #expect(subjects.map(\.canthus).min() == config.coldCanthusC)
        #expect(subjects.map(\.forehead).min() == config.coldForeheadC)
        #expect(abs(pairs.map { $0.1 - $0.0 }.reduce(0, +) / Double(pairs.count) - Population.meanOralMinusCanthus) < 1e-4)
        for (group, febrile) in [(Population.normal, false), (Population.febrile, true)] {
            let c = pairs.filter { ($0.1 >= 37.5) == febrile }.map(\.0).sorted()
            for (k, q) in group.quantiles.enumerated() {
                // numpy's default (linear) quantile.
                let pos = Double(k) / 20 * Double(c.count - 1)
                let lo = Int(pos), hi = min(lo + 1, c.count - 1)
                let value = c[lo] + (c[hi] - c[lo]) * (pos - Double(lo))
                #expect(abs(value - q) < 0.001, "quantile \(k * 5) %: data \(value), embedded \(q)")
            }
        }
    }

    /// The default skin→core offset and its slope with the room's temperature, on the PhysioNet
    /// data (docs/screening.md): the slope is that of oral − canthus against the room over the
    /// subjects with normal oral readings; with it, the default offset is the equal-error point;
    /// and the canthus corrected for the room separates febrile from normal subjects better than
    /// the canthus alone (AUC).
    @Test(.needsRefData) func defaultOffsetIsTheEqualErrorPoint() throws {
        guard let subjects = try Self.subjects() else {
            Issue.record(Comment(rawValue: RefData.absentMessage))
            return
        }
        #expect(subjects.count == 1003)
        let config = DecisionConfig()
        // Least-squares slope of oral − canthus on the room, normal subjects.
        let normal = subjects.filter { $0.oral < 37.5 }
        let meanRoom = normal.map(\.room).reduce(0, +) / Double(normal.count)
        let meanOffset = normal.map { $0.oral - $0.canthus }.reduce(0, +) / Double(normal.count)
        let slope = normal.map { ($0.room - meanRoom) * ($0.oral - $0.canthus - meanOffset) }.reduce(0, +)
            / normal.map { ($0.room - meanRoom) * ($0.room - meanRoom) }.reduce(0, +)
        #expect(abs(slope - config.offsetPerAmbientK) < 0.0005, "slope \(slope)")
        #expect(subjects.allSatisfy { DecisionConfig.ambientRangeC.contains($0.room.rounded()) })
        func rates(_ offset: Double) -> (Double, Double) {
            var c = config
            c.skinToCoreOffsetC = offset
            let febrile = subjects.filter { $0.oral >= 37.5 }
            let hit = febrile.filter { $0.canthus + c.skinToCoreOffset(ambientC: $0.room) >= 37.5 }.count
            let quiet = normal.filter { $0.canthus + c.skinToCoreOffset(ambientC: $0.room) < 37.5 }.count
            return (Double(hit) / Double(febrile.count), Double(quiet) / Double(normal.count))
        }
        let (sensitivity, specificity) = rates(config.skinToCoreOffsetC)
        #expect(abs(sensitivity - 0.896) < 0.001 && abs(specificity - 0.900) < 0.001, "\(sensitivity) / \(specificity)")
        // Nearest to equal error among offsets 0.01 K apart.
        for other in [config.skinToCoreOffsetC - 0.01, config.skinToCoreOffsetC + 0.01] {
            let (s, p) = rates(other)
            #expect(abs(s - p) >= abs(sensitivity - specificity) - 1e-9)
        }
        // Mann–Whitney AUC: the chance a febrile subject scores above a normal one.
        func auc(_ score: ((canthus: Double, oral: Double, room: Double, forehead: Double)) -> Double) -> Double {
            let pos = subjects.filter { $0.oral >= 37.5 }.map(score), neg = normal.map(score)
            var wins = 0.0
            for p in pos { for n in neg { wins += p > n ? 1 : p == n ? 0.5 : 0 } }
            return wins / Double(pos.count * neg.count)
        }
        let plain = auc { $0.canthus }, corrected = auc { $0.canthus + config.skinToCoreOffset(ambientC: $0.room) }
        #expect(corrected > plain + 0.004, "AUC \(plain) → \(corrected)")
    }

    @Test func drawsStayInsideEachGroup() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<500 {
            let n = Population.draw(febrile: false, rng: &rng), f = Population.draw(febrile: true, rng: &rng)
            #expect(n.oralC < 37.5 && f.oralC >= 37.5)
            #expect((33.85...36.81).contains(n.canthusC) && (35.5...38.52).contains(f.canthusC))
        }
    }
}

@Suite struct EvaluationTests {
    @Test func demoFixtureIsMeasuredCompletelyAndTheFeverCaught() throws {
        let e = try Evaluator.evaluate(recordings: [Project.path("Fixtures/demo.canthus")],
                                       truths: [Project.path("Fixtures/demo.truth.json")], config: ScreeningConfig())
        #expect(e.measurable == 3 && e.correctDecisions == 3 && e.decisions == 3)
        #expect(e.recall == 1 && e.precision == 1)
        #expect(e.feverPositives == 1 && e.feverSensitivity == 1 && e.feverSpecificity == 1)
        #expect(e.headcountError == 0 && e.idSwitches == 0)
        // Two bare faces read within 0.15 °C; the third wears glasses and reads low.
        #expect(e.canthusMAE < 0.5)
    }

    @Test func scoringCountsWrongAndDuplicateDecisions() {
        func person(_ id: Int, canthus: Double, measurable: Bool = true) -> TruthPerson {
            TruthPerson(id: id, canthusC: canthus, oralC: canthus + 1.3, febrile: false, measurable: measurable, notMeasurableBecause: [],
                        crossedLine: false, direction: nil, glasses: false, mask: false, hat: false, distanceM: 1, speedMPS: 1,
                        faceWidthPx: 20, firstFrame: 0, lastFrame: 5)
        }
        let truth = Truth(recording: "x", camera: "c", fps: 9, width: 10, height: 10, frameCount: 6, seed: 1, reference: nil,
                          driftK: 0, cameraGain: 1, cameraOffsetK: 0, countingLine: nil,
                          people: [person(1, canthus: 36.5), person(2, canthus: 35.0), person(3, canthus: 35, measurable: false)],
                          frames: [], blackbody: nil)
        func decision(_ track: Int, _ canthus: Double) -> Event {
            Event(source: "x", frame: 1, timeS: 0, body: .decision(Decision(track: track, canthusC: canthus, temperatureC: canthus + 1.31,
                  raw: 0, level: canthus + 1.31 >= 37.5 ? .alarm : .normal, mode: .absolute, thresholdC: 37.5, frames: 3, reasons: [])))
        }
        let events = [decision(10, 36.6), decision(11, 36.4), decision(12, 35.0), Event(source: "x", frame: 2, timeS: 0, body: .count(track: 10, direction: .pass))]
        let outcome = RecordingOutcome(truth: truth, events: events, trackVotes: [10: [1: 5], 11: [1: 4], 12: [3: 3, 2: 1]])
        let e = Evaluator.score([outcome], config: ScreeningConfig())
        #expect(e.decisions == 3 && e.correctDecisions == 1)       // 11 duplicates person 1; 12 is person 3, not measurable
        #expect(abs(e.recall - 0.5) < 1e-9 && abs(e.precision - 1.0 / 3) < 1e-9)
        #expect(abs(e.canthusMAE - 0.1) < 1e-9)
        #expect(e.idSwitches == 2)                                 // two tracks on person 1; track 12 spans two people
        #expect(e.headcountError == 2)                             // 1 counted, 3 people in view
        #expect(e.feverPositives == 1 && e.feverSensitivity == 1)  // 36.5 + 1.31 ≥ 37.5
    }
}

/// The cases a gate must not take for a fever, each with its code: a 60 °C cup, a person too
/// far away, a face cut by the frame's edge, a runner.
@Suite struct SpecialCaseTests {
    func events(_ preset: String) throws -> [Event] {
        let path = Project.temporaryDirectory() + "/\(preset).canthus"
        try Simulator(scenario: try Presets.named(preset), seed: 1).run(recordingPath: path, truthPath: nil)
        let source = try openSource(path: path)
        var out: [Event] = []
        try Screener(header: source.header, config: ScreeningConfig(), sourceName: source.name).screenAll(source) { out.append($0) }
        return out.filter { if case .status = $0.body { return false } else { return true } }
    }

    func decisions(_ e: [Event]) -> [Decision] { e.compactMap { if case .decision(let d) = $0.body { d } else { nil } } }
    func rejections(_ e: [Event]) -> [[String]] { e.compactMap { if case .rejected(_, let r, _) = $0.body { r } else { nil } } }
    func counts(_ e: [Event]) -> Int { e.filter { if case .count = $0.body { true } else { false } }.count }

    @Test func hotCupIsNeverAPerson() throws {
        let e = try events("hot-cup")
        // The person walking past is measured once and counted once; the cup is nothing.
        #expect(decisions(e).count == 1 && decisions(e).allSatisfy { $0.level == .normal }, "\(e.map(\.json))")
        #expect(rejections(e).isEmpty && counts(e) == 1, "\(e.map(\.json))")
    }

    /// Winter at the gate: a hat and a mask leave a band of skin across the eyes, wider than tall.
    /// It is measured once (and, with glasses too, flagged), not dropped as a flat region.
    @Test(arguments: [false, true])
    func aFaceBetweenHatAndMaskIsMeasured(glasses: Bool) throws {
        var scenario = try Presets.named("hot-cup")
        scenario.hotObjects = []
        scenario.people = [Presets.person(enter: 1.0, distance: 0.9, speed: 0.5, direction: .right, height: 0.35, glasses: glasses)]
        scenario.people[0].hat = true
        scenario.people[0].mask = true
        let path = Project.temporaryDirectory() + "/hat-mask.canthus"
        try Simulator(scenario: scenario, seed: 1).run(recordingPath: path, truthPath: nil)
        let source = try openSource(path: path)
        var e: [Event] = []
        try Screener(header: source.header, config: ScreeningConfig(), sourceName: source.name).screenAll(source) { e.append($0) }
        #expect(decisions(e).count == 1 && decisions(e)[0].reasons == (glasses ? ["glasses"] : []), "\(e.map(\.json))")
        #expect(rejections(e).isEmpty && counts(e) == 1, "\(e.map(\.json))")
    }

    /// The same person in a room at 22 °C and at 28 °C: the same canthus, and a body estimate
    /// lower in the warmer room by the room's share (0.084 K per kelvin): the offset is set by
    /// the scene's background.
    @Test func aWarmerRoomTakesLessFromSkinToCore() throws {
        var offsets: [Double] = [], canthus: [Double] = []
        for room in [22.0, 28.0] {
            var scenario = try Presets.named("hot-cup")
            scenario.hotObjects = []
            scenario.ambientC = room
            scenario.people = [Presets.person(enter: 1.0, distance: 0.9, speed: 0.5, direction: .right, height: 0.35)]
            let path = Project.temporaryDirectory() + "/room-\(Int(room)).canthus"
            try Simulator(scenario: scenario, seed: 1).run(recordingPath: path, truthPath: nil)
            let source = try openSource(path: path)
            var e: [Event] = []
            try Screener(header: source.header, config: ScreeningConfig(), sourceName: source.name).screenAll(source) { e.append($0) }
            let d = decisions(e)
            try #require(d.count == 1, "\(e.map(\.json))")
            offsets.append(d[0].temperatureC - d[0].canthusC)
            canthus.append(d[0].canthusC)
        }
        #expect(abs(canthus[0] - canthus[1]) < 0.1, "canthus \(canthus)")
        let config = DecisionConfig()
        #expect(abs(offsets[0] - config.skinToCoreOffset(ambientC: 22)) < 0.05, "offsets \(offsets)")
        #expect(abs(offsets[1] - config.skinToCoreOffset(ambientC: 28)) < 0.05, "offsets \(offsets)")
        #expect(abs((offsets[0] - offsets[1]) - 6 * 0.084) < 0.05, "offsets \(offsets)")
    }

    @Test(arguments: [("far", "too_far"), ("edge", "edge"), ("runner", "motion")])
    func unmeasurablePersonIsRejectedWithTheReason(preset: String, code: String) throws {
        let e = try events(preset)
        #expect(decisions(e).isEmpty, "\(e.map(\.json))")
        #expect(rejections(e).count == 1 && rejections(e)[0].contains(code), "\(e.map(\.json))")
        #expect(counts(e) == 1)
    }
}
