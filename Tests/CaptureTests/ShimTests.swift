import CCapture
import Foundation
import Testing

@Suite struct JPEGShimTests {
    func gradientJPEG(width: Int = 64, height: Int = 48) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height { for x in 0..<width {
            rgb[(y * width + x) * 3] = UInt8(x * 4)
            rgb[(y * width + x) * 3 + 1] = UInt8(y * 5)
            rgb[(y * width + x) * 3 + 2] = 128
        } }
        var out = [UInt8](repeating: 0, count: 1 << 16)
        let n = cc_jpeg_encode(rgb, Int32(width), Int32(height), 3, 0, 90, &out, out.count)
        #expect(n > 0)
        return Array(out[0..<max(0, n)])
    }

    @Test func decodesWholeAndScaled() {
        let jpeg = gradientJPEG()
        var info = cc_jpeg_info()
        var pixels = [UInt8](repeating: 0, count: 64 * 48 * 3)
        #expect(cc_jpeg_decode(jpeg, jpeg.count, 1, 0, &pixels, pixels.count, &info) == 0)
        #expect(info.width == 64 && info.height == 48 && info.components == 3)
        #expect(abs(Int(pixels[(10 * 64 + 20) * 3]) - 80) < 8)
        #expect(cc_jpeg_decode(jpeg, jpeg.count, 4, 1, &pixels, pixels.count, &info) == 0)
        #expect(info.width == 16 && info.height == 12 && info.components == 1)
    }

    @Test func corruptOrTruncatedJPEGIsAnErrorValueNotAnExit() {
        let jpeg = gradientJPEG()
        var info = cc_jpeg_info()
        var pixels = [UInt8](repeating: 0, count: 64 * 48 * 3)
        let truncated = Array(jpeg.prefix(jpeg.count / 2))
        #expect(cc_jpeg_decode(truncated, truncated.count, 1, 0, &pixels, pixels.count, &info) == CC_EJPEG)
        let garbage: [UInt8] = [0xFF, 0xD8, 0x00, 0x01, 0x02, 0x03]
        #expect(cc_jpeg_decode(garbage, garbage.count, 1, 0, &pixels, pixels.count, &info) == CC_EJPEG)
        #expect(!String(cString: cc_jpeg_last_error()).isEmpty)
    }
}

@Suite struct ZlibShimTests {
    @Test func gunzipReadsConcatenatedMembersAndReportsTruncation() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gz-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "first part,".write(toFile: dir + "/a", atomically: true, encoding: .utf8)
        try "second part".write(toFile: dir + "/b", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -c \(dir)/a > \(dir)/c.gz && gzip -c \(dir)/b >> \(dir)/c.gz"]
        try p.run()
        p.waitUntilExit()
        let gz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/c.gz")))
        var out = [UInt8](repeating: 0, count: 100)
        var produced = 0
        let n = cc_gunzip(gz, gz.count, &out, out.count, &produced)
        #expect(n == 22)
        #expect(String(decoding: out[0..<22], as: UTF8.self) == "first part,second part")
        let cut = Array(gz.prefix(gz.count - 12))
        #expect(cc_gunzip(cut, cut.count, &out, out.count, &produced) == CC_ETRUNCATED)
        #expect(produced >= 11)
    }
}

import TestSupport
import Capture

/// libjpeg on real camera JPEGs: the visible photos FLIR cameras embed (vivid has no MJPEG).
@Suite struct RealJPEGTests {
    @Test(.needsRefData, arguments: [("flirimageextractor/flir_example.jpg", 480, 640), ("thermal_parser/FLIR_T640.jpg", 2592, 1944)])
    func decodesWholeScaledAndRefusesDamage(file: String, width: Int, height: Int) throws {
        guard let path = RefData.path(file) else { Issue.record(Comment(rawValue: RefData.absentMessage)); return }
        let jpeg = try FLIRImage(path: path).visibleJPEG
        var info = cc_jpeg_info()
        var out = [UInt8](repeating: 0, count: width * height * 3)
        #expect(cc_jpeg_decode(jpeg, jpeg.count, 1, 0, &out, out.count, &info) == 0)
        #expect(Int(info.width) == width && Int(info.height) == height && info.components == 3)
        #expect(Set(out.prefix(30_000)).count > 50, "a real photo, not a flat image")
        // Scaled decoding where only a small image is needed: 1/8 size, greyscale.
        #expect(cc_jpeg_decode(jpeg, jpeg.count, 8, 1, &out, out.count, &info) == 0)
        #expect(Int(info.width) == (width + 7) / 8 && Int(info.height) == (height + 7) / 8 && info.components == 1)
        // Damaged: cut short, and with garbage in the entropy-coded data.
        let cut = Array(jpeg.prefix(jpeg.count / 3))
        #expect(cc_jpeg_decode(cut, cut.count, 1, 0, &out, out.count, &info) == CC_EJPEG)
        var garbled = jpeg
        for i in stride(from: jpeg.count / 2, to: jpeg.count / 2 + 2000, by: 7) { garbled[i] = 0xFF }
        let rc = cc_jpeg_decode(garbled, garbled.count, 1, 0, &out, out.count, &info)
        #expect(rc == CC_EJPEG, "libjpeg accepted garbage (rc \(rc))")
    }
}
