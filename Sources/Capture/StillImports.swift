import CCapture
import Foundation
import Radiometry

/// A FLIR radiometric JPEG: the FFF records carried in its APP1 "FLIR" segments.
///
/// Records used (FFF directory, big-endian): 0x01 RawData (u16 width/height, image at 0x20: raw
/// little-endian u16 — "TIFF" — or a 16-bit PNG), 0x0e EmbeddedImage (the visible photo at 0x20),
/// 0x20 CameraInfo (object parameters, Planck and atmosphere constants, RawValueMedian), 0x2a PiP
/// (Real2IR, OffsetX/Y, PiP rectangle). Each record's own byte order is told by its first u16,
/// which reads 2 in the right order.
///
/// PNG raw data is usually written byte-swapped (little-endian samples in a big-endian PNG), but
/// not by every camera (the ThermaCAM EX320 writes it straight). Of the two orders the smoother
/// image is taken — a wrong order turns small differences between neighbours into large ones —
/// and only when both are about as smooth, the one whose median is nearer `RawValueMedian`.
/// (The median alone is not enough: the FLIR ONE file in refdata has RawValueMedian 16206 while
/// its true median is 12612 and the wrongly ordered one 19506.)
public struct FLIRImage: Sendable {
    public var width: Int
    public var height: Int
    public var raw: [UInt16]
    public var planck: FLIRPlanck
    public var rawValueMedian: Int
    public var rawFormat: String          // "TIFF" or "PNG"
    public var byteSwapped: Bool
    public var cameraModel: String
    /// The lens's horizontal field of view (CameraInfo 0x1b4, degrees); 0 when not recorded.
    public var fieldOfViewDeg: Double
    public var serial: String
    public var irWindowTransmission: Double
    public var visibleJPEG: [UInt8]
    public var registration: VisibleRegistration?

    public init(path: String) throws {
        let data: [UInt8]
        do { data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw RecordingError(path: path, offset: 0, kind: .io("cannot read: \(error.localizedDescription)"))
        }
        let fff = try Self.flirSegments(data, path: path)
        guard fff.count >= 64, fff[0..<4].elementsEqual(Array("FFF\0".utf8)) else {
            throw RecordingError(path: path, offset: 0, kind: .badHeader("FLIR data does not start with an FFF header"))
        }
        let be = BytesView(bytes: fff, bigEndian: true)
        guard (100...199).contains(be.u32(0x14)) else {
            throw RecordingError(path: path, offset: 0, kind: .badHeader("unsupported FFF version \(be.u32(0x14))"))
        }
        let dir = Int(be.u32(0x18)), count = Int(be.u32(0x1c))
        var records: [Int: ArraySlice<UInt8>] = [:]
        for i in 0..<count {
            let e = dir + 32 * i
            guard e + 32 <= fff.count else { break }
            let type = Int(be.u16(e)), offset = Int(be.u32(e + 12)), length = Int(be.u32(e + 16))
            guard type != 0, offset + length <= fff.count, records[type] == nil else { continue }
            records[type] = fff[offset..<offset + length]
        }
        guard let rawRecord = records[0x01], let info = records[0x20] else {
            throw RecordingError(path: path, offset: 0, kind: .badHeader("FLIR data lacks its raw image or camera info record"))
        }
        let ci = BytesView.recordView(info)
        planck = FLIRPlanck(
            r1: Double(ci.f32(0x58)), r2: Double(ci.f32(0x30c)), b: Double(ci.f32(0x5c)), f: Double(ci.f32(0x60)),
            o: Double(Int32(bitPattern: ci.u32(0x308))), emissivity: Double(ci.f32(0x20)), distanceM: Double(ci.f32(0x24)),
            reflectedC: Double(ci.f32(0x28)) - 273.15, atmosphereC: Double(ci.f32(0x2c)) - 273.15,
            relativeHumidity: { let rh = Double(ci.f32(0x3c)); return rh > 2 ? rh / 100 : rh }())
        planck.ata1 = Double(ci.f32(0x70))
        planck.ata2 = Double(ci.f32(0x74))
        planck.atb1 = Double(ci.f32(0x78))
        planck.atb2 = Double(ci.f32(0x7c))
        planck.atx = Double(ci.f32(0x80))
        irWindowTransmission = Double(ci.f32(0x34))
        rawValueMedian = info.count >= 0x33a ? Int(ci.u16(0x338)) : 0
        cameraModel = ci.string(0xd4, 32)
        fieldOfViewDeg = Double(ci.f32(0x1b4))
        serial = ci.string(0x104, 16)

        let rv = BytesView.recordView(rawRecord)
        width = Int(rv.u16(2))
        height = Int(rv.u16(4))
        guard width > 0, height > 0, width * height <= 4096 * 4096 else {
            throw RecordingError(path: path, offset: 0, kind: .badHeader("raw image size \(width)×\(height) is not usable"))
        }
        let image = Array(rawRecord.dropFirst(0x20))
        if image.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            rawFormat = "PNG"
            var decoded = [UInt16](repeating: 0, count: width * height)
            var w: Int32 = 0, h: Int32 = 0
            let rc = cc_png_read_gray16(image, image.count, &decoded, decoded.count, &w, &h)
            guard rc == 0, Int(w) == width, Int(h) == height else {
                throw RecordingError(path: path, offset: 0, kind: .corrupt("raw PNG: \(rc == 0 ? "size \(w)×\(h) differs from the record's" : String(cString: cc_image_last_error()))"))
            }
            let swapped = decoded.map { $0.byteSwapped }
            byteSwapped = Self.prefersSwapped(straight: decoded, swapped: swapped, width: width, median: rawValueMedian)
            raw = byteSwapped ? swapped : decoded
        } else {
            rawFormat = "TIFF"
            guard image.count >= width * height * 2 else {
                throw RecordingError(path: path, offset: 0, kind: .truncated)
            }
            byteSwapped = false
            raw = (0..<width * height).map { i in UInt16(image[2 * i]) | UInt16(image[2 * i + 1]) << 8 }
            if rv.bigEndian { raw = raw.map(\.byteSwapped) }
        }
        visibleJPEG = []
        if let embedded = records[0x0e] {
            let photo = Array(embedded.dropFirst(0x20))
            if photo.starts(with: [0xFF, 0xD8]) { visibleJPEG = photo }
        }
        if let pip = records[0x2a], pip.count >= 16 {
            let p = BytesView.recordView(pip, orderProbe: false)
            registration = VisibleRegistration(real2IR: Double(p.f32(0)), offsetX: Int(Int16(bitPattern: p.u16(4))),
                                               offsetY: Int(Int16(bitPattern: p.u16(6))), pipX1: Int(p.u16(8)), pipX2: Int(p.u16(10)),
                                               pipY1: Int(p.u16(12)), pipY2: Int(p.u16(14)))
        }
    }

    static func prefersSwapped(straight: [UInt16], swapped: [UInt16], width: Int, median: Int) -> Bool {
        func roughness(_ v: [UInt16]) -> Double {
            var s = 0.0
            for i in 1..<v.count where i % width != 0 { s += abs(Double(v[i]) - Double(v[i - 1])) }
            return s
        }
        let a = roughness(straight), b = roughness(swapped)
        if max(a, b) > 1.5 * min(a, b) { return b < a }
        // Inconclusive (a flat image): the order whose median is nearer RawValueMedian, if given.
        func medianOf(_ v: [UInt16]) -> Int { Int(v.sorted()[v.count / 2]) }
        guard median > 0 else { return b < a }
        return abs(medianOf(swapped) - median) < abs(medianOf(straight) - median)
    }

    /// Concatenates the APP1 "FLIR\0" segments of a JPEG in their index order.
    static func flirSegments(_ d: [UInt8], path: String) throws -> [UInt8] {
        guard d.count > 4, d[0] == 0xFF, d[1] == 0xD8 else {
            throw RecordingError(path: path, offset: 0, kind: .notARecording)
        }
        var parts: [Int: ArraySlice<UInt8>] = [:]
        var at = 2
        while at + 4 <= d.count, d[at] == 0xFF {
            let marker = d[at + 1]
            if marker == 0xDA || marker == 0xD9 { break }
            let length = Int(d[at + 2]) << 8 | Int(d[at + 3])
            guard length >= 2, at + 2 + length <= d.count else {
                throw RecordingError(path: path, offset: at, kind: .truncated)
            }
            let payload = d[(at + 4)..<(at + 2 + length)]
            if marker == 0xE1, payload.count > 8, payload.starts(with: Array("FLIR\0".utf8)) {
                parts[Int(payload[payload.startIndex + 6])] = payload.dropFirst(8)
            }
            at += 2 + length
        }
        guard !parts.isEmpty else {
            throw RecordingError(path: path, offset: 0, kind: .badHeader("a JPEG without FLIR radiometric data"))
        }
        return parts.keys.sorted().flatMap { parts[$0]! }
    }

    /// The still as a one-frame recording header and frame.
    public func recording(origin: String) -> (RecordingHeader, Frame) {
        var header = RecordingHeader(
            camera: CameraDescription(model: cameraModel.isEmpty ? "flir" : cameraModel, serial: serial, width: width, height: height,
                                      fps: 1, hfovDeg: (1...179).contains(fieldOfViewDeg) ? fieldOfViewDeg : 0),
            radiometry: .planck(planck), reference: nil, origin: origin)
        header.visible = registration.map { VisibleDescription(registration: $0) }
        return (header, Frame(width: width, height: height, pixels: raw, visibleJPEG: visibleJPEG))
    }
}

/// A 16-bit radiometric TIFF (Tau2/Boson/Duo Pro R "TLinear high resolution": 0.04 K per count).
public enum RadiometricTIFF {
    public static func read(path: String) throws -> (RecordingHeader, Frame) {
        var w: Int32 = 0, h: Int32 = 0
        var pixels = [UInt16](repeating: 0, count: 1)
        var rc = cc_tiff_read_gray16(path, &pixels, pixels.count, &w, &h)
        if rc == CC_ESPACE {
            pixels = [UInt16](repeating: 0, count: Int(w) * Int(h))
            rc = cc_tiff_read_gray16(path, &pixels, pixels.count, &w, &h)
        }
        guard rc == 0 else {
            throw RecordingError(path: path, offset: 0, kind: .corrupt("TIFF: \(String(cString: cc_image_last_error()))"))
        }
        let header = RecordingHeader(
            camera: CameraDescription(model: "tiff-tlinear-0.04", serial: "", width: Int(w), height: Int(h), fps: 1, hfovDeg: 0),
            radiometry: .tlinear004, reference: nil, origin: "tiff")
        return (header, Frame(width: Int(w), height: Int(h), pixels: pixels))
    }
}

/// InfiRay P2 Pro / Topdon TC001: the camera's V4L2 YUYV frame is 256×384, the top half an
/// 8-bit preview, the bottom half the 256×192 thermal image as little-endian u16 (1/64 K per
/// count). `split` takes the thermal half; `readDump` reads a frame saved with an 8-byte header
/// of four LE u16 (rows, cols, type, channels), as the Thermal-Camera-Redux tool writes them.
public enum InfiRayFrame {
    public static let width = 256, height = 192

    /// Returns nil when `bytes` is not a whole 256×384 YUYV frame.
    public static func split(_ bytes: ArraySlice<UInt8>, into frame: inout Frame) -> Bool {
        let stride = width * 2
        guard bytes.count == stride * height * 2 else { return false }
        frame.reshape(width: width, height: height)
        let base = bytes.startIndex + stride * height
        frame.pixels.withUnsafeMutableBufferPointer { px in
            for i in 0..<(width * height) {
                px[i] = UInt16(bytes[base + 2 * i]) | UInt16(bytes[base + 2 * i + 1]) << 8
            }
        }
        return true
    }

    public static func readDump(path: String) throws -> (RecordingHeader, Frame) {
        let data: [UInt8]
        do { data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw RecordingError(path: path, offset: 0, kind: .io("cannot read: \(error.localizedDescription)"))
        }
        var frame = Frame.empty
        guard data.count >= 8, isDumpHeader(data), split(data[8...], into: &frame) else {
            throw RecordingError(path: path, offset: 8, kind: .corrupt("not a 256×384 YUYV TC001 frame (\(data.count) bytes)"))
        }
        let header = RecordingHeader(
            camera: CameraDescription(model: "tc001", serial: "", width: width, height: height, fps: 25, hfovDeg: 56),
            radiometry: .infiray64, reference: nil, origin: "tc001-dump")
        return (header, frame)
    }

    static func isDumpHeader(_ d: [UInt8]) -> Bool {
        d.count >= 8 && (Int(d[0]) | Int(d[1]) << 8) == 384 && (Int(d[2]) | Int(d[3]) << 8) == 256
    }
}

/// A source of exactly one frame (an imported still).
public final class StillSource: FrameSource, HeaderAdjustable {
    public let name: String
    public private(set) var header: RecordingHeader
    public let problems: [RecordingError] = []
    private let frame: Frame
    private var done = false

    public init(name: String, header: RecordingHeader, frame: Frame) {
        self.name = name
        self.header = header
        self.frame = frame
    }

    public func next(into frame: inout Frame) throws -> Bool {
        guard !done else { return false }
        done = true
        frame = self.frame
        return true
    }

    func adjustHeader(_ change: (inout RecordingHeader) -> Void) { change(&header) }
}

/// Little/big-endian reads over a byte slice (FLIR records, CPTV fields).
struct BytesView {
    let bytes: ArraySlice<UInt8>
    let bigEndian: Bool

    init(bytes: [UInt8], bigEndian: Bool) { self.bytes = bytes[...]; self.bigEndian = bigEndian }
    init(slice: ArraySlice<UInt8>, bigEndian: Bool) { self.bytes = slice; self.bigEndian = bigEndian }

    /// A record's view: its first u16 is 2 in its own byte order.
    static func recordView(_ slice: ArraySlice<UInt8>, orderProbe: Bool = true) -> BytesView {
        let little = BytesView(slice: slice, bigEndian: false)
        guard orderProbe else { return little }
        return little.u16(0) >= 0x100 ? BytesView(slice: slice, bigEndian: true) : little
    }

    func byte(_ o: Int) -> UInt32 { o < bytes.count ? UInt32(bytes[bytes.startIndex + o]) : 0 }
    func u16(_ o: Int) -> UInt16 {
        UInt16(bigEndian ? byte(o) << 8 | byte(o + 1) : byte(o) | byte(o + 1) << 8)
    }
    func u32(_ o: Int) -> UInt32 {
        bigEndian ? byte(o) << 24 | byte(o + 1) << 16 | byte(o + 2) << 8 | byte(o + 3)
            : byte(o) | byte(o + 1) << 8 | byte(o + 2) << 16 | byte(o + 3) << 24
    }
    func u64(_ o: Int) -> UInt64 {
        let a = UInt64(u32(o)), b = UInt64(u32(o + 4))
        return bigEndian ? a << 32 | b : b << 32 | a
    }
    func f32(_ o: Int) -> Float { Float(bitPattern: u32(o)) }
    func string(_ o: Int, _ n: Int) -> String {
        let s = bytes.dropFirst(o).prefix(n).prefix { $0 != 0 }
        return String(decoding: s, as: UTF8.self)
    }
}
