/// One thermal frame: raw 16-bit camera counts, row-major, plus what the camera said about it.
///
/// Sources fill a caller-owned `Frame` in place (`FrameSource.next(into:)`), so a steady stream
/// reuses the same pixel storage and allocates nothing per frame.
public struct Frame: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Row-major counts, `width × height` of them.
    public var pixels: [UInt16]
    /// Monotonic capture time in nanoseconds (the camera's or the host's clock; only
    /// differences are meaningful).
    public var timestampNs: UInt64
    /// The camera's or the recorder's frame counter.
    public var sequence: UInt64
    public var flags: FrameFlags
    /// The visible camera's JPEG taken with this frame, empty when there is none.
    public var visibleJPEG: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt16]? = nil, timestampNs: UInt64 = 0,
                sequence: UInt64 = 0, flags: FrameFlags = [], visibleJPEG: [UInt8] = []) {
        self.width = width
        self.height = height
        self.pixels = pixels ?? [UInt16](repeating: 0, count: width * height)
        self.timestampNs = timestampNs
        self.sequence = sequence
        self.flags = flags
        self.visibleJPEG = visibleJPEG
    }

    /// An empty frame to pass to `FrameSource.next(into:)`.
    public static var empty: Frame { Frame(width: 0, height: 0, pixels: []) }

    @inline(__always)
    public subscript(x: Int, y: Int) -> UInt16 { pixels[y * width + x] }

    /// Resizes the pixel storage, keeping its capacity when the size does not change.
    public mutating func reshape(width: Int, height: Int) {
        if self.width == width && self.height == height && pixels.count == width * height { return }
        self.width = width
        self.height = height
        pixels = [UInt16](repeating: 0, count: width * height)
    }
}

/// Per-frame flags, stored as a u32 in recordings (docs/recording-format.md).
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The shutter is closed or a flat-field correction is in progress or just happened:
    /// the frame's values are not to be trusted for measurement.
    public static let shutter = FrameFlags(rawValue: 1 << 0)
    /// The source saw one or more frames missing before this one (sequence gap).
    public static let afterDrop = FrameFlags(rawValue: 1 << 1)
    /// The frame repeats the previous one (the camera stalled).
    public static let frozen = FrameFlags(rawValue: 1 << 2)
}

/// Clockwise rotation applied to the sensor image to see the scene upright.
public enum Rotation: Int, Codable, Sendable, CaseIterable {
    case none = 0, cw90 = 90, cw180 = 180, cw270 = 270

    /// Output size for an input of `width × height`.
    public func size(width: Int, height: Int) -> (width: Int, height: Int) {
        switch self {
        case .none, .cw180: return (width, height)
        case .cw90, .cw270: return (height, width)
        }
    }

    /// Where sensor pixel (x, y) of a `width × height` image lands after rotating.
    public func map(x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
        switch self {
        case .none: return (x, y)
        case .cw90: return (height - 1 - y, x)
        case .cw180: return (width - 1 - x, height - 1 - y)
        case .cw270: return (y, width - 1 - x)
        }
    }

    /// Same as `map` for a sub-pixel position (pixel centres at integer coordinates).
    public func map(x: Double, y: Double, width: Int, height: Int) -> (x: Double, y: Double) {
        switch self {
        case .none: return (x, y)
        case .cw90: return (Double(height - 1) - y, x)
        case .cw180: return (Double(width - 1) - x, Double(height - 1) - y)
        case .cw270: return (y, Double(width - 1) - x)
        }
    }

    /// Writes `source` rotated into `target`, reusing `target`'s storage (a copy for `.none`:
    /// the target never shares the source's buffer, so the source can be refilled in place).
    public func apply(_ source: Frame, into target: inout Frame) {
        let (w, h) = size(width: source.width, height: source.height)
        target.reshape(width: w, height: h)
        target.timestampNs = source.timestampNs
        target.sequence = source.sequence
        target.flags = source.flags
        if target.visibleJPEG != source.visibleJPEG { target.visibleJPEG = source.visibleJPEG }
        let sw = source.width, sh = source.height
        let rotation = self
        if rotation == .none {
            target.pixels.withUnsafeMutableBufferPointer { dst in
                source.pixels.withUnsafeBufferPointer { src in dst.baseAddress!.update(from: src.baseAddress!, count: src.count) }
            }
            return
        }
        source.pixels.withUnsafeBufferPointer { src in
            target.pixels.withUnsafeMutableBufferPointer { dst in
                // SAFETY: both buffers hold sw×sh pixels; map() stays inside w×h.
                for y in 0..<sh {
                    for x in 0..<sw {
                        let p = rotation.map(x: x, y: y, width: sw, height: sh)
                        dst[p.y * w + p.x] = src[y * sw + x]
                    }
                }
            }
        }
    }
}

/// Tells a frame that repeats the previous one (a stalled camera re-sends its last buffer).
/// Sensor noise makes real successive frames differ almost everywhere, so a sample of about a
/// thousand pixels spread over the frame decides; the sample is kept for the next frame. No copy
/// of the frame is made.
public struct FrozenFrameDetector: Sendable {
    private var sample: [UInt16] = []

    public init() {}

    public mutating func repeatsPrevious(_ frame: Frame) -> Bool {
        // An odd stride, so the samples do not line up in a few columns.
        let stride = (frame.pixels.count / 1024) | 1
        let n = (frame.pixels.count + stride - 1) / stride
        if sample.count != n { sample = [UInt16](repeating: 0, count: n) }
        var same = true
        frame.pixels.withUnsafeBufferPointer { px in
            sample.withUnsafeMutableBufferPointer { prev in
                for k in 0..<n where prev[k] != px[k * stride] { same = false; prev[k] = px[k * stride] }
            }
        }
        return same
    }
}
