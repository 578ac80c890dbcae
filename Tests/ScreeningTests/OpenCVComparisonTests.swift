import Foundation
@testable import Screening
import Testing
import TestSupport

/// BlobLabeler against OpenCV's connectedComponentsWithStats (8-connectivity) on the same masks:
/// random masks of several densities and thresholded real kiosk frames. Needs python3 with
/// opencv-python-headless (`make pydeps`, which `make test` runs).
@Suite struct OpenCVComparisonTests {
    @Test(.needsRefData) func statsEqualOpenCVs() throws {
        var masks: [(w: Int, h: Int, pixels: [UInt16], threshold: UInt16)] = []
        var state: UInt64 = 7
        for density in [0.1, 0.3, 0.5, 0.7] {
            var px = [UInt16](repeating: 0, count: 96 * 64)
            for i in 0..<px.count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                px[i] = Double(state >> 11) / Double(1 << 53) < density ? 1 : 0
            }
            masks.append((96, 64, px, 1))
        }
        if let dir = RefData.path("feverscreen/derived") {
            for (file, threshold) in [("20210325-091249_frame044", 30450), ("20210326-110819_frame016", 30300), ("20210322-141052_frame049", 30400)] {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(file)_160x120.u16le"))
                let px = data.withUnsafeBytes { raw in (0..<19_200).map { raw.load(fromByteOffset: 2 * $0, as: UInt16.self) } }
                masks.append((160, 120, px, UInt16(threshold)))
            }
        } else {
            Issue.record(Comment(rawValue: RefData.absentMessage))
        }
        var compared = 0
        for group in Dictionary(grouping: masks.indices, by: { "\(masks[$0].w)x\(masks[$0].h)" }).values {
            let w = masks[group[0]].w, h = masks[group[0]].h
            var bytes = [UInt8]()
            for i in group { bytes += masks[i].pixels.map { $0 >= masks[i].threshold ? 1 : 0 } }
            let path = Project.temporaryDirectory() + "/masks.u8"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", Project.path("tools/cc_stats.py"), path, "\(w)", "\(h)", "\(group.count)"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let json = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            try #require(p.terminationStatus == 0, "tools/cc_stats.py failed: python3 with opencv-python-headless is needed (make pydeps)")
            let opencv = try JSONDecoder().decode([[[Int]]].self, from: json)
            var labeler = BlobLabeler(width: w, height: h)
            for (k, i) in group.enumerated() {
                masks[i].pixels.withUnsafeBufferPointer { labeler.label($0, threshold: masks[i].threshold) }
                let mine = labeler.blobs.map { [$0.minY, $0.minX, $0.area, $0.maxX, $0.maxY, $0.sumX, $0.sumY] }
                    .sorted { $0.lexicographicallyPrecedes($1) }
                compared += mine.count
                #expect(mine == opencv[k], "mask \(i): \(mine.count) blobs here, \(opencv[k].count) in OpenCV")
            }
        }
        #expect(compared > 100, "only \(compared) blobs compared")
    }
}
