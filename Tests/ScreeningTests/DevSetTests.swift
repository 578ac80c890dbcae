import Capture
import Foundation
@testable import Screening
import Testing
import TestSupport

/// The real development set: 45 labelled recordings from six fever-screening kiosks
/// (refdata/feverscreen-tko, README there), none of which shaped the rules before issue 10.
/// Each is replayed as a user would, with the kiosk's rotation and its disc's set-point from
/// `labels.csv` — nothing else about the kiosk, the file or the device is given.
///
/// Reported per recording and in total: people screened (a decision, or a `cold` rejection)
/// against the label, decisions on recordings where nobody scanned, alarms, the frames in which
/// the reference was found within 2 px of the disc's centre, and readings beside the kiosk's.
@Suite struct DevSetTests {
    struct Row {
        var file: String
        var device: String
        var setPointC: Double
        var scanned: Int
        var features: String
        var kioskReadings: [Double]
    }

    /// Disc centres (upright x, y) per device, from the README's table — test truth only: the
    /// screener is never told them.
    static let discCentres: [String: (x: Double, y: Double)] = [
        "fs-1220": (26, 132), "fs-1204": (9, 152.5), "fs-1216": (95, 108), "fs-1228": (104, 101.5),
        "tko-1007-0013-9125": (100, 105), "tko-0257-2888-4209": (97, 98),
    ]

    /// The kiosks are stepped up to (what `--import-preset feverscreen-kiosk` implies).
    static let kioskConfig: ScreeningConfig = {
        var c = ScreeningConfig()
        c.screeningProtocol = .stepUp
        return c
    }()

    static func rows(_ root: String) throws -> [Row] {
        let text = try String(contentsOfFile: root + "/feverscreen-tko/labels.csv", encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        let head = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func col(_ name: String) -> Int { head.firstIndex(of: name)! }
        return lines.map { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Row(file: f[col("file")], device: f[col("device")], setPointC: Double(f[col("calibration_c")])!,
                       scanned: Int(f[col("scanned")])!, features: f[col("features")],
                       kioskReadings: f[col("real_temps")].split(separator: ";").compactMap { Double($0) })
        }
    }

    struct Outcome {
        var row: Row
        var decisions: [Decision] = []
        var cold = 0
        var frames = 0
        var referenceNear = 0
        var screened: Int { decisions.count + cold }
    }

    static func screen(_ row: Row, root: String) throws -> Outcome {
        let options = ImportOptions(rotation: .cw90, reference: ReferenceSource(radiusPx: 6, setTemperatureC: row.setPointC))
        let source = try openSource(path: root + "/feverscreen-tko/" + row.file, options: options)
        let screener = Screener(header: source.header, config: kioskConfig, sourceName: source.name)
        let truth = discCentres[row.device]!
        var out = Outcome(row: row)
        let collect: (Event) -> Void = { e in
            switch e.body {
            case .decision(let d): out.decisions.append(d)
            case .rejected(_, let reasons, _) where reasons.contains("cold"): out.cold += 1
            default: break
            }
        }
        var frame = Frame.empty
        while try source.next(into: &frame) {
            screener.process(frame, index: out.frames, emit: collect)
            if case .ok = screener.referenceStatus, let p = screener.reference.position,
               ((p.x - truth.x) * (p.x - truth.x) + (p.y - truth.y) * (p.y - truth.y)).squareRoot() <= 2 {
                out.referenceNear += 1
            }
            out.frames += 1
        }
        screener.finish(emit: collect)
        return out
    }

    @Test(.needsRefData) func developmentSet() throws {
        guard let root = RefData.root, FileManager.default.fileExists(atPath: root + "/feverscreen-tko/labels.csv") else {
            Issue.record(Comment(rawValue: RefData.absentMessage + " (feverscreen-tko)"))
            return
        }
        let outcomes = try Self.rows(root).map { try Self.screen($0, root: root) }
        var right = 0, frames = 0, near = 0, zeroWithDecisions = 0, alarms = 0
        var differences: [Double] = []
        print("recording                                     set   label screened  decisions (body °C, level)          kiosk          reference")
        for o in outcomes {
            let ok = o.screened == o.row.scanned
            if ok { right += 1 }
            if o.row.scanned == 0 && !o.decisions.isEmpty { zeroWithDecisions += 1 }
            alarms += o.decisions.filter { $0.level != .normal }.count
            frames += o.frames
            near += o.referenceNear
            if o.row.scanned == 1, o.decisions.count == 1, !o.row.kioskReadings.isEmpty {
                // The kiosk logs every reading of the device within the clip's length either side:
                // the nearest one is this visit's.
                let t = o.decisions[0].temperatureC
                differences.append(o.row.kioskReadings.map { t - $0 }.min { abs($0) < abs($1) }!)
            }
            let ds = o.decisions.map { String(format: "%.2f %@", $0.temperatureC, $0.level.rawValue) }.joined(separator: ", ")
            print(String(format: "%@ %-42@ %5.1f %5d %8d  %-36@ %-14@ %5.1f%%", ok ? "ok " : "BAD", String(o.row.file.prefix(42)), o.row.setPointC,
                         o.row.scanned, o.screened, ds, o.row.kioskReadings.map { String($0) }.joined(separator: ";"),
                         100 * Double(o.referenceNear) / Double(max(1, o.frames))))
        }
        let meanDifference = differences.isEmpty ? 0 : differences.reduce(0, +) / Double(differences.count)
        let meanAbs = differences.isEmpty ? 0 : differences.map(abs).reduce(0, +) / Double(differences.count)
        print(String(format: "dev set: screened = label in %d/%d recordings; %d of %d zero-scan recordings with decisions; %d alarms/pre-alarms; reference within 2 px in %.2f%% of %d frames; body vs kiosk (%d single-person recordings): mean %+.2f K, mean |d| %.2f K",
                     right, outcomes.count, zeroWithDecisions, outcomes.filter { $0.row.scanned == 0 }.count, alarms,
                     100 * Double(near) / Double(frames), frames, differences.count, meanDifference, meanAbs))
        // Issue 10's targets: screened = label in ≥ 90 % (41) of the recordings, no decision on a
        // zero-scan recording, no alarm or pre-alarm, the reference within 2 px in ≥ 99 % of the
        // frames. What is reached now is held here; docs/screening.md says what is still short.
        #expect(Double(near) >= 0.99 * Double(frames), "reference within 2 px of the disc's centre in \(near) of \(frames) frames")
        #expect(right >= 42, "screened = label in \(right) recordings")
        #expect(zeroWithDecisions == 0, "\(zeroWithDecisions) zero-scan recordings with decisions")
        #expect(alarms == 0, "\(alarms) alarms or pre-alarms")
    }
}
