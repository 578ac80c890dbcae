/// The recording format's constants and its errors: what every part that names a frame or a
/// recording shares, without the codecs (Capture).

/// Constants of recording format v1 (docs/recording-format.md is the specification).
public enum RecordingFormat {
    public static let magic: [UInt8] = Array("CNTHSREC".utf8)
    public static let version: UInt16 = 1
    public static let recordMagic: [UInt8] = Array("CNFR".utf8)
    /// magic(8) version(2) flags(2) header_len(4)
    public static let fileHeaderFixedSize = 16
    /// record magic(4) payload_len(4)
    public static let recordPrefixSize = 8
    /// sequence(8) timestamp_ns(8) flags(4) ir_encoding(1) reserved(3) ir_len(4) visible_len(4)
    public static let recordFixedPayloadSize = 32
    /// IR encodings.
    /// IR encoding 1: row delta, byte planes, zlib (`RowDeltaCodec`).
    public static let irEncodingZlibRowDelta: UInt8 = 1
    /// Largest payload a reader accepts (a 1024×1024 frame is 2 MiB raw; visible JPEGs are
    /// well under 16 MiB).
    public static let maxPayload = 64 << 20
}

/// Anything wrong with a recording file, with the file and byte offset it concerns.
public struct RecordingError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Equatable, Sendable {
        case notARecording, unsupportedVersion(UInt16), badHeader(String), truncated, corrupt(String), io(String)
    }
    public var path: String
    public var offset: Int
    public var kind: Kind

    public init(path: String, offset: Int, kind: Kind) {
        self.path = path
        self.offset = offset
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .notARecording:
            return "\(path): not a file canthus reads (a canthus recording, CPTV, FLIR radiometric JPEG, 16-bit TIFF, TC001 frame dump or temperature table): no known magic at byte 0"
        case .unsupportedVersion(let v):
            return "\(path): recording format version \(v) is not supported (this canthus reads version \(RecordingFormat.version))"
        case .badHeader(let why):
            return "\(path): header at byte \(offset) is invalid: \(why)"
        case .truncated:
            return "\(path): truncated at byte \(offset)"
        case .corrupt(let why):
            return "\(path): corrupt data at byte \(offset): \(why)"
        case .io(let why):
            return "\(path): \(why)"
        }
    }
}

