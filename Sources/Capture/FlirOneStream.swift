/// The FLIR ONE's frame stream (bulk endpoint 0x85; docs/usb-flir-one.md): each frame is a
/// 28-byte header, the thermal part, the visible JPEG and a status record (JSON text).
///
///     offset  0  magic EF BE 00 00
///             8  u32 LE  frame size: the bytes after the header (thermal + JPEG + status)
///            12  u32 LE  thermal size
///            16  u32 LE  JPEG size
///            20  u32 LE  status size
///
/// The thermal part is `height` rows of `width + 4` little-endian 16-bit words: 2 words, the left
/// half's pixels, 2 words, the right half's pixels.
///
/// `FlirOneReassembler` is the pure parser: it takes what each bulk transfer delivered, in
/// order, and hands out each complete, plausible frame. It never trusts a length before
/// checking it: a header whose sizes do not add up or exceed the limits is garbage, and the
/// search for the next magic goes on one byte further. A transfer that begins with the magic
/// while a frame is still incomplete means the frame was cut short (a lost or short transfer):
/// the partial frame is dropped and counted, the new one begins. Its buffer is allocated once:
/// nothing per frame.
public struct FlirOneGeometry: Sendable, Equatable {
    public var width: Int, height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    /// The FLIR ONE Gen 2, Gen 3 and Pro: 160×120 (the Gen 3's 80×60 sensor arrives upscaled).
    public static let flirOne = FlirOneGeometry(width: 160, height: 120)
    /// Bytes of the thermal part.
    public var thermalBytes: Int { (width + 4) * height * 2 }
}

/// A complete frame, as views into the reassembler's buffer: valid until the next `append`.
public struct FlirOneFrameView {
    public let geometry: FlirOneGeometry
    let bytes: [UInt8]
    let thermalAt: Int, jpegAt: Int, jpegCount: Int, statusAt: Int, statusCount: Int

    /// Pixel (x, y)'s raw count.
    @inline(__always) public func raw(_ x: Int, _ y: Int) -> UInt16 {
        let word = y * (geometry.width + 4) + x + (x < geometry.width / 2 ? 2 : 4)
        let at = thermalAt + 2 * word
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    /// The thermal counts, row by row, into `pixels` (width × height of them; no allocation
    /// when it has that many already).
    public func copyThermal(into pixels: inout [UInt16]) {
        let w = geometry.width, h = geometry.height
        if pixels.count != w * h { pixels = [UInt16](repeating: 0, count: w * h) }
        for y in 0..<h { for x in 0..<w { pixels[y * w + x] = raw(x, y) } }
    }

    /// The visible image: a JPEG (FF D8 … FF D9) or not, as sent.
    public var jpeg: ArraySlice<UInt8> { bytes[jpegAt..<(jpegAt + jpegCount)] }
    public var jpegLooksWhole: Bool {
        jpegCount >= 4 && bytes[jpegAt] == 0xFF && bytes[jpegAt + 1] == 0xD8
            && bytes[jpegAt + jpegCount - 2] == 0xFF && bytes[jpegAt + jpegCount - 1] == 0xD9
    }
    public var status: ArraySlice<UInt8> { bytes[statusAt..<(statusAt + statusCount)] }

    /// The status record's `shutterState` ("ON": open and measuring; "FFC": the shutter is
    /// closed for a flat-field correction, the frame shows the shutter, not the scene).
    public var shutter: FlirOneShutter { FlirOneShutter(status: status) }
}

public enum FlirOneShutter: Sendable, Equatable {
    case open, closedForCorrection, other, unknown

    /// Reads `"shutterState":"…"` from the status text without allocating.
    private static let key = Array("\"shutterState\"".utf8)

    init(status: ArraySlice<UInt8>) {
        let key = Self.key
        var i = status.startIndex
        let end = status.endIndex
        while i + key.count <= end {
            if status[i] == key[0], status[i..<(i + key.count)].elementsEqual(key) {
                var j = i + key.count
                while j < end, status[j] == UInt8(ascii: " ") || status[j] == UInt8(ascii: ":") { j += 1 }
                guard j < end, status[j] == UInt8(ascii: "\"") else { self = .unknown; return }
                j += 1
                var k = j
                while k < end, status[k] != UInt8(ascii: "\"") { k += 1 }
                let value = status[j..<k]
                if value.elementsEqual("ON".utf8) { self = .open } else if value.elementsEqual("FFC".utf8) { self = .closedForCorrection } else { self = .other }
                return
            }
            i += 1
        }
        self = .unknown
    }
}

public struct FlirOneReassembler {
    public static let magic: [UInt8] = [0xEF, 0xBE, 0x00, 0x00]
    public static let headerBytes = 28
    /// Limits beyond which a header is garbage.
    public static let maxJPEGBytes = 512 * 1024
    public static let maxStatusBytes = 64 * 1024

    public let geometry: FlirOneGeometry
    /// Frames handed out; partial frames dropped (cut short by a transfer that began a new one);
    /// bytes skipped while looking for a frame's start (garbage, implausible headers); frames
    /// whose visible image is not a whole JPEG (handed out all the same: the thermal part is
    /// what is measured).
    public private(set) var frames = 0, cutShort = 0, skippedBytes = 0, badJPEG = 0

    private var buffer: [UInt8]
    private var count = 0
    private let capacity: Int

    public init(geometry: FlirOneGeometry = .flirOne) {
        self.geometry = geometry
        capacity = Self.headerBytes + geometry.thermalBytes + Self.maxJPEGBytes + Self.maxStatusBytes
        buffer = [UInt8](repeating: 0, count: capacity)
    }

    /// One bulk transfer's bytes, in order. `frame` is called for each complete frame; the
    /// view is valid only during the call.
    public mutating func append(_ chunk: UnsafeRawBufferPointer, _ frame: (FlirOneFrameView) -> Void) {
        guard !chunk.isEmpty else { return }
        if count > 0, chunk.count >= 4, chunk.starts(with: Self.magic) {
            // A new frame begins while one is incomplete: the old one was cut short.
            if count >= Self.headerBytes, buffer[0..<4].elementsEqual(Self.magic) { cutShort += 1 } else { skippedBytes += count }
            count = 0
        }
        var offset = 0
        while offset < chunk.count {
            let n = min(capacity - count, chunk.count - offset)
            for i in 0..<n { buffer[count + i] = chunk[offset + i] }
            count += n
            offset += n
            drain(frame)
            if count == capacity {
                // Cannot happen with a plausible header (the capacity holds the largest): skip a byte.
                skip(1)
            }
        }
    }

    public mutating func append(_ bytes: [UInt8], _ frame: (FlirOneFrameView) -> Void) {
        bytes.withUnsafeBytes { append($0, frame) }
    }

    /// Hands out every complete frame at the buffer's start; resynchronises past garbage.
    private mutating func drain(_ frame: (FlirOneFrameView) -> Void) {
        while true {
            // Find the magic at the start (or a prefix of it at the end).
            var start = 0
            while start < count {
                let m = min(4, count - start)
                var match = true
                for i in 0..<m where buffer[start + i] != Self.magic[i] { match = false; break }
                if match { break }
                start += 1
            }
            if start > 0 { skip(start) }
            guard count >= Self.headerBytes else { return }
            let frameSize = u32(8), thermal = u32(12), jpeg = u32(16), status = u32(20)
            guard thermal == geometry.thermalBytes, jpeg <= Self.maxJPEGBytes, status <= Self.maxStatusBytes,
                  frameSize == thermal + jpeg + status else {
                skip(1)   // not a frame's header: look further
                continue
            }
            let total = Self.headerBytes + frameSize
            guard count >= total else { return }
            do {
                // The view shares the buffer only during the call (kept longer, the buffer's next
                // change would copy it).
                let view = FlirOneFrameView(geometry: geometry, bytes: buffer, thermalAt: Self.headerBytes,
                                            jpegAt: Self.headerBytes + thermal, jpegCount: jpeg,
                                            statusAt: Self.headerBytes + thermal + jpeg, statusCount: status)
                frames += 1
                if !view.jpegLooksWhole { badJPEG += 1 }
                frame(view)
            }
            remove(total)
        }
    }

    private func u32(_ at: Int) -> Int {
        Int(buffer[at]) | Int(buffer[at + 1]) << 8 | Int(buffer[at + 2]) << 16 | Int(buffer[at + 3]) << 24
    }

    private mutating func skip(_ n: Int) {
        skippedBytes += n
        remove(n)
    }

    private mutating func remove(_ n: Int) {
        let rest = count - n
        if rest > 0 { for i in 0..<rest { buffer[i] = buffer[n + i] } }
        count = rest
    }

    /// Builds one frame as the camera sends it (the USB gadget of the VM test, the tests).
    public static func frame(geometry: FlirOneGeometry = .flirOne, raw: [UInt16], jpeg: [UInt8], status: [UInt8]) -> [UInt8] {
        precondition(raw.count == geometry.width * geometry.height)
        let thermal = geometry.thermalBytes
        var out = magic + [UInt8](repeating: 0, count: headerBytes - 4)
        func put(_ v: Int, _ at: Int) { for i in 0..<4 { out[at + i] = UInt8((v >> (8 * i)) & 0xFF) } }
        put(thermal + jpeg.count + status.count, 8); put(thermal, 12); put(jpeg.count, 16); put(status.count, 20)
        let w = geometry.width
        for y in 0..<geometry.height {
            var row = [UInt16](repeating: 0, count: w + 4)
            for x in 0..<w { row[x + (x < w / 2 ? 2 : 4)] = raw[y * w + x] }
            for v in row { out.append(UInt8(v & 0xFF)); out.append(UInt8(v >> 8)) }
        }
        return out + jpeg + status
    }
}
