import Capture
import Foundation
import Radiometry
import USBCapture

/// Camera models `canthus record` knows: how to read the camera and its radiometric block.
public struct CameraPreset: Sendable {
    public var name: String
    public var layout: FrameLayout
    public var width: Int
    public var height: Int
    public var fps: Double
    public var hfovDeg: Double
    public var radiometry: RadiometricModel

    public static let all: [CameraPreset] = [
        CameraPreset(name: "lepton35", layout: .y16, width: 160, height: 120, fps: 9, hfovDeg: 57, radiometry: .leptonTLinearHigh),
        CameraPreset(name: "lepton35-telemetry", layout: .lepton122, width: 160, height: 122, fps: 9, hfovDeg: 57, radiometry: .leptonTLinearHigh),
        CameraPreset(name: "tc001", layout: .infirayYUYV, width: 256, height: 384, fps: 25, hfovDeg: 56, radiometry: .infiray64),
        CameraPreset(name: "core640", layout: .y16, width: 640, height: 512, fps: 30, hfovDeg: 50, radiometry: .leptonTLinearHigh),
        CameraPreset(name: "grey", layout: .grey, width: 640, height: 480, fps: 30, hfovDeg: 50, radiometry: .leptonTLinearHigh),
        CameraPreset(name: "webcam", layout: .visibleYUYV, width: 640, height: 480, fps: 30, hfovDeg: 60, radiometry: .leptonTLinearHigh),
        // Any visible camera libv4l2 can convert to RGB24 (MJPEG-only webcams among them).
        CameraPreset(name: "webcam-libv4l2", layout: .visibleRGB, width: 640, height: 480, fps: 30, hfovDeg: 60, radiometry: .leptonTLinearHigh),
    ]

    /// The thermal preset whose frame layout and size a device offers (a PureThermal's Y16
    /// 160×120 is a Lepton 3.5, YUYV 256×384 a TC001), for `canthus devices`; nil for none.
    public static func recognised(_ device: V4L2DeviceInfo) -> CameraPreset? {
        all.first { p in
            guard p.layout == .y16 || p.layout == .lepton122 || p.layout == .infirayYUYV else { return false }
            let fourcc = p.layout == .infirayYUYV ? "YUYV" : "Y16"
            return device.formats.contains { $0.fourcc.trimmingCharacters(in: .whitespaces) == fourcc && $0.sizes.contains("\(p.width)x\(p.height)") }
        }
    }

    public static func named(_ name: String) throws -> CameraPreset {
        guard let p = all.first(where: { $0.name == name }) else {
            throw CalibrationError("unknown camera '\(name)' (known: \(all.map(\.name).joined(separator: ", ")))")
        }
        return p
    }

    public func settings(device: String, input: UInt32?) -> V4L2Settings {
        V4L2Settings(device: device, layout: layout, width: width, height: height, fps: fps, input: input,
                     camera: CameraDescription(model: name, serial: "", width: width, height: height, fps: fps, hfovDeg: hfovDeg),
                     radiometry: radiometry)
    }
}

/// `canthus record`: a live camera to a recording, until a frame count, a duration, or
/// SIGINT/SIGTERM. Every frame is one complete record, so whenever it stops — signal, crash,
/// camera gone for good — the file holds every frame received.
public struct Recorder {
    public var settings: V4L2Settings
    /// A FLIR ONE over USB instead of the V4L2 camera of `settings`.
    public var flirOne: FlirOneSource.Settings?
    /// A progress line this often (nil: none, `record --quiet`).
    public var progressEveryS: Double? = 1
    /// nil: capture only (checks a camera's stream without writing).
    public var out: String?
    public var maxFrames: Int?
    public var durationS: Double?
    /// A visible camera whose frames are paired with the IR frames (their JPEGs stored with them).
    public var visible: V4L2Settings?

    public init(settings: V4L2Settings, out: String?, maxFrames: Int?, durationS: Double?, visible: V4L2Settings? = nil) {
        self.settings = settings
        self.out = out
        self.maxFrames = maxFrames
        self.durationS = durationS
        self.visible = visible
    }

    public struct Result: Sendable {
        public var frames: Int
        public var stats: CaptureStats
        public var stoppedBySignal: Bool
        /// IR frames that got a visible JPEG / that did not.
        public var pairedVisible = 0
        public var unpairedVisible = 0
        public var visibleStats: CaptureStats?
    }

    public func run(log: @escaping @Sendable (String) -> Void, progress: (String) -> Void) throws -> Result {
        let disarm = StopSignals.arm()
        defer { disarm() }
        let source: any LiveCamera = flirOne.map { FlirOneSource(settings: $0, log: log) } ?? V4L2Source(settings: settings, log: log)
        let visibleSource = visible.map { v -> V4L2Source in
            var s = v
            s.visibleJPEGQuality = s.visibleJPEGQuality ?? 85
            return V4L2Source(settings: s, log: log)
        }
        var header = source.header
        if visibleSource != nil { header.visible = VisibleDescription(registration: nil) }
        let writer = try out.map { try RecordingWriter(path: $0, header: header, compressionLevel: 1) }
        // A visible frame pairs with an IR frame taken within one frame period (the slower
        // camera's) of it.
        let slowestFPS = min(flirOne != nil ? source.header.camera.fps : settings.fps ?? 9, visible?.fps ?? 30)
        var pairing = VisiblePairing(maxSkewNs: UInt64(1e9 / max(1, slowestFPS)), delayNs: 3_000_000_000)
        source.start()
        visibleSource?.start()
        defer { source.stop(); visibleSource?.stop() }
        let started = Date()
        var frame = Frame.empty
        var written = 0
        var lastProgress = Date.distantPast
        while !StopSignals.requested {
            if let maxFrames, written >= maxFrames { break }
            if let durationS, Date().timeIntervalSince(started) >= durationS { break }
            guard let got = source.next(into: &frame, timeoutS: 0.25) else { continue }
            if !got { break }
            if let visibleSource {
                let newest = frame.timestampNs
                pairing.add(&frame)
                pairing.poll(visibleSource)
                try pairing.drain(newestNs: newest) { try writer?.append($0) }
            } else {
                try writer?.append(frame)
            }
            written += 1
            if let every = progressEveryS, Date().timeIntervalSince(lastProgress) >= every {
                lastProgress = Date()
                let s = source.stats
                progress(String(format: "recording %@: %d frames, %.1f s, %d dropped by the driver, %d bad buffers%@",
                                source.name, written, Date().timeIntervalSince(started), s.sequenceGaps, s.badBuffers,
                                s.lost ? ", camera lost (waiting for it)" : ""))
            }
        }
        source.stop()
        if let visibleSource { pairing.poll(visibleSource) }
        visibleSource?.stop()
        try pairing.drain(newestNs: .max, all: true) { try writer?.append($0) }
        try writer?.close()
        return Result(frames: written, stats: source.stats, stoppedBySignal: StopSignals.requested,
                      pairedVisible: pairing.paired, unpairedVisible: pairing.unpaired, visibleStats: visibleSource?.stats)
    }
}
