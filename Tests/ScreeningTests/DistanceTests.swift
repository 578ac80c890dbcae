import Capture
import Foundation
@testable import Screening
import Testing
import TestSupport

@Suite struct DistanceTests {
    @Test func focalLengthAndDistanceFollowTheFormula() throws {
        let g = try #require(CameraGeometry(hfovDeg: 57, widthPx: 160))
        #expect(abs(g.focalPx - 80 / tan(28.5 * .pi / 180)) < 1e-9)
        // A 0.15 m face 30 px wide under a 147.3 px focal length stands at 0.737 m.
        #expect(abs(g.distanceM(faceWidthPx: 30, faceWidthM: 0.15) - g.focalPx * 0.15 / 30) < 1e-12)
        #expect(abs(g.maxScreeningDistanceM(minFaceWidthPx: 20, faceWidthM: 0.15) - 1.1047) < 1e-3)
        #expect(CameraGeometry(hfovDeg: 0, widthPx: 160) == nil, "unknown field of view: no distance")
        #expect(CameraGeometry(hfovDeg: 57, widthPx: 0) == nil)
    }

    /// Every row of docs/distance.md's table follows from the formula it states.
    @Test func theDocumentsTableIsTheFormulasFigures() throws {
        let doc = try String(contentsOfFile: Project.path("docs/distance.md"), encoding: .utf8)
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| camera") && !$0.hasPrefix("|---") }
        #expect(rows.count >= 10)
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let n = try #require(Int(cells[1])), fov = try #require(Double(cells[2]))
            let g = try #require(CameraGeometry(hfovDeg: fov, widthPx: n))
            let dMax = g.maxScreeningDistanceM(minFaceWidthPx: 20, faceWidthM: 0.15)
            #expect(cells[3] == String(format: "%.0f", g.focalPx), "\(cells[0]): f")
            #expect(cells[4] == String(format: "%.1f", dMax), "\(cells[0]): d_max")
            #expect(cells[5] == String(format: "%.1f", g.focalPx * 0.15 / 8), "\(cells[0]): face at 8 m")
            #expect(cells[6] == (dMax >= 8 ? "yes" : "no"), "\(cells[0]): beyond 8 m")
        }
    }
}
