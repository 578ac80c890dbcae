import CFlirOne
import Capture
import Foundation
import Frames
import Radiometry

/// A FLIR ONE (Gen 2, Gen 3, Pro; USB 09cb:1996) over libusb as a live camera
/// (docs/usb-flir-one.md). A capture thread runs
///
///     wait for the camera → open, start its stream → read transfers → frames → gone → wait …
///
/// The shim (CFlirOne) services the bulk transfers on its own event thread; here each
/// transfer's bytes go through the frame parser (`FlirOneReassembler`) and each whole frame
/// becomes a `Frame`: the thermal counts, the visible JPEG as sent (the pairing the V4L2 visible
/// cameras feed), and `.shutter` while the shutter is closed for a flat-field correction. The
/// newest frame is handed over through the exchange the V4L2 source uses (`FrameExchange`); a
/// steady stream allocates nothing. Unplugged (`LIBUSB_ERROR_NO_DEVICE`, `LIBUSB_ERROR_IO`): released,
/// then looked for every `backoffS` (1 s doubling to 5 s: no spin while it is gone), streamed
/// again when back (`reconnects`).
public final class FlirOneSource: LiveCamera, FrameSource, @unchecked Sendable {
    public static let vendor: UInt16 = 0x09CB
    public static let product: UInt16 = 0x1996
    /// The thermal camera's horizontal field of view (°): 50 across its 160 columns.
    public static let hfovDeg = 50.0

    public struct Settings: Sendable {
        /// Only the camera with this serial (default: the first FLIR ONE).
        public var serial: String?
        public var radiometry: RadiometricModel
        public var stallTimeoutS = 4.0
        public var backoffS = 1.0...5.0
        public var transfers: Int32 = 4
        public var transferBytes: Int32 = 256 * 1024

        public init(serial: String? = nil, radiometry: RadiometricModel = FlirOneSource.planck) {
            self.serial = serial
            self.radiometry = radiometry
        }
    }

    /// The FLIR ONE Gen 2's Planck constants as the public drivers use them (its own are in the
    /// CameraFiles.zip it serves over FileIO, not read yet); skin's emissivity, 1 m, 20 °C.
    public static let planck = RadiometricModel.planck(FLIRPlanck(r1: 16528.178, r2: 0.012258549, b: 1427.5, f: 1.0, o: -1307.0,
                                                                  emissivity: 0.98, distanceM: 1.0, reflectedC: 20, atmosphereC: 20,
                                                                  relativeHumidity: 0.5))

    public let settings: Settings
    public let name: String
    public private(set) var header: RecordingHeader
    private let log: @Sendable (String) -> Void
    private let exchange: FrameExchange

    /// Frames cut short and frames without a whole JPEG are `badBuffers`; bytes skipped to
    /// find a frame and the shim's ring overruns have counters of their own.
    public var stats: CaptureStats { exchange.stats }

    public init(settings: Settings, log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.log = log
        name = "usb:flirone" + (settings.serial.map { ":" + $0 } ?? "")
        let g = FlirOneGeometry.flirOne
        header = RecordingHeader(camera: CameraDescription(model: "flirone", serial: settings.serial ?? "", width: g.width, height: g.height,
                                                           fps: 8.7, hfovDeg: Self.hfovDeg),
                                 radiometry: settings.radiometry, origin: "usb:09cb:1996")
        exchange = FrameExchange(width: g.width, height: g.height)
    }

    deinit { stop() }

    /// Applies import options (rotation, reference) to the header the screener will use.
    public func apply(_ options: ImportOptions) { options.apply(to: &header) }

    /// FLIR ONEs attached now: their serials.
    public static func attached() -> [String] {
        var serial = [CChar](repeating: 0, count: 128)
        guard co_find(vendor, product, nil, &serial, serial.count) == 1 else { return [] }
        return [String(decoding: serial.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)]
    }

    /// An attached FLIR ONE as `canthus devices` lists cameras (its device name is
    /// `usb[:SERIAL]`; no V4L2 formats: it streams its own frames).
    public static func describe(serial: String) -> V4L2DeviceInfo {
        let device = "usb" + (serial.isEmpty ? "" : ":" + serial)
        return V4L2DeviceInfo(path: device, driver: "libusb", card: "FLIR ONE", bus: "usb", usbVendor: "09cb", usbProduct: "1996",
                              usbSerial: serial.isEmpty ? nil : serial, stableNames: [], formats: [], role: "ir",
                              reason: "a FLIR ONE: source.camera {model: flirone, device: \(device)} (docs/usb-flir-one.md)")
    }

    public func start() { exchange.start(name: "capture flirone") { [unowned self] in self.captureLoop() } }
    public func stop() { exchange.stop() }
    public func next(into frame: inout Frame, timeoutS: Double) -> Bool? { exchange.next(into: &frame, timeoutS: timeoutS) }
    /// As a `FrameSource` (`canthus calibrate`): waits for the next frame; false once stopped.
    public func next(into frame: inout Frame) throws -> Bool { exchange.next(into: &frame, timeoutS: nil) ?? false }
    public var problems: [RecordingError] { [] }

    private var isStopping: Bool { exchange.isStopping }
    private func sleepUnlessStopped(_ seconds: Double) -> Bool { exchange.sleepUnlessStopped(seconds) }
    private func update(_ change: (inout CaptureStats) -> Void) { exchange.update(change) }

    private func captureLoop() {
        var work = Frame(width: FlirOneGeometry.flirOne.width, height: FlirOneGeometry.flirOne.height)
        var parser = FlirOneReassembler()
        var chunk = [UInt8](repeating: 0, count: Int(settings.transferBytes))
        var backoff = settings.backoffS.lowerBound
        var wasLost = false, everStreamed = false, saidWaiting = false
        var sequence: UInt64 = 0
        var overrunsBefore: UInt64 = 0
        while !isStopping {
            var error = [CChar](repeating: 0, count: 256)
            guard let camera = co_open(Self.vendor, Self.product, settings.serial, settings.transfers, settings.transferBytes, &error, error.count) else {
                let why = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !saidWaiting { log("capture \(name): \(why); waiting for it"); saidWaiting = true }
                // Not streaming is lost (before the first frame too: the lane waits paused);
                // back after having streamed is a reconnect.
                update { $0.lost = true }
                if everStreamed { wasLost = true }
                if sleepUnlessStopped(backoff) { return }
                backoff = min(settings.backoffS.upperBound, backoff * 2)
                continue
            }
            saidWaiting = false
            backoff = settings.backoffS.lowerBound
            if wasLost { log("capture \(name): camera back, streaming again") }
            update { if wasLost { $0.reconnects += 1 }; $0.lost = false }
            wasLost = false
            everStreamed = true
            var lastFrameNs = DispatchTime.now().uptimeNanoseconds
            streaming: while !isStopping {
                let n = chunk.withUnsafeMutableBufferPointer { co_read(camera, $0.baseAddress, Int32($0.count), 250) }
                if n == Int32(CO_TIMEOUT) {
                    if Double(DispatchTime.now().uptimeNanoseconds - lastFrameNs) / 1e9 > settings.stallTimeoutS {
                        log("capture \(name): no frame for \(settings.stallTimeoutS) s; reopening")
                        update { $0.stalls += 1 }
                        break streaming
                    }
                    continue
                }
                if n < 0 {
                    let why = String(cString: co_error(camera))
                    log("capture \(name): \(why); camera lost, looking for it again")
                    update { $0.lost = true }
                    wasLost = true
                    break streaming
                }
                var delivered = false
                chunk.withUnsafeBytes { bytes in
                    parser.append(UnsafeRawBufferPointer(rebasing: bytes[0..<Int(n)])) { view in
                        // The frame handed back by the consumer may be any size (an empty one at first).
                        work.reshape(width: view.geometry.width, height: view.geometry.height)
                        view.copyThermal(into: &work.pixels)
                        work.visibleJPEG.removeAll(keepingCapacity: true)
                        // Room for the largest JPEG the parser takes, once per buffer (the frames
                        // rotate between here, the exchange and the consumer): no growth per frame.
                        if work.visibleJPEG.capacity < view.jpeg.count { work.visibleJPEG.reserveCapacity(FlirOneReassembler.maxJPEGBytes) }
                        work.visibleJPEG.append(contentsOf: view.jpeg)
                        work.flags = view.shutter == .closedForCorrection ? [.shutter] : []
                        sequence += 1
                        work.sequence = sequence
                        work.timestampNs = DispatchTime.now().uptimeNanoseconds
                        exchange.hand(&work)
                        delivered = true
                    }
                }
                if delivered { lastFrameNs = DispatchTime.now().uptimeNanoseconds }
                let overruns = Int(overrunsBefore + co_overruns(camera))
                let bad = parser.cutShort + parser.badJPEG, skipped = parser.skippedBytes
                exchange.update { $0.badBuffers = bad; $0.skippedBytes = skipped; $0.overruns = overruns }
            }
            overrunsBefore += co_overruns(camera)
            co_close(camera)
            if wasLost, sleepUnlessStopped(backoff) { return }
        }
    }
}
