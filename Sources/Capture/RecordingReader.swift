import Foundation

/// Reads recording format v1. Opening checks every record's checksum and builds an index, so
/// `read(frame:into:)` seeks to any frame at once. A corrupt record whose framing is intact is
/// skipped and listed in `problems`; a truncated or unreadable tail ends the recording there,
/// also listed. Everything before it replays.
public final class RecordingReader: FrameSource, HeaderAdjustable {
    public let path: String
    public private(set) var header: RecordingHeader
    /// Damage found while opening; empty for a healthy file.
    public let problems: [RecordingError]
    public var name: String { (path as NSString).lastPathComponent }
    public var frameCount: Int { index.count }

    private let bytes: Data
    private var index: [Int] = []          // byte offset of each good record
    private var codec = RowDeltaCodec()
    private var cursor = 0

    public init(path: String) throws {
        self.path = path
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw RecordingError(path: path, offset: 0, kind: .io("cannot read: \(error.localizedDescription)"))
        }
        var problems: [RecordingError] = []
        var index: [Int] = []
        header = try bytes.withUnsafeBytes { raw -> RecordingHeader in
            let (header, start) = try Self.readHeader(raw, path: path)
            var at = start
            var recordNumber = 0
            while at < raw.count {
                let prefix = RecordingFormat.recordPrefixSize
                if raw.count - at < prefix + RecordingFormat.recordFixedPayloadSize + 4 {
                    problems.append(RecordingError(path: path, offset: at, kind: .truncated))
                    break
                }
                guard raw[at..<at + 4].elementsEqual(RecordingFormat.recordMagic) else {
                    problems.append(RecordingError(path: path, offset: at, kind: .corrupt("record \(recordNumber): no record marker; the rest of the file is ignored")))
                    break
                }
                let length = Int(raw.readLE(UInt32.self, at: at + 4))
                guard length >= RecordingFormat.recordFixedPayloadSize, length <= RecordingFormat.maxPayload else {
                    problems.append(RecordingError(path: path, offset: at, kind: .corrupt("record \(recordNumber): impossible length \(length); the rest of the file is ignored")))
                    break
                }
                let end = at + prefix + length + 4
                if end > raw.count {
                    problems.append(RecordingError(path: path, offset: at, kind: .truncated))
                    break
                }
                let stored = raw.readLE(UInt32.self, at: at + prefix + length)
                let computed = crc32(UnsafeRawBufferPointer(rebasing: raw[at..<at + prefix + length]))
                let irLength = Int(raw.readLE(UInt32.self, at: at + prefix + 24))
                let visibleLength = Int(raw.readLE(UInt32.self, at: at + prefix + 28))
                if stored != computed {
                    problems.append(RecordingError(path: path, offset: at, kind: .corrupt("record \(recordNumber): checksum mismatch; frame dropped")))
                } else if RecordingFormat.recordFixedPayloadSize + irLength + visibleLength != length {
                    problems.append(RecordingError(path: path, offset: at, kind: .corrupt("record \(recordNumber): section lengths do not add up; frame dropped")))
                } else {
                    index.append(at)
                }
                at = end
                recordNumber += 1
            }
            return header
        }
        self.problems = problems
        self.index = index
    }

    static func readHeader(_ raw: UnsafeRawBufferPointer, path: String) throws -> (RecordingHeader, Int) {
        let fixed = RecordingFormat.fileHeaderFixedSize
        guard raw.count >= 8, raw[0..<8].elementsEqual(RecordingFormat.magic) else {
            throw RecordingError(path: path, offset: 0, kind: .notARecording)
        }
        guard raw.count >= fixed else { throw RecordingError(path: path, offset: 8, kind: .truncated) }
        let version = raw.readLE(UInt16.self, at: 8)
        guard version == RecordingFormat.version else {
            throw RecordingError(path: path, offset: 8, kind: .unsupportedVersion(version))
        }
        let jsonLength = Int(raw.readLE(UInt32.self, at: 12))
        guard raw.count >= fixed + jsonLength + 4 else { throw RecordingError(path: path, offset: fixed, kind: .truncated) }
        let stored = raw.readLE(UInt32.self, at: fixed + jsonLength)
        guard stored == crc32(UnsafeRawBufferPointer(rebasing: raw[0..<fixed + jsonLength])) else {
            throw RecordingError(path: path, offset: fixed, kind: .badHeader("checksum mismatch"))
        }
        let header: RecordingHeader
        do {
            header = try JSONDecoder().decode(RecordingHeader.self, from: Data(raw[fixed..<fixed + jsonLength]))
        } catch {
            throw RecordingError(path: path, offset: fixed, kind: .badHeader("\(describe(decodingError: error))"))
        }
        let c = header.camera
        guard c.width > 0, c.height > 0, c.width * c.height <= 4096 * 4096, c.pixelFormat == "Y16" else {
            throw RecordingError(path: path, offset: fixed, kind: .badHeader("camera size \(c.width)×\(c.height) format \(c.pixelFormat) is not supported"))
        }
        return (header, fixed + jsonLength + 4)
    }

    /// Decodes frame `number` (0-based) into `frame`, reusing its storage.
    public func read(frame number: Int, into frame: inout Frame) throws {
        precondition(number >= 0 && number < index.count, "frame \(number) out of 0..<\(index.count)")
        let at = index[number] + RecordingFormat.recordPrefixSize
        let w = header.camera.width, h = header.camera.height
        frame.reshape(width: w, height: h)
        try bytes.withUnsafeBytes { raw in
            frame.sequence = raw.readLE(UInt64.self, at: at)
            frame.timestampNs = raw.readLE(UInt64.self, at: at + 8)
            frame.flags = FrameFlags(rawValue: raw.readLE(UInt32.self, at: at + 16))
            let encoding = raw[at + 20]
            let irLength = Int(raw.readLE(UInt32.self, at: at + 24))
            let visibleLength = Int(raw.readLE(UInt32.self, at: at + 28))
            let irStart = at + RecordingFormat.recordFixedPayloadSize
            guard encoding == RecordingFormat.irEncodingZlibRowDelta else {
                throw RecordingError(path: path, offset: at - 8, kind: .corrupt("frame \(number): unknown IR encoding \(encoding)"))
            }
            guard codec.decode(UnsafeRawBufferPointer(rebasing: raw[irStart..<irStart + irLength]), width: w, into: &frame.pixels) else {
                throw RecordingError(path: path, offset: at - 8, kind: .corrupt("frame \(number): IR image does not decompress to \(w)×\(h)"))
            }
            let visible = raw[irStart + irLength..<irStart + irLength + visibleLength]
            if !frame.visibleJPEG.elementsEqual(visible) { frame.visibleJPEG = Array(visible) }
        }
    }

    // MARK: FrameSource

    public func next(into frame: inout Frame) throws -> Bool {
        guard cursor < index.count else { return false }
        try read(frame: cursor, into: &frame)
        cursor += 1
        return true
    }

    public func seek(toFrame number: Int) { cursor = max(0, min(number, index.count)) }

    func adjustHeader(_ change: (inout RecordingHeader) -> Void) { change(&header) }
}

func describe(decodingError error: Error) -> String {
    guard let e = error as? DecodingError else { return "\(error)" }
    func path(_ c: DecodingError.Context) -> String {
        let p = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return p.isEmpty ? "top level" : p
    }
    switch e {
    case .keyNotFound(let key, let c): return "missing field '\(path(c).isEmpty || path(c) == "top level" ? key.stringValue : path(c) + "." + key.stringValue)'"
    case .typeMismatch(_, let c), .valueNotFound(_, let c): return "field '\(path(c))': \(c.debugDescription)"
    case .dataCorrupted(let c): return "\(path(c)): \(c.debugDescription)"
    @unknown default: return "\(error)"
    }
}
