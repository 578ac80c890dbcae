import CCapture
import Foundation

/// Row-delta + byte-plane + zlib coding of a u16 image. Within each row every pixel after the
/// first is replaced by its difference from its left neighbour (mod 2¹⁶); the low bytes of all
/// values come first, then all high bytes (mostly 0x00 or 0xFF, which zlib packs to almost
/// nothing); the result is zlib-compressed. Lossless; numpy undoes it with
/// `d = lo | hi << 8; np.cumsum(d.reshape(h, w), axis=1, dtype=np.uint16)`.
struct RowDeltaCodec {
    private var scratch: [UInt8] = []
    private var packed: [UInt8] = []
    private var inflater: Inflater?
    private var deflater: Deflater?

    /// Encodes `pixels` and hands the zlib stream to `body` (valid only during the call): the
    /// buffers and the deflater are the codec's own, reused from frame to frame.
    mutating func encode<R>(_ pixels: [UInt16], width: Int, level: Int32,
                            _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let n = pixels.count
        if scratch.count != n * 2 { scratch = [UInt8](repeating: 0, count: n * 2) }
        scratch.withUnsafeMutableBufferPointer { out in
            pixels.withUnsafeBufferPointer { px in
                // Row by row: a row's first pixel as it is, the others as differences.
                for row in stride(from: 0, to: n, by: width) {
                    out[row] = UInt8(truncatingIfNeeded: px[row])
                    out[n + row] = UInt8(truncatingIfNeeded: px[row] >> 8)
                    for i in (row + 1)..<min(n, row + width) {
                        let v = px[i] &- px[i - 1]
                        out[i] = UInt8(truncatingIfNeeded: v)
                        out[n + i] = UInt8(truncatingIfNeeded: v >> 8)
                    }
                }
            }
        }
        let bound = cc_zlib_bound(scratch.count)
        if packed.count < bound { packed = [UInt8](repeating: 0, count: bound) }
        if deflater?.level != level { deflater = Deflater(level: level) }
        let written = scratch.withUnsafeBytes { src in
            packed.withUnsafeMutableBytes { dst in deflater!.deflate(src, into: dst) }
        }
        precondition(written >= 0, "zlib deflate failed with a bound-sized buffer")
        return try packed.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<written])) }
    }

    /// Decodes into `pixels` (already `width × height`). Returns false when the data is damaged.
    mutating func decode(_ bytes: UnsafeRawBufferPointer, width: Int, into pixels: inout [UInt16]) -> Bool {
        let n = pixels.count
        if scratch.count != n * 2 { scratch = [UInt8](repeating: 0, count: n * 2) }
        if inflater == nil { inflater = Inflater() }
        let rc = scratch.withUnsafeMutableBufferPointer { dst in
            inflater!.inflate(bytes, into: UnsafeMutableRawBufferPointer(dst))
        }
        guard rc == n * 2 else { return false }
        scratch.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { px in
                for row in stride(from: 0, to: n, by: width) {
                    var value = UInt16(src[row]) | UInt16(src[n + row]) << 8
                    px[row] = value
                    for i in (row + 1)..<min(n, row + width) {
                        value &+= UInt16(src[i]) | UInt16(src[n + i]) << 8
                        px[i] = value
                    }
                }
            }
        }
        return true
    }
}

/// zlib's deflate state at one level, allocated once and reset for every buffer.
final class Deflater {
    let level: Int32
    private let state: OpaquePointer

    init(level: Int32) {
        guard let s = cc_deflater_new(level) else { fatalError("zlib: no deflater at level \(level) (1…9) or out of memory") }
        self.level = level
        state = s
    }

    deinit { cc_deflater_free(state) }

    /// Deflates `bytes` into `out` (at least `cc_zlib_bound(bytes.count)` long): bytes written.
    func deflate(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        cc_deflater_run(state, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                        out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count)
    }
}

/// zlib's inflate state and window, allocated once and reset for every buffer.
final class Inflater {
    private let state: OpaquePointer

    init() {
        guard let s = cc_inflater_new() else { fatalError("zlib: out of memory for an inflater") }
        state = s
    }

    deinit { cc_inflater_free(state) }

    /// Inflates `bytes`, which must fill `out` exactly: the bytes written, or a CC_E* code.
    func inflate(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        cc_inflater_run(state, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
                        out.baseAddress?.assumingMemoryBound(to: UInt8.self), out.count)
    }
}

func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    cc_crc32(crc, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    func readLE<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        var v: T = 0
        Swift.withUnsafeMutableBytes(of: &v) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: self[offset..<offset + MemoryLayout<T>.size])) }
        return T(littleEndian: v)
    }
}

let recordingJSONEncoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return e
}()
