import Capture
import Foundation
import Screening
@testable import Simulation
import Testing
import TestSupport

@Suite struct ScenarioFileTests {
    @Test func exampleScenarioSimulatesShutterDropsAndDrift() throws {
        let scenario = try Scenario.load(path: Project.path("examples/gate-scenario.yaml"))
        #expect(scenario.camera == "tc001" && scenario.crowd?.count == 4 && scenario.people.count == 1)
        let dir = Project.temporaryDirectory()
        let truth = try Simulator(scenario: scenario, seed: 5).run(recordingPath: dir + "/g.canthus", truthPath: nil)
        #expect(truth.people.count == 5)
        #expect(truth.frameCount < 200 && truth.frameCount > 184, "3 % of 200 frames dropped")
        #expect(truth.frames.contains { $0.shutter })
        #expect(abs(truth.frames.last!.driftK - 0.6) < 0.01)
        let reader = try RecordingReader(path: dir + "/g.canthus")
        var f = Frame.empty
        var shutter = 0, afterDrop = 0, gaps = 0
        var last: UInt64?
        while try reader.next(into: &f) {
            if f.flags.contains(.shutter) { shutter += 1 }
            if f.flags.contains(.afterDrop) { afterDrop += 1 }
            if let last, f.sequence != last + 1 { gaps += 1 }
            last = f.sequence
        }
        #expect(shutter == truth.frames.filter(\.shutter).count && shutter >= 6)
        #expect(afterDrop == gaps && gaps > 0)
        // The pipeline pauses for the shutter and says so.
        var reasons: Set<String> = []
        let screener = Screener(header: reader.header, config: ScreeningConfig(), sourceName: "g")
        reader.seek(toFrame: 0)
        var i = 0
        while try reader.next(into: &f) {
            screener.process(f, index: i) { if case .status(_, let r) = $0.body { reasons.formUnion(r) } }
            i += 1
        }
        #expect(reasons.contains("shutter"))
    }

    @Test func badScenarioNamesFileAndField() throws {
        let path = Project.temporaryDirectory() + "/bad.yaml"
        try "camera: lepton35\npeople:\n  - {distance: 2}\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try Scenario.load(path: path)
            Issue.record("accepted a scenario with an unknown key")
        } catch {
            #expect("\(error)".contains(path) && "\(error)".contains("unknown setting 'distance'"))
        }
        try "camera: hubble\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try Scenario.load(path: path) }
    }
}
