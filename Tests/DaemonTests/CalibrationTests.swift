import Capture
@testable import Daemon
import Foundation
import GRDB
import Radiometry
import Records
import Screening
import Simulation
import Testing
import TestSupport

/// `canthus calibrate` / `verify` on the simulator's calibration scenes: a camera that reads
/// 1.02·T − 0.6 °C in front of a blackbody at 30, 35 and 40 °C.
@Suite struct CalibrationTests {
    func scene(_ preset: String, seed: UInt64 = 5) throws -> String {
        let path = Project.temporaryDirectory() + "/\(preset).canthus"
        try Simulator(scenario: try Presets.named(preset), seed: seed).run(recordingPath: path, truthPath: nil)
        return path
    }

    func capture(_ path: String, plan: CalibrationPlan) throws -> (FrameSource, [SetpointReading]) {
        let source = try openSource(path: path)
        return (source, try CalibrationCapture(plan: plan, prompt: { _ in }, progress: { _ in }).run(source: source))
    }

    @Test(arguments: ["calibration", "calibration-region"])
    func gainAndOffsetErrorIsCalibratedAway(preset: String) throws {
        var plan = CalibrationPlan(setpointsC: [30, 35, 40])
        if preset == "calibration-region" { plan.region = [65, 45, 30, 30] }
        let (source, readings) = try capture(try scene(preset), plan: plan)
        #expect(readings.map { ($0.readingC * 10).rounded() / 10 } == [30.0, 35.1, 40.2])   // 1.02·T − 0.6
        let (record, reasons) = CalibrationRecord.judge(readings, plan: plan, header: source.header, source: "scene")
        #expect(record.passed && reasons.isEmpty)
        #expect(record.residualsK.allSatisfy { abs($0) <= 0.05 })
        #expect(abs(record.gain - 1 / 1.02) < 0.002 && abs(record.offsetC - 0.6 / 1.02) < 0.05)
    }

    @Test func oneSetpointFitsAnOffset() throws {
        let plan = CalibrationPlan(setpointsC: [30])
        let (source, readings) = try capture(try scene("calibration"), plan: plan)
        let (record, _) = CalibrationRecord.judge(readings, plan: plan, header: source.header, source: "scene")
        #expect(record.gain == 1 && abs(record.offsetC - (30 - readings[0].readingC)) < 1e-12 && record.passed)
    }

    @Test(arguments: ["calibration-noisy", "calibration-drifting"])
    func aNoisyOrDriftingBlackbodyFails(preset: String) throws {
        do {
            _ = try capture(try scene(preset), plan: CalibrationPlan(setpointsC: [30, 35, 40]))
            Issue.record("\(preset) was accepted")
        } catch let e as CalibrationError {
            #expect(e.description.contains("never held within 0.10 K"), "\(e)")
        }
    }

    @Test func badPlansAreRefusedClearly() throws {
        let path = try scene("calibration")
        do { _ = try capture(path, plan: CalibrationPlan(setpointsC: [30, 80])); Issue.record("80 °C accepted") } catch let e as CalibrationError {
            #expect(e.description == "set-point 80.0 °C is outside the calibration range 15.0…55.0 °C")
        }
        do { _ = try capture(path, plan: CalibrationPlan(setpointsC: [30], region: [150, 100, 20, 20])); Issue.record("region accepted") } catch let e as CalibrationError {
            #expect(e.description == "region 150,100,20,20 lies outside the 160×120 frame")
        }
    }

    @Test func aResidualOverTheToleranceFails() throws {
        // Verify a wrong calibration: the camera's error is left uncorrected (identity).
        let plan = CalibrationPlan(setpointsC: [30, 35, 40])
        let (source, readings) = try capture(try scene("calibration"), plan: plan)
        let (record, reasons) = CalibrationRecord.judge(readings, plan: plan, header: source.header, source: "scene", fit: .identity)
        // 1.02·40 − 0.6 = 40.2: off by 0.2, inside ±0.3 …
        #expect(record.passed && reasons.isEmpty)
        // … but not inside ±0.1.
        var strict = plan
        strict.toleranceC = 0.1
        let (strictRecord, strictReasons) = CalibrationRecord.judge(readings, plan: strict, header: source.header, source: "scene", fit: .identity)
        #expect(!strictRecord.passed && strictReasons.count == 1 && strictReasons[0].hasPrefix("set-point 40.0 °C: residual -0.199 K"))
    }

    @Test func fileIsWrittenAtomicallyWithHistoryAndACorruptOneIsRefused() throws {
        let plan = CalibrationPlan(setpointsC: [30, 35, 40])
        let (source, readings) = try capture(try scene("calibration"), plan: plan)
        let (record, _) = CalibrationRecord.judge(readings, plan: plan, header: source.header, source: "scene")
        let dir = Project.temporaryDirectory()
        let path = dir + "/calibration.json"
        #expect(try CalibrationStore.write(record, to: path) == nil)
        let first = try Data(contentsOf: URL(fileURLWithPath: path))
        let kept = try #require(try CalibrationStore.write(record, to: path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: kept)) == first)
        #expect(try CalibrationStore.load(path: path) == record)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["calibration.json", "history"])

        // The service reads it through its configuration; a damaged file is an error naming it.
        let config = dir + "/canthus.yaml"
        try "calibration_file: calibration.json\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try CanthusConfig.load(path: config).calibration == record.calibration)
        try Data(first.prefix(first.count / 2)).write(to: URL(fileURLWithPath: path))
        do { _ = try CanthusConfig.load(path: config); Issue.record("a truncated calibration file was accepted") } catch {
            #expect("\(error)".hasPrefix("\(config):1: calibration_file: \(path): not a valid calibration file"), "\(error)")
        }
    }

    @Test func commandLineCalibrateAndVerify() throws {
        let path = try scene("calibration")
        let dir = Project.temporaryDirectory()
        let store = dir + "/records/canthus.sqlite"
        let pass = try CLI.run(["calibrate", "--source", path, "--setpoints", "30,35,40", "--non-interactive", "--out", dir + "/c.json", "--store", store])
        #expect(pass.status == 0, "\(pass.stderr)")
        #expect(pass.stdout.contains("PASS: every residual within ±0.30 °C") && pass.stdout.contains("Set the blackbody to 35.0 °C"))
        let verify = try CLI.run(["verify", "--source", path, "--setpoints", "30,35,40", "--non-interactive", "--calibration", dir + "/c.json"])
        #expect(verify.status == 0 && verify.stdout.contains("PASS"))
        let noisy = try scene("calibration-noisy")
        let fail = try CLI.run(["calibrate", "--source", noisy, "--setpoints", "30,35,40", "--non-interactive", "--out", dir + "/c.json", "--store", store])
        #expect(fail.status == 1 && fail.stderr.contains("FAIL: set-point 30.0 °C"))
        // A run judged FAIL (the blackbody was at 35 °C, the technician typed 36) writes no file,
        // and like the passed run is in the records, with its fit and whole record; a run whose
        // readings never steadied had nothing to fit and is not.
        let tight = try CLI.run(["calibrate", "--source", path, "--setpoints", "30,36,40", "--non-interactive", "--out", dir + "/c.json",
                                 "--store", store])
        #expect(tight.status == 1 && tight.stdout.contains("Nothing written") && tight.stdout.contains("Recorded in \(store)"), "\(tight.stdout)")
        let runs = try RecordStore(path: store).db.read { db in
            try Row.fetchAll(db, sql: "SELECT passed, gain, offset_c, json_extract(record, '$.tolerance_c') AS tolerance FROM calibrations ORDER BY rowid")
        }
        #expect(runs.map { $0["passed"] as Bool } == [true, false])
        let written = try CalibrationStore.load(path: dir + "/c.json")
        #expect(runs.map { $0["tolerance"] as Double } == [0.3, 0.3] && abs((runs[0]["gain"] as Double) - written.gain) < 1e-12)
        // The previous calibration stays in force: the file is the one verify just passed.
        #expect(try CalibrationStore.load(path: dir + "/c.json").passed)
        let missing = try CLI.run(["verify", "--source", path, "--setpoints", "30", "--non-interactive", "--calibration", dir + "/none.json"])
        #expect(missing.status == 1 && missing.stderr.contains("none.json: cannot read the calibration file"))
    }
}

@Suite struct FlatFieldTests {
    @Test func flatFieldRemovesTheCamerasNonUniformity() throws {
        var scenario = try Presets.named("calibration")
        scenario.nonuniformityK = 0.3
        let path = Project.temporaryDirectory() + "/nuc.canthus"
        try Simulator(scenario: scenario, seed: 9).run(recordingPath: path, truthPath: nil)
        var plan = CalibrationPlan(setpointsC: [30, 35, 40])
        plan.flatField = true
        let source = try openSource(path: path)
        let capture = CalibrationCapture(plan: plan, prompt: { _ in }, progress: { _ in })
        _ = try capture.run(source: source)
        let field = try capture.flatField(source: source, frames: plan.frames)
        #expect(abs(field.spreadK - 0.3 * 1.02) < 0.05, "spread \(field.spreadK) K")

        // The same blackbody frame, screened without and with the flat field.
        let reader = try RecordingReader(path: path)
        var frame = Frame.empty
        try reader.read(frame: reader.frameCount - 3, into: &frame)
        func spread(_ f: FlatField?) -> Double {
            let s = Screener(header: reader.header, config: ScreeningConfig(), flatField: f, sourceName: "nuc")
            s.process(frame, index: 0) { _ in }
            let t: [Double] = s.screened(frame).pixels.map { Double(s.table[$0]) }
            let n = Double(t.count)
            let m: Double = t.reduce(0, +) / n
            let variance: Double = t.reduce(0) { $0 + ($1 - m) * ($1 - m) } / n
            return variance.squareRoot()
        }
        let before = spread(nil), after = spread(field)
        #expect(before > 0.25 && after < 0.1, "pixel spread \(before) K → \(after) K")

        // It travels in the calibration file.
        var (record, _) = CalibrationRecord.judge(try capture.run(source: try openSource(path: path)), plan: plan,
                                                  header: reader.header, source: "nuc")
        record.flatField = field
        let file = Project.temporaryDirectory() + "/c.json"
        try CalibrationStore.write(record, to: file)
        #expect(try CalibrationStore.load(path: file).flatField == field)
        let config = Project.temporaryDirectory() + "/canthus.yaml"
        try "calibration_file: \(file)\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try CanthusConfig.load(path: config).flatField == field)
    }

    @Test func aFlatFieldNeedsTheWholeView() throws {
        var plan = CalibrationPlan(setpointsC: [30], region: [10, 10, 20, 20])
        plan.flatField = true
        #expect(throws: CalibrationError.self) { try plan.validate(width: 160, height: 120) }
    }
}
