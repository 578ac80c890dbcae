import CCapture
import Foundation
import Radiometry
#if canImport(Glibc)
import Glibc
#endif

/// How a camera's buffers hold the thermal (or visible) image.
public enum FrameLayout: String, Sendable, Codable, CaseIterable {
    /// 16-bit counts, one per pixel.
    case y16
    /// Lepton via PureThermal with telemetry: Y16 160×122, the last two rows telemetry.
    case lepton122
    /// 8-bit greyscale.
    case grey
    /// InfiRay P2 Pro / Topdon TC001: YUYV 256×384, the bottom half raw LE u16 counts.
    case infirayYUYV = "infiray-yuyv"
    /// A visible camera's YUYV: the luminance is kept.
    case visibleYUYV = "yuyv"
    /// A visible camera's MJPEG: decoded to luminance.
    case mjpeg
    /// A visible camera through libv4l2's conversion to RGB24 (any camera format libv4l2 reads).
    case visibleRGB = "rgb"

    public var pixelFormat: PixelFormat {
        switch self {
        case .y16, .lepton122: return .y16
        case .grey: return .grey
        case .infirayYUYV, .visibleYUYV: return .yuyv
        case .mjpeg: return .mjpeg
        case .visibleRGB: return .rgb24
        }
    }

    /// The image size for a buffer of `width × height`.
    public func imageSize(width: Int, height: Int) -> (Int, Int) {
        switch self {
        case .lepton122: return (width, height - 2)
        case .infirayYUYV: return (width, height / 2)
        default: return (width, height)
        }
    }
}

/// Lepton telemetry row A (Lepton 3.5 datasheet): 32-bit values are two 16-bit words, the less
/// significant first. Words 1–2 time since power-on (ms), 3–4 status (bits 4–5 FFC state:
/// 0 never, 1 imminent, 2 in progress, 3 done), 20–21 frame counter, 30–31 time of the last FFC.
public struct LeptonTelemetry: Equatable, Sendable {
    public var timeOnMs: UInt32
    public var ffcState: Int
    public var frameCounter: UInt32
    public var lastFFCMs: UInt32

    /// `word(i)` is the i-th 16-bit word of telemetry row A.
    public init(word: (Int) -> UInt16) {
        func dword(_ i: Int) -> UInt32 { UInt32(word(i)) | UInt32(word(i + 1)) << 16 }
        timeOnMs = dword(1)
        ffcState = Int((dword(3) >> 4) & 3)
        frameCounter = dword(20)
        lastFFCMs = dword(30)
    }

    /// The shutter is closing or the FFC has not settled.
    public var shutter: Bool { ffcState == 1 || ffcState == 2 }
}

/// What to open and how.
public struct V4L2Settings: Sendable {
    public var device: String
    public var input: UInt32?
    public var layout: FrameLayout
    /// Buffer size to request (e.g. 160×122 for a Lepton with telemetry, 256×384 for a TC001).
    public var width: Int
    public var height: Int
    public var fps: Double?
    public var buffers: UInt32 = 4
    /// No frame for this long → reopen the device (longer than a shutter cycle).
    public var stallTimeoutS = 4.0
    /// Back-off after losing the device: starts at the lower bound, doubles up to the upper.
    public var backoffS = 1.0...5.0
    public var camera: CameraDescription
    public var radiometry: RadiometricModel
    /// For a visible camera's YUYV: also compress each frame to a JPEG (`Frame.visibleJPEG`) at
    /// this quality, for pairing with IR frames and snapshots; nil keeps the luminance only.
    public var visibleJPEGQuality: Int32?

    public init(device: String, layout: FrameLayout, width: Int, height: Int, fps: Double? = nil, input: UInt32? = nil,
                camera: CameraDescription, radiometry: RadiometricModel) {
        self.device = device
        self.layout = layout
        self.width = width
        self.height = height
        self.fps = fps
        self.input = input
        self.camera = camera
        self.radiometry = radiometry
    }
}

/// Counters of a capture stream.
public struct CaptureStats: Sendable, Equatable {
    public var frames = 0
    /// Frames the consumer did not take before a newer one arrived.
    public var handoffDrops = 0
    /// Frames the driver's sequence numbers say were lost.
    public var sequenceGaps = 0
    /// Buffers rejected: wrong size, error flag, damaged JPEG.
    public var badBuffers = 0
    public var streamingRestarts = 0
    public var reconnects = 0
    public var stalls = 0
    public var lost = false
    /// A USB stream's bytes skipped to find the next frame header (`FlirOneReassembler`).
    public var skippedBytes = 0
    /// Transfers the USB shim's ring had no room for (the frame loop fell behind).
    public var overruns = 0

    /// Each counter by the name a lane's health shows it under (`canthus status`), without
    /// allocating.
    public func forEachCounter(_ body: (String, Int) -> Void) {
        body("capture_frames", frames); body("capture_handoff_drops", handoffDrops); body("capture_sequence_gaps", sequenceGaps)
        body("capture_bad_buffers", badBuffers); body("capture_streaming_restarts", streamingRestarts)
        body("capture_reconnects", reconnects); body("capture_stalls", stalls)
        body("capture_skipped_bytes", skippedBytes); body("capture_overruns", overruns)
    }

    public init() {}
}

/// A V4L2 camera as a `FrameSource`. A capture thread runs the device loop
///
///     open → configure (read back what the driver applied) → stream → error → close → back off → reopen
///
/// and hands the newest frame to the consumer through a two-slot exchange (a frame the consumer
/// missed is counted, never queued). A frame's storage is swapped, not copied, between the
/// capture thread, the exchange and the consumer, so a steady stream allocates nothing.
/// Recovery: `ENODEV` → release everything, back off 1 s doubling to 5 s, find the same camera
/// again (its /dev/v4l/by-id name, else bus info and card), resume; `EIO` → restart streaming;
/// no frame within `stallTimeoutS` → reopen. Each transition is logged once.
public final class V4L2Source: FrameSource, HeaderAdjustable, @unchecked Sendable {
    public let settings: V4L2Settings
    public let name: String
    public private(set) var header: RecordingHeader
    public var problems: [RecordingError] { [] }
    private let log: @Sendable (String) -> Void
    private let exchange: FrameExchange
    private var identity: (card: String, bus: String, byID: String?)?

    public var stats: CaptureStats { exchange.stats }

    public init(settings: V4L2Settings, log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.log = log
        name = settings.device
        let (w, h) = settings.layout.imageSize(width: settings.width, height: settings.height)
        var camera = settings.camera
        camera.width = w
        camera.height = h
        header = RecordingHeader(camera: camera, radiometry: settings.radiometry, origin: "v4l2:\(settings.device)")
        exchange = FrameExchange(width: w, height: h)
    }

    deinit { stop() }

    func adjustHeader(_ change: (inout RecordingHeader) -> Void) { change(&header) }

    /// Applies import options (rotation, reference) to the header the screener will use.
    public func apply(_ options: ImportOptions) { options.apply(to: &header) }

    public func start() { exchange.start(name: "capture \(settings.device)") { [unowned self] in self.captureLoop() } }

    /// Stops the capture thread and waits for it to release the device.
    public func stop() { exchange.stop() }

    /// Waits for the next frame; returns false once the source is stopped.
    public func next(into frame: inout Frame) throws -> Bool { exchange.next(into: &frame, timeoutS: nil) ?? false }

    /// Like `next(into:)` but gives up after `timeoutS`, returning nil.
    public func next(into frame: inout Frame, timeoutS: Double) -> Bool? { exchange.next(into: &frame, timeoutS: timeoutS) }

    private var isStopping: Bool { exchange.isStopping }
    private func sleepUnlessStopped(_ seconds: Double) -> Bool { exchange.sleepUnlessStopped(seconds) }
    private func update(_ change: (inout CaptureStats) -> Void) { exchange.update(change) }

    // MARK: the device loop (capture thread)

    private func captureLoop() {
        var work = Frame(width: header.camera.width, height: header.camera.height)
        var backoff = settings.backoffS.lowerBound
        var wasLost = false
        var path = settings.device
        while !isStopping {
            do {
                try stream(path: path, into: &work, onStreaming: {
                    if wasLost {
                        self.log("capture \(path): camera back, streaming again")
                        self.update { $0.reconnects += 1; $0.lost = false }
                        wasLost = false
                    }
                    backoff = self.settings.backoffS.lowerBound
                })
            } catch let e as V4L2Error {
                switch e.kind {
                case .deviceGone:
                    if !wasLost {
                        log("\(e.description): camera lost; retrying with back-off")
                        update { $0.lost = true }
                        wasLost = true
                    }
                    if sleepUnlessStopped(backoff) { return }
                    backoff = min(settings.backoffS.upperBound, backoff * 2)
                    path = findAgain() ?? settings.device
                default:
                    log("\(e.description); reopening in \(backoff) s")
                    if sleepUnlessStopped(backoff) { return }
                    backoff = min(settings.backoffS.upperBound, backoff * 2)
                }
            } catch {
                log("capture \(path): \(error)")
                if sleepUnlessStopped(backoff) { return }
            }
        }
    }

    /// The same camera under whatever node it has now.
    private func findAgain() -> String? {
        guard let id = identity else { return nil }
        if let byID = id.byID, FileManager.default.fileExists(atPath: byID) {
            return (try? FileManager.default.destinationOfSymbolicLink(atPath: byID)).map {
                URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: "/dev/v4l/by-id/")).standardizedFileURL.path
            }
        }
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? []).filter { $0.hasPrefix("video") }.sorted()
        for node in candidates {
            let p = "/dev/" + node
            let fd = cc_v4l2_open(p)
            guard fd >= 0 else { continue }
            var caps = cc_v4l2_caps()
            let ok = cc_v4l2_querycap(fd, &caps) == 0
            _ = cc_v4l2_close(fd)
            guard ok else { continue }
            let card = withUnsafeBytes(of: caps.card) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let bus = withUnsafeBytes(of: caps.bus_info) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if card == id.card && bus == id.bus { return p }
        }
        return nil
    }

    /// One open → configure → stream session. Returns when asked to stop; throws on errors.
    private func stream(path: String, into work: inout Frame, onStreaming: () -> Void) throws {
        let fd = settings.layout == .visibleRGB ? cc_v4l2_open_converting(path) : cc_v4l2_open(path)
        guard fd >= 0 else { throw V4L2Error(device: path, call: "open", code: -fd) }
        defer { _ = cc_v4l2_close(fd) }
        var caps = cc_v4l2_caps()
        var rc = cc_v4l2_querycap(fd, &caps)
        guard rc == 0 else { throw V4L2Error(device: path, call: "QUERYCAP", code: -rc) }
        if identity == nil {
            let card = withUnsafeBytes(of: caps.card) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let bus = withUnsafeBytes(of: caps.bus_info) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            identity = (card, bus, V4L2.links(in: "/dev/v4l/by-id", to: path).first)
        }
        if let input = settings.input {
            rc = cc_v4l2_set_input(fd, input)
            guard rc == 0 else { throw V4L2Error(device: path, call: "S_INPUT", code: -rc) }
        }
        var applied = cc_v4l2_format()
        rc = cc_v4l2_set_format(fd, settings.layout.pixelFormat.fourcc, UInt32(settings.width), UInt32(settings.height), &applied)
        guard rc == 0 else { throw V4L2Error(device: path, call: "S_FMT", code: -rc) }
        // Trust the driver's answer, not the request.
        guard applied.fourcc == settings.layout.pixelFormat.fourcc, Int(applied.width) == settings.width, Int(applied.height) == settings.height else {
            throw CaptureConfigurationError(device: path, message: "asked for \(settings.layout.pixelFormat.rawValue) \(settings.width)×\(settings.height), the driver gave \(PixelFormat.fourccString(applied.fourcc)) \(applied.width)×\(applied.height)")
        }
        var period = 1.0 / 30
        if let fps = settings.fps {
            var num: UInt32 = 0, den: UInt32 = 0
            if cc_v4l2_set_interval(fd, 1000, UInt32(fps * 1000), &num, &den) == 0, num > 0, den > 0 { period = Double(num) / Double(den) }
            else { period = 1 / fps }
        }
        var ring = cc_v4l2_ring()
        rc = cc_v4l2_start(fd, settings.buffers, &ring)
        guard rc == 0 else { throw V4L2Error(device: path, call: "STREAMON", code: -rc) }
        defer { _ = cc_v4l2_stop(fd, &ring) }
        onStreaming()
        let pollMs = Int32(max(200, min(1000, 3 * period * 1000)))
        var lastFrameAt = DispatchTime.now().uptimeNanoseconds
        var lastSequence: UInt32?
        var buffer = cc_v4l2_buffer()
        while !isStopping {
            let r = cc_v4l2_wait(fd, pollMs)
            if r < 0 { throw V4L2Error(device: path, call: "poll", code: -r) }
            if r == 0 {
                if Double(DispatchTime.now().uptimeNanoseconds - lastFrameAt) / 1e9 > settings.stallTimeoutS {
                    log("capture \(path): no frame for \(settings.stallTimeoutS) s; reopening")
                    update { $0.stalls += 1 }
                    return
                }
                continue
            }
            rc = cc_v4l2_dequeue(fd, &buffer)
            if rc == -EAGAIN { continue }
            if rc == -EIO || rc == -EPIPE {
                try restartStreaming(fd: fd, ring: &ring, path: path, call: "DQBUF")
                lastSequence = nil
                continue
            }
            guard rc == 0 else { throw V4L2Error(device: path, call: "DQBUF", code: -rc) }
            lastFrameAt = DispatchTime.now().uptimeNanoseconds
            let index = Int(buffer.index)
            let ok = index < Int(ring.count) && buffer.flags & 0x40 == 0 && convert(Self.bufferStart(&ring, index), length: Int(buffer.bytes_used),
                                                                                      applied: applied, into: &work)
            let requeue = cc_v4l2_requeue(fd, buffer.index)
            if requeue == -EIO || requeue == -EPIPE {
                // vivid (and real drivers) report a fatal streaming error on the next QBUF too.
                try restartStreaming(fd: fd, ring: &ring, path: path, call: "QBUF")
                lastSequence = nil
                if !ok { update { $0.badBuffers += 1 } }
                if !ok { continue }
            } else if requeue != 0 {
                throw V4L2Error(device: path, call: "QBUF", code: -requeue)
            }
            if !ok {
                update { $0.badBuffers += 1 }
                continue
            }
            if frozen.repeatsPrevious(work) { work.flags.insert(.frozen) }
            var gap = 0
            if let last = lastSequence, buffer.sequence > last + 1 { gap = Int(buffer.sequence - last - 1) }
            lastSequence = buffer.sequence
            work.sequence = UInt64(buffer.sequence)
            work.timestampNs = buffer.timestamp_ns
            if gap > 0 { work.flags.insert(.afterDrop) }
            exchange.hand(&work, gap: gap)
        }
    }

    /// A fatal streaming error with the device still there: stop and start streaming again.
    private func restartStreaming(fd: Int32, ring: inout cc_v4l2_ring, path: String, call: String) throws {
        log("capture \(path): \(call): EIO; restarting streaming")
        update { $0.streamingRestarts += 1 }
        _ = cc_v4l2_stop(fd, &ring)
        let rc = cc_v4l2_start(fd, settings.buffers, &ring)
        guard rc == 0 else { throw V4L2Error(device: path, call: "STREAMON", code: -rc) }
    }

    /// The mapped address of buffer `index` (the ring's pointers are a C array, a tuple in Swift).
    private static func bufferStart(_ ring: inout cc_v4l2_ring, _ index: Int) -> UnsafeMutableRawPointer? {
        withUnsafeBytes(of: &ring.start) { $0.load(fromByteOffset: index * MemoryLayout<UnsafeMutableRawPointer?>.stride, as: UnsafeMutableRawPointer?.self) }
    }

    private var jpegScratch: [UInt8] = []
    private var frozen = FrozenFrameDetector()
    private var rgbScratch: [UInt8] = []

    private var encodedScratch: [UInt8] = []

    /// YUYV → YCbCr 4:4:4 (each chroma pair shared by its two pixels) → JPEG into
    /// `frame.visibleJPEG`: libjpeg takes YCbCr as it is, so there is no colour conversion.
    private func encodeJPEG(yuyv: UnsafeRawBufferPointer, width w: Int, height h: Int, rowBytes: Int, quality: Int32,
                            into frame: inout Frame) -> Bool {
        if rgbScratch.count != w * h * 3 { rgbScratch = [UInt8](repeating: 0, count: w * h * 3) }
        rgbScratch.withUnsafeMutableBufferPointer { ycc in
            for y in 0..<h {
                for x in Swift.stride(from: 0, to: w - 1, by: 2) {
                    let o = y * rowBytes + 2 * x, i = (y * w + x) * 3
                    let cb = yuyv[o + 1], cr = yuyv[o + 3]
                    ycc[i] = yuyv[o]; ycc[i + 1] = cb; ycc[i + 2] = cr
                    ycc[i + 3] = yuyv[o + 2]; ycc[i + 4] = cb; ycc[i + 5] = cr
                }
            }
        }
        let bound = w * h * 3 + 65_536
        if encodedScratch.count < bound { encodedScratch = [UInt8](repeating: 0, count: bound) }
        let n = cc_jpeg_encode(rgbScratch, Int32(w), Int32(h), 3, 1, quality, &encodedScratch, encodedScratch.count)
        guard n > 0 else { return false }
        frame.visibleJPEG.append(contentsOf: encodedScratch[0..<n])
        return true
    }

    /// Validates and converts one buffer into `frame`. False: a bad buffer (counted, dropped).
    private func convert(_ start: UnsafeMutableRawPointer?, length: Int, applied: cc_v4l2_format, into frame: inout Frame) -> Bool {
        guard let start else { return false }
        let w = Int(applied.width), h = Int(applied.height), stride = Int(applied.bytes_per_line)
        let (ow, oh) = settings.layout.imageSize(width: w, height: h)
        frame.reshape(width: ow, height: oh)
        frame.flags = []
        frame.visibleJPEG.removeAll(keepingCapacity: true)
        let bytes = UnsafeRawBufferPointer(start: start, count: length)
        switch settings.layout {
        case .y16, .lepton122:
            guard stride >= 2 * w, length >= stride * h else { return false }
            frame.pixels.withUnsafeMutableBufferPointer { px in
                for y in 0..<oh {
                    for x in 0..<w { px[y * w + x] = bytes.load(fromByteOffset: y * stride + 2 * x, as: UInt16.self).littleEndian }
                }
            }
            if settings.layout == .lepton122 {
                // Telemetry row A is the first of the two footer rows.
                let t = LeptonTelemetry { bytes.load(fromByteOffset: oh * stride + 2 * $0, as: UInt16.self).littleEndian }
                if t.shutter { frame.flags.insert(.shutter) }
                frame.sequence = UInt64(t.frameCounter)
            }
        case .grey:
            guard stride >= w, length >= stride * h else { return false }
            frame.pixels.withUnsafeMutableBufferPointer { px in
                for y in 0..<h { for x in 0..<w { px[y * w + x] = UInt16(bytes[y * stride + x]) } }
            }
        case .visibleYUYV:
            guard stride >= 2 * w, length >= stride * h else { return false }
            frame.pixels.withUnsafeMutableBufferPointer { px in
                for y in 0..<h { for x in 0..<w { px[y * w + x] = UInt16(bytes[y * stride + 2 * x]) } }
            }
            if let quality = settings.visibleJPEGQuality, !encodeJPEG(yuyv: bytes, width: w, height: h, rowBytes: stride, quality: quality, into: &frame) {
                return false
            }
        case .infirayYUYV:
            guard stride == 2 * w, length >= stride * h else { return false }
            frame.pixels.withUnsafeMutableBufferPointer { px in
                let base = stride * oh
                for i in 0..<(ow * oh) { px[i] = bytes.load(fromByteOffset: base + 2 * i, as: UInt16.self).littleEndian }
            }
        case .visibleRGB:
            guard stride >= 3 * w, length >= stride * h else { return false }
            frame.pixels.withUnsafeMutableBufferPointer { px in
                for y in 0..<h {
                    for x in 0..<w {
                        let o = y * stride + 3 * x
                        px[y * w + x] = UInt16((77 * UInt32(bytes[o]) + 150 * UInt32(bytes[o + 1]) + 29 * UInt32(bytes[o + 2])) >> 8)
                    }
                }
            }
            if let quality = settings.visibleJPEGQuality {
                let bound = w * h * 3 + 65_536
                if encodedScratch.count < bound { encodedScratch = [UInt8](repeating: 0, count: bound) }
                if rgbScratch.count != w * h * 3 { rgbScratch = [UInt8](repeating: 0, count: w * h * 3) }
                rgbScratch.withUnsafeMutableBufferPointer { rgb in
                    for y in 0..<h { for i in 0..<(3 * w) { rgb[y * 3 * w + i] = bytes[y * stride + i] } }
                }
                let n = cc_jpeg_encode(rgbScratch, Int32(w), Int32(h), 3, 0, quality, &encodedScratch, encodedScratch.count)
                guard n > 0 else { return false }
                frame.visibleJPEG.append(contentsOf: encodedScratch[0..<n])
            }
        case .mjpeg:
            guard length >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return false }
            // Some cameras pad after EOI: look for it near the end.
            let tail = bytes[max(2, length - 64)..<length]
            guard zip(tail, tail.dropFirst()).contains(where: { $0 == 0xFF && $1 == 0xD9 }) else { return false }
            frame.visibleJPEG.append(contentsOf: bytes)
            var info = cc_jpeg_info()
            if jpegScratch.count != w * h { jpegScratch = [UInt8](repeating: 0, count: w * h) }
            let rc = cc_jpeg_decode(start.assumingMemoryBound(to: UInt8.self), length, 1, 1, &jpegScratch, jpegScratch.count, &info)
            guard rc == 0, Int(info.width) == w, Int(info.height) == h else { return false }
            frame.pixels.withUnsafeMutableBufferPointer { px in for i in 0..<(w * h) { px[i] = UInt16(jpegScratch[i]) } }
        }
        return true
    }
}

public struct CaptureConfigurationError: Error, CustomStringConvertible {
    public var device: String
    public var message: String
    public var description: String { "capture \(device): \(message)" }
}

/// Pairs IR frames with a visible camera's frames by their (monotonic) timestamps. IR frames
/// wait in a short delay line (`delayNs`, longer than the visible camera's capture-to-JPEG
/// latency); each visible frame, when it arrives, goes to the waiting IR frame nearest to it in
/// time if within `maxSkewNs`. IR frames leave the line, paired or not, in order. Frame storage
/// is recycled through the line: nothing is allocated per frame once it is full.
public struct VisiblePairing {
    public var maxSkewNs: UInt64
    public var delayNs: UInt64
    public private(set) var paired = 0
    public private(set) var unpaired = 0
    private var line: [Frame] = []
    private var spare: [Frame] = []
    private var visible = Frame.empty

    public init(maxSkewNs: UInt64, delayNs: UInt64) {
        self.maxSkewNs = maxSkewNs
        self.delayNs = delayNs
    }

    /// Puts an IR frame into the line (its storage is exchanged for a spare one).
    public mutating func add(_ ir: inout Frame) {
        var slot = spare.popLast() ?? Frame.empty
        swap(&slot, &ir)
        slot.visibleJPEG.removeAll(keepingCapacity: true)
        line.append(slot)
    }

    /// Takes every visible frame waiting at the camera and attaches each to its IR frame.
    public mutating func poll(_ camera: V4L2Source) {
        while camera.next(into: &visible, timeoutS: 0) == true {
            guard !visible.visibleJPEG.isEmpty,
                  let best = line.indices.min(by: { skew(line[$0]) < skew(line[$1]) }),
                  skew(line[best]) <= maxSkewNs else { continue }
            line[best].visibleJPEG.removeAll(keepingCapacity: true)
            line[best].visibleJPEG.append(contentsOf: visible.visibleJPEG)
        }
    }

    private func skew(_ ir: Frame) -> UInt64 {
        ir.timestampNs > visible.timestampNs ? ir.timestampNs - visible.timestampNs : visible.timestampNs - ir.timestampNs
    }

    /// Hands out, oldest first, the IR frames older than the delay (all of them when `all`).
    public mutating func drain(newestNs: UInt64, all: Bool = false, _ out: (Frame) throws -> Void) rethrows {
        while let first = line.first, all || first.timestampNs + delayNs <= newestNs {
            if first.visibleJPEG.isEmpty { unpaired += 1 } else { paired += 1 }
            try out(first)
            spare.append(line.removeFirst())
        }
    }
}
