import Capture
import Foundation
import Testing
import TestSupport

struct KioskFrames: Decodable {
    struct FrameInfo: Decodable {
        let i: Int
        let min: Int
        let max: Int
        let sha256_u16le: String
        let time_on_ms: UInt32
        let last_ffc_time_ms: UInt32
    }
    struct Disc: Decodable { let center_yx: [Int]; let radius_px: Int }
    let frame_count: Int
    let frames: [FrameInfo]
    let thermal_reference_disc: Disc

    static func load(_ name: String) throws -> KioskFrames? {
        guard let path = RefData.path("feverscreen/derived/\(name)_frames.json") else { return nil }
        return try JSONDecoder().decode(KioskFrames.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

@Suite struct CPTVTests {
    @Test(.needsRefData, arguments: RefData.kioskRecordings)
    func everyFrameMatchesTheReferenceHash(name: String) throws {
        guard let path = RefData.path("feverscreen/\(name).cptv"), let truth = try KioskFrames.load(name) else {
            Issue.record(Comment(rawValue: RefData.absentMessage))
            return
        }
        let reader = try CPTVReader(path: path)
        #expect(reader.problems.isEmpty, "\(reader.problems)")
        #expect(reader.frameCount == truth.frame_count)
        #expect(reader.header.camera.width == 160 && reader.header.camera.height == 120)
        #expect(reader.header.camera.model == "lepton3.5")
        var frame = Frame.empty
        var mismatches: [Int] = []
        for info in truth.frames {
            #expect(try reader.next(into: &frame))
            if sha256Hex(frame.pixels) != info.sha256_u16le { mismatches.append(info.i) }
            #expect(frame.timestampNs == UInt64(info.time_on_ms) * 1_000_000)
            #expect(Int(frame.pixels.min()!) == info.min && Int(frame.pixels.max()!) == info.max)
        }
        #expect(mismatches.isEmpty, "frames whose hash differs: \(mismatches)")
        #expect(try reader.next(into: &frame) == false)
    }

    @Test(.needsRefData) func truncatedCPTVReplaysTheGoodPartAndSaysSo() throws {
        guard let path = RefData.path("feverscreen/20210325-091249.cptv") else {
            Issue.record(Comment(rawValue: RefData.absentMessage))
            return
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = Project.temporaryDirectory() + "/cut.cptv"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let reader = try CPTVReader(path: cut)
        #expect(reader.frameCount > 10 && reader.frameCount < 86)
        #expect(reader.problems.count == 1)
        #expect(reader.problems.first?.description.contains("cut.cptv: truncated at byte") == true)
    }
}
