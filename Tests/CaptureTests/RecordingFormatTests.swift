@testable import Capture
import Foundation
import Radiometry
import Testing
import TestSupport

func sampleHeader(width: Int = 32, height: Int = 24) -> RecordingHeader {
    RecordingHeader(camera: CameraDescription(model: "test", serial: "T1", width: width, height: height, fps: 9, hfovDeg: 57),
                    radiometry: .leptonTLinearHigh,
                    reference: ReferenceSource(x: 3, y: 4, radiusPx: 2, setTemperatureC: 35),
                    origin: "unit-test")
}

func sampleFrames(count: Int, width: Int = 32, height: Int = 24, seed: UInt64 = 1) -> [Frame] {
    var state = seed
    func next() -> UInt16 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt16(truncatingIfNeeded: state >> 40)
    }
    return (0..<count).map { i in
        var f = Frame(width: width, height: height)
        for j in 0..<f.pixels.count { f.pixels[j] = i % 2 == 0 ? 29000 &+ (next() & 0x3ff) : next() }
        f.timestampNs = UInt64(i) * 111_111_111
        f.sequence = UInt64(i + 100)
        f.flags = i == 2 ? [.shutter] : []
        if i == 1 { f.visibleJPEG = [0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9] }
        return f
    }
}

func writeRecording(_ frames: [Frame], header: RecordingHeader = sampleHeader()) throws -> String {
    let path = Project.temporaryDirectory() + "/r.canthus"
    let w = try RecordingWriter(path: path, header: header)
    for f in frames { try w.append(f) }
    try w.close()
    return path
}

@Suite struct RecordingFormatTests {
    @Test func roundTripKeepsEveryFieldAndPixel() throws {
        let frames = sampleFrames(count: 5)
        let path = try writeRecording(frames)
        let r = try RecordingReader(path: path)
        #expect(r.problems.isEmpty)
        #expect(r.header == sampleHeader())
        #expect(r.frameCount == 5)
        var f = Frame.empty
        for expected in frames {
            #expect(try r.next(into: &f))
            #expect(f == expected)
        }
        #expect(try r.next(into: &f) == false)
    }

    @Test func seekingReadsAnyFrameDirectly() throws {
        let frames = sampleFrames(count: 6)
        let r = try RecordingReader(path: try writeRecording(frames))
        var f = Frame.empty
        for i in [5, 0, 3, 3, 1] {
            try r.read(frame: i, into: &f)
            #expect(f == frames[i])
        }
    }

    @Test func truncatedTailKeepsEveryCompleteFrameAndSaysWhere() throws {
        let path = try writeRecording(sampleFrames(count: 4))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: path))
        let r = try RecordingReader(path: path)
        #expect(r.frameCount == 3)
        #expect(r.problems.count == 1)
        let message = r.problems[0].description
        #expect(message.hasPrefix(path + ": truncated at byte "))
    }

    @Test func corruptRecordIsDroppedAndTheRestReplays() throws {
        let frames = sampleFrames(count: 4)
        let path = try writeRecording(frames)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        // Find record 1 and flip a byte inside its IR data.
        let marker = Data("CNFR".utf8)
        var starts: [Int] = []
        var from = data.startIndex
        while let r = data.range(of: marker, in: from..<data.endIndex) { starts.append(r.lowerBound); from = r.upperBound }
        #expect(starts.count == 4)
        data[starts[1] + 50] ^= 0xFF
        try data.write(to: URL(fileURLWithPath: path))
        let r = try RecordingReader(path: path)
        #expect(r.frameCount == 3)
        #expect(r.problems.map(\.description) == ["\(path): corrupt data at byte \(starts[1]): record 1: checksum mismatch; frame dropped"])
        var f = Frame.empty
        try r.read(frame: 1, into: &f)
        #expect(f == frames[2])
    }

    @Test func notARecordingNamesTheFile() throws {
        let path = Project.temporaryDirectory() + "/notes.txt"
        try Data("hello, this is text".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: RecordingError(path: path, offset: 0, kind: .notARecording)) { try openSource(path: path) }
        let message = RecordingError(path: path, offset: 0, kind: .notARecording).description
        #expect(message.contains(path) && message.contains("not a file canthus reads"))
    }

    @Test func unknownVersionIsRefusedClearly() throws {
        let path = try writeRecording(sampleFrames(count: 1))
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[8] = 7
        try data.write(to: URL(fileURLWithPath: path))
        do {
            _ = try RecordingReader(path: path)
            Issue.record("a version-7 file was accepted")
        } catch let e as RecordingError {
            #expect(e.kind == .unsupportedVersion(7))
            #expect(e.description == "\(path): recording format version 7 is not supported (this canthus reads version 1)")
        }
    }

    @Test func damagedHeaderIsRefused() throws {
        let path = try writeRecording(sampleFrames(count: 1))
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[20] ^= 0x20
        try data.write(to: URL(fileURLWithPath: path))
        #expect(throws: RecordingError.self) { try RecordingReader(path: path) }
    }

    @Test func headerIsJSONWithUnitsInFieldNames() throws {
        let path = try writeRecording(sampleFrames(count: 1))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = Int(data[12]) | Int(data[13]) << 8 | Int(data[14]) << 16 | Int(data[15]) << 24
        let json = try JSONSerialization.jsonObject(with: data[16..<16 + length]) as! [String: Any]
        let radiometry = json["radiometry"] as! [String: Any]
        #expect(radiometry["kind"] as? String == "linear")
        #expect(radiometry["kelvin_per_count"] as? Double == 0.01)
        let reference = json["reference"] as! [String: Any]
        #expect(reference["set_temperature_c"] as? Double == 35)
        #expect((json["camera"] as! [String: Any])["hfov_deg"] as? Double == 57)
    }

    @Test func rotationMapsAndRotatesConsistently() {
        var f = Frame(width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6])
        var out = Frame.empty
        Rotation.cw90.apply(f, into: &out)
        #expect(out.width == 2 && out.height == 3)
        #expect(out.pixels == [4, 1, 5, 2, 6, 3])
        for r in Rotation.allCases {
            r.apply(f, into: &out)
            for y in 0..<2 { for x in 0..<3 {
                let p = r.map(x: x, y: y, width: 3, height: 2)
                #expect(out[p.x, p.y] == f[x, y])
            } }
        }
        f.pixels[0] = 9
        Rotation.cw180.apply(f, into: &out)
        #expect(out.pixels.last == 9)
    }
}

/// The IR image codec on its own: lossless, one inflater reused from frame to frame, and damaged
/// data (which a record's CRC would normally catch first) refused rather than half decoded.
@Suite struct RowDeltaCodecTests {
    @Test func roundTripsFrameAfterFrameWithOneInflater() {
        var codec = RowDeltaCodec()
        for f in sampleFrames(count: 6, width: 37, height: 11) {
            let packed = codec.encode(f.pixels, width: 37, level: 6) { Array($0) }
            var out = [UInt16](repeating: 0, count: f.pixels.count)
            #expect(packed.withUnsafeBytes { codec.decode($0, width: 37, into: &out) })
            #expect(out == f.pixels)
        }
    }

    @Test func refusesTruncatedGarbledAndOversizedData() {
        var codec = RowDeltaCodec()
        let f = sampleFrames(count: 1, width: 16, height: 8)[0]
        let packed = codec.encode(f.pixels, width: 16, level: 6) { Array($0) }
        var out = [UInt16](repeating: 0, count: f.pixels.count)
        #expect(!Array(packed.dropLast(5)).withUnsafeBytes { codec.decode($0, width: 16, into: &out) })
        var garbled = packed
        for i in 2..<min(40, garbled.count) { garbled[i] ^= 0x5A }
        #expect(!garbled.withUnsafeBytes { codec.decode($0, width: 16, into: &out) })
        var small = [UInt16](repeating: 0, count: 16 * 7)
        #expect(!packed.withUnsafeBytes { codec.decode($0, width: 16, into: &small) })
        // And after all that, a good buffer still decodes.
        #expect(packed.withUnsafeBytes { codec.decode($0, width: 16, into: &out) } && out == f.pixels)
    }
}
