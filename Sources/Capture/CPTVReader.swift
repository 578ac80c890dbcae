import CCapture
import Foundation
import Radiometry

/// Reads CPTV v2, the Cacophony Project's thermal video format (used by the Lepton 3.5 fever-
/// screening kiosks): a gzip stream (possibly several members) holding "CPTV", version 2, a
/// header section "H" of (length, code, data) fields, then frames "F", each with its fields and
/// its data: an i32 start value and bit-packed signed deltas (MSB first) in snake order
/// (odd rows right to left), giving the difference from the previous frame.
///
/// The whole file is decoded at open (a minute of Lepton video is ~10 MB of pixels).
public final class CPTVReader: FrameSource, HeaderAdjustable {
    public let path: String
    public private(set) var header: RecordingHeader
    public private(set) var problems: [RecordingError] = []
    public var name: String { (path as NSString).lastPathComponent }
    public var frameCount: Int { times.count }

    /// Per frame: time since the camera powered on and time of the last flat-field correction, ms.
    public private(set) var times: [(timeOnMs: UInt32, lastFFCMs: UInt32)] = []
    /// Frames within this long after a flat-field correction are flagged `.shutter`.
    public static let ffcSettleMs: UInt32 = 1000

    private var pixels: [UInt16] = []
    private var cursor = 0

    public init(path: String) throws {
        self.path = path
        let file: Data
        do { file = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RecordingError(path: path, offset: 0, kind: .io("cannot read: \(error.localizedDescription)"))
        }
        let (plain, truncated) = try Self.gunzip(file, path: path)
        var reader = ByteReader(bytes: plain, path: path)
        guard try reader.bytes(4).elementsEqual(Array("CPTV".utf8)) else {
            throw RecordingError(path: path, offset: 0, kind: .notARecording)
        }
        let version = try reader.u8()
        guard version == 2 else {
            throw RecordingError(path: path, offset: 4, kind: .corrupt("CPTV version \(version) is not supported (this canthus reads CPTV 2)"))
        }
        guard try reader.u8() == UInt8(ascii: "H") else {
            throw RecordingError(path: path, offset: 5, kind: .badHeader("CPTV header section 'H' missing"))
        }
        var width = 0, height = 0, compression = 1, fps = 9.0
        var model = "lepton3.5", serial = "", device = "", createdUTC: String?
        for _ in 0..<Int(try reader.u8()) {
            let (code, data) = try reader.field()
            switch code {
            case "X": width = Int(BytesView(slice: data, bigEndian: false).u32(0))
            case "Y": height = Int(BytesView(slice: data, bigEndian: false).u32(0))
            case "C": compression = Int(data.first ?? 0)
            case "F": fps = Double(data.first ?? 9)
            case "E": model = String(decoding: data, as: UTF8.self)
            case "D": device = String(decoding: data, as: UTF8.self)
            case "N": serial = data.count == 4 ? String(BytesView(slice: data, bigEndian: false).u32(0)) : String(decoding: data, as: UTF8.self)
            case "T":
                let micros = BytesView(slice: data, bigEndian: false).u64(0)
                let date = Date(timeIntervalSince1970: Double(micros) / 1e6)
                createdUTC = ISO8601DateFormatter().string(from: date)
            default: break
            }
        }
        guard width > 0, height > 0, width * height <= 1024 * 1024 else {
            throw RecordingError(path: path, offset: 5, kind: .badHeader("CPTV frame size \(width)×\(height) is not usable"))
        }
        guard compression == 1 else {
            throw RecordingError(path: path, offset: 5, kind: .badHeader("CPTV compression \(compression) is not supported"))
        }
        header = RecordingHeader(
            camera: CameraDescription(model: model, serial: serial, width: width, height: height,
                                      fps: fps, hfovDeg: 57, rotationDeg: .none),
            radiometry: .leptonTLinearHigh, reference: nil,
            origin: "cptv:\(device)", createdUTC: createdUTC)

        let n = width * height
        var previous = [Int32](repeating: 0, count: n)
        var deltas = [Int32](repeating: 0, count: n)
        while !reader.atEnd {
            let frameStart = reader.offset
            do {
                guard try reader.u8() == UInt8(ascii: "F") else {
                    problems.append(RecordingError(path: path, offset: frameStart, kind: .corrupt("frame \(times.count): no frame marker; the rest is ignored")))
                    break
                }
                var bitWidth = 0, size = 0
                var timeOn: UInt32 = 0, lastFFC: UInt32 = 0
                for _ in 0..<Int(try reader.u8()) {
                    let (code, data) = try reader.field()
                    switch code {
                    case "w": bitWidth = Int(data.first ?? 0)
                    case "f": size = Int(BytesView(slice: data, bigEndian: false).u32(0))
                    case "t": timeOn = BytesView(slice: data, bigEndian: false).u32(0)
                    case "c": lastFFC = BytesView(slice: data, bigEndian: false).u32(0)
                    default: break
                    }
                }
                guard bitWidth >= 1, bitWidth <= 32, size >= 4 else {
                    problems.append(RecordingError(path: path, offset: frameStart, kind: .corrupt("frame \(times.count): bit width \(bitWidth), size \(size); the rest is ignored")))
                    break
                }
                let data = try reader.bytes(size)
                try Self.unpack(data, bitWidth: bitWidth, width: width, into: &deltas, path: path, offset: frameStart)
                for i in 0..<n { previous[i] &+= deltas[i] }
                pixels.reserveCapacity(pixels.count + n)
                for v in previous { pixels.append(UInt16(truncatingIfNeeded: v)) }
                times.append((timeOn, lastFFC))
            } catch let error as RecordingError {
                problems.append(RecordingError(path: path, offset: frameStart, kind: error.kind == .truncated ? .truncated
                                                : .corrupt("frame \(times.count): \(error)")))
                break
            }
        }
        if truncated && !problems.contains(where: { $0.kind == .truncated }) {
            problems.append(RecordingError(path: path, offset: file.count, kind: .truncated))
        }
    }

    /// Snake-ordered, bit-packed deltas of deltas → per-pixel frame delta.
    static func unpack(_ data: ArraySlice<UInt8>, bitWidth: Int, width: Int, into out: inout [Int32],
                       path: String, offset: Int) throws {
        let n = out.count
        let bytes = Array(data)
        guard bytes.count >= 4 + (bitWidth * (n - 1) + 7) / 8 else {
            throw RecordingError(path: path, offset: offset, kind: .corrupt("frame data shorter than \(n) pixels at \(bitWidth) bits"))
        }
        var v = Int32(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        out[0] = v
        var bits: UInt64 = 0
        var nbits = 0
        var at = 4
        let mask = (UInt64(1) << UInt64(bitWidth)) - 1
        let sign = UInt64(1) << UInt64(bitWidth - 1)
        for i in 1..<n {
            while nbits < bitWidth {
                bits = (bits << 8) | UInt64(bytes[at])
                at += 1
                nbits += 8
            }
            let raw = (bits >> UInt64(nbits - bitWidth)) & mask
            nbits -= bitWidth
            let delta = raw & sign != 0 ? Int64(raw) - Int64(1 << UInt64(bitWidth)) : Int64(raw)
            v &+= Int32(truncatingIfNeeded: delta)
            let y = i / width
            var x = i % width
            if y % 2 == 1 { x = width - 1 - x }
            out[y * width + x] = v
        }
    }

    static func gunzip(_ file: Data, path: String) throws -> ([UInt8], truncated: Bool) {
        if file.starts(with: Array("CPTV".utf8)) { return ([UInt8](file), false) }
        var capacity = max(file.count * 8, 1 << 20)
        while true {
            var out = [UInt8](repeating: 0, count: capacity)
            var produced = 0
            let rc = file.withUnsafeBytes { src in
                out.withUnsafeMutableBufferPointer { dst in
                    cc_gunzip(src.baseAddress?.assumingMemoryBound(to: UInt8.self), src.count, dst.baseAddress, dst.count, &produced)
                }
            }
            if rc == CC_ESPACE { capacity *= 2; continue }
            if rc == CC_ECORRUPT && produced == 0 {
                throw RecordingError(path: path, offset: 0, kind: .corrupt("gzip data is damaged"))
            }
            out.removeSubrange(produced...)
            return (out, rc < 0)
        }
    }

    public func next(into frame: inout Frame) throws -> Bool {
        guard cursor < times.count else { return false }
        try read(frame: cursor, into: &frame)
        cursor += 1
        return true
    }

    public func read(frame number: Int, into frame: inout Frame) throws {
        let w = header.camera.width, h = header.camera.height, n = w * h
        frame.reshape(width: w, height: h)
        let start = number * n
        frame.pixels.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                dst.baseAddress!.update(from: src.baseAddress! + start, count: n)
            }
        }
        let t = times[number]
        frame.timestampNs = UInt64(t.timeOnMs) * 1_000_000
        frame.sequence = UInt64(number)
        var flags: FrameFlags = []
        if t.lastFFCMs != 0, t.timeOnMs >= t.lastFFCMs, t.timeOnMs - t.lastFFCMs < Self.ffcSettleMs { flags.insert(.shutter) }
        if number > 0, times[number - 1].lastFFCMs != t.lastFFCMs { flags.insert(.shutter) }
        frame.flags = flags
        if !frame.visibleJPEG.isEmpty { frame.visibleJPEG = [] }
    }

    func adjustHeader(_ change: (inout RecordingHeader) -> Void) { change(&header) }
}

/// Little-endian cursor over a byte array for the CPTV parser.
struct ByteReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0
    var atEnd: Bool { offset >= bytes.count }

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    mutating func u8() throws -> UInt8 { try bytes(1).first! }

    mutating func bytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, offset + count <= bytes.count else {
            throw RecordingError(path: path, offset: offset, kind: .truncated)
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// A (length, code, data) field.
    mutating func field() throws -> (Character, ArraySlice<UInt8>) {
        let length = Int(try u8())
        let code = Character(UnicodeScalar(try u8()))
        return (code, try bytes(length))
    }
}
