import Foundation
import Simulation
import Synchronization
import Testing
import TestSupport

/// The screening core's acceptance figures, measured the way a user would: `canthus simulate`
/// 22 crowds (20 seeds of the TC001 gate, 2 of the 640×512 gate: 308 people), then
/// `canthus eval --json` over all of them. The release build runs both (the debug build would
/// take ten times as long); `make test` builds it first.
@Suite struct CrowdEvaluationTests {
    @Test func crowdsOf308PeopleMeetTheScreeningTargets() throws {
        let binary = CLI.releaseBinary
        try #require(FileManager.default.fileExists(atPath: binary), "no release build at \(binary): run `make release` (make test does)")
        let dir = Project.temporaryDirectory()
        let runs = (1...20).map { ("crowd", $0) } + (1...2).map { ("crowd-640", $0) }
        // Two simulations at a time (this machine has two cores).
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { lane in
            for (i, run) in runs.enumerated() where i % 2 == lane {
                let out = "\(dir)/\(run.0)-\(run.1).canthus"
                do {
                    let r = try CLI.run(["simulate", "--preset", run.0, "--seed", "\(run.1)", "--out", out], executable: binary)
                    if r.status != 0 { failures.withLock { $0.append("\(run): \(r.stderr)") } }
                } catch { failures.withLock { $0.append("\(run): \(error)") } }
            }
        }
        try #require(failures.withLock { $0.isEmpty }, "\(failures.withLock { $0 })")
        let files = runs.map { "\(dir)/\($0.0)-\($0.1).canthus" }
        let r = try CLI.run(["eval", "--json"] + files, executable: binary)
        try #require(r.status == 0, "\(r.stderr)")
        let e = try JSONDecoder().decode(Evaluation.self, from: Data(r.stdout.utf8))
        print("crowds:\n\(e.table)")
        #expect(e.recordings == 22 && e.people >= 300)
        #expect(e.recall >= 0.98)
        #expect(e.precision >= 0.99)
        #expect(e.canthusMAE <= 0.2)
        #expect((e.feverSensitivityMargin ?? 0) >= 0.95)
        #expect((e.feverSpecificityMargin ?? 0) >= 0.95)
        #expect(Double(e.headcountExact) >= 0.95 * Double(e.recordings))
        #expect(e.idSwitches * 100 <= e.tracks)
        // Distance from face width (docs/distance.md): frontal adult faces within 15 %.
        #expect(e.distancesMeasured == e.correctDecisions)
        #expect(e.distancesWithin15Percent == e.distancesMeasured, "worst \(e.distanceMaxError)")
    }
}
