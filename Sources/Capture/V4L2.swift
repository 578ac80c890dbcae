import CCapture
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// V4L2 pixel formats canthus reads, by fourcc.
public enum PixelFormat: String, Sendable, CaseIterable, Codable {
    case y16 = "Y16", grey = "GREY", yuyv = "YUYV", mjpeg = "MJPG", rgb24 = "RGB3"

    public var fourcc: UInt32 {
        let chars: [UInt8] = switch self {
        case .y16: Array("Y16 ".utf8)
        case .grey: Array("GREY".utf8)
        case .yuyv: Array("YUYV".utf8)
        case .mjpeg: Array("MJPG".utf8)
        case .rgb24: Array("RGB3".utf8)
        }
        return UInt32(chars[0]) | UInt32(chars[1]) << 8 | UInt32(chars[2]) << 16 | UInt32(chars[3]) << 24
    }

    public static func fourccString(_ v: UInt32) -> String {
        String(decoding: [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)], as: UTF8.self)
    }
}

/// A V4L2 error: the call, the device and the errno.
public struct V4L2Error: Error, CustomStringConvertible, Equatable {
    public var device: String
    public var call: String
    public var code: Int32
    public var description: String { "capture \(device): \(call): \(errnoName(code)) (\(errnoDescription(code)))" }

    /// The recovery it calls for.
    public enum Kind: Equatable { case deviceGone, streamingError, formatRejected, other }
    public var kind: Kind {
        switch code {
        case ENODEV, ENOENT, ENXIO: return .deviceGone
        case EIO, EPIPE: return .streamingError
        case EINVAL: return call == "S_FMT" ? .formatRejected : .other
        default: return .other
        }
    }
}

func errnoName(_ code: Int32) -> String {
    switch code {
    case ENODEV: return "ENODEV"
    case ENOENT: return "ENOENT"
    case EIO: return "EIO"
    case EINVAL: return "EINVAL"
    case EBUSY: return "EBUSY"
    case EAGAIN: return "EAGAIN"
    case EACCES: return "EACCES"
    case ENOTTY: return "ENOTTY"
    case ENXIO: return "ENXIO"
    case ENOMEM: return "ENOMEM"
    default: return "errno \(code)"
    }
}

/// What `canthus devices` shows about one V4L2 node.
public struct V4L2DeviceInfo: Codable, Equatable, Sendable {
    public struct Format: Codable, Equatable, Sendable {
        public var fourcc: String
        public var description: String
        public var sizes: [String]
        /// Frame rates per size, frames per second (discrete intervals; stepwise gives the fastest).
        public var fps: [String: [Double]]
    }
    public var path: String
    public var driver: String
    public var card: String
    public var bus: String
    public var usbVendor: String?
    public var usbProduct: String?
    public var usbSerial: String?
    /// Stable names udev gives it (/dev/v4l/by-id, by-path).
    public var stableNames: [String]
    public var formats: [Format]
    /// What canthus would use it for: "ir", "visible" or "none".
    public var role: String
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case path, driver, card, bus, formats, role, reason
        case usbVendor = "usb_vendor", usbProduct = "usb_product", usbSerial = "usb_serial", stableNames = "stable_names"
    }

    public init(path: String, driver: String, card: String, bus: String, usbVendor: String?, usbProduct: String?, usbSerial: String?,
                stableNames: [String], formats: [Format], role: String, reason: String) {
        self.path = path; self.driver = driver; self.card = card; self.bus = bus
        self.usbVendor = usbVendor; self.usbProduct = usbProduct; self.usbSerial = usbSerial
        self.stableNames = stableNames; self.formats = formats; self.role = role; self.reason = reason
    }
}

public enum V4L2 {
    /// Every /dev/video* capture node, in name order.
    public static func devices() -> [V4L2DeviceInfo] {
        let nodes = ((try? FileManager.default.contentsOfDirectory(atPath: "/dev")) ?? [])
            .filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
        return nodes.compactMap { describe(path: "/dev/" + $0) }
    }

    static func links(in dir: String, to path: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return entries.sorted().compactMap { name in
            let link = dir + "/" + name
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else { return nil }
            let resolved = URL(fileURLWithPath: target, relativeTo: URL(fileURLWithPath: dir + "/")).standardizedFileURL.path
            return resolved == path ? link : nil
        }
    }

    public static func describe(path: String) -> V4L2DeviceInfo? {
        let fd = cc_v4l2_open(path)
        guard fd >= 0 else { return nil }
        defer { _ = cc_v4l2_close(fd) }
        var caps = cc_v4l2_caps()
        guard cc_v4l2_querycap(fd, &caps) == 0, caps.is_capture != 0 else { return nil }
        func str<T>(_ tuple: T) -> String {
            withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        var formats: [V4L2DeviceInfo.Format] = []
        var index: UInt32 = 0
        var desc = cc_v4l2_format_desc()
        while cc_v4l2_enum_format(fd, index, &desc) == 0 {
            var sizes: [String] = []
            var rates: [String: [Double]] = [:]
            var si: UInt32 = 0
            var w: UInt32 = 0, h: UInt32 = 0
            while cc_v4l2_enum_size(fd, desc.fourcc, si, &w, &h) == 0, si < 64 {
                let key = "\(w)x\(h)"
                sizes.append(key)
                var ii: UInt32 = 0, num: UInt32 = 0, den: UInt32 = 0
                while cc_v4l2_enum_interval(fd, desc.fourcc, w, h, ii, &num, &den) == 0, ii < 32 {
                    if num > 0 { rates[key, default: []].append((Double(den) / Double(num) * 100).rounded() / 100) }
                    ii += 1
                }
                si += 1
            }
            formats.append(.init(fourcc: PixelFormat.fourccString(desc.fourcc), description: str(desc.description), sizes: sizes, fps: rates))
            index += 1
        }
        let sys = "/sys/class/video4linux/\((path as NSString).lastPathComponent)/device"
        func usb(_ attr: String) -> String? {
            // The interface's parent is the USB device.
            for dir in [sys + "/..", sys] {
                if let v = try? String(contentsOfFile: dir + "/" + attr, encoding: .utf8) { return v.trimmingCharacters(in: .whitespacesAndNewlines) }
            }
            return nil
        }
        let card = str(caps.card)
        let (role, reason) = Self.role(card: card, formats: formats)
        return V4L2DeviceInfo(path: path, driver: str(caps.driver), card: card, bus: str(caps.bus_info),
                              usbVendor: usb("idVendor"), usbProduct: usb("idProduct"), usbSerial: usb("serial"),
                              stableNames: links(in: "/dev/v4l/by-id", to: path) + links(in: "/dev/v4l/by-path", to: path),
                              formats: formats, role: role, reason: reason)
    }

    static func role(card: String, formats: [V4L2DeviceInfo.Format]) -> (String, String) {
        let names = Set(formats.map(\.fourcc))
        let thermalCard = ["purethermal", "lepton", "flir", "boson", "infiray", "p2 pro", "tc001", "thermal"]
            .contains { card.lowercased().contains($0) }
        if names.contains("Y16 ") || names.contains("Y16") {
            return ("ir", "offers Y16 (16-bit radiometric counts)")
        }
        if names.contains("YUYV"), formats.contains(where: { $0.fourcc == "YUYV" && $0.sizes.contains("256x384") }) {
            return ("ir", "YUYV 256×384: the InfiRay P2 Pro / Topdon TC001 layout with raw counts in the bottom half")
        }
        if thermalCard { return ("ir", "the card name says thermal camera") }
        if names.contains("MJPG") || names.contains("YUYV") { return ("visible", "offers MJPEG/YUYV colour images") }
        return ("none", "no format canthus reads")
    }
}
