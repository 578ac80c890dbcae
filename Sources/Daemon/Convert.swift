import CCapture
import Capture
import Foundation
import Radiometry

/// `canthus convert`: one frame of any readable file to per-pixel °C (CSV) and a false-colour
/// picture with a temperature scale (PNG).
public struct ThermalConversion {
    public var width: Int
    public var height: Int
    /// Row-major °C, computed from the model in double precision (one evaluation per distinct count).
    public var celsius: [Double]
    public var model: RadiometricModel

    /// Object parameters to override the file's (Planck models only).
    public struct Overrides: Sendable, Equatable {
        public var emissivity: Double?
        public var distanceM: Double?
        public var reflectedC: Double?
        public var atmosphereC: Double?
        /// A fraction: 0.5 for 50 %.
        public var relativeHumidity: Double?

        public init(emissivity: Double? = nil, distanceM: Double? = nil, reflectedC: Double? = nil,
                    atmosphereC: Double? = nil, relativeHumidity: Double? = nil) {
            self.emissivity = emissivity
            self.distanceM = distanceM
            self.reflectedC = reflectedC
            self.atmosphereC = atmosphereC
            self.relativeHumidity = relativeHumidity
        }

        var isEmpty: Bool { self == Overrides() }

        func apply(to model: RadiometricModel) throws -> RadiometricModel {
            if let e = emissivity, !(e > 0 && e <= 1) { throw ConvertError("--emissivity \(e) is outside (0, 1]") }
            if let d = distanceM, d < 0 { throw ConvertError("--distance \(d) m is negative") }
            if let rh = relativeHumidity, !(0...1).contains(rh) {
                throw ConvertError("--humidity \(rh) is not a fraction in 0…1 (write 0.5 for 50 %)")
            }
            guard case .planck(var p) = model else {
                if isEmpty { return model }
                throw ConvertError("object parameters apply to FLIR Planck models; this file's model is linear (kelvin per count)")
            }
            p.emissivity = emissivity ?? p.emissivity
            p.distanceM = distanceM ?? p.distanceM
            p.reflectedC = reflectedC ?? p.reflectedC
            p.atmosphereC = atmosphereC ?? p.atmosphereC
            p.relativeHumidity = relativeHumidity ?? p.relativeHumidity
            return .planck(p)
        }
    }

    public init(path: String, frame number: Int = 0, overrides: Overrides = Overrides(), options: ImportOptions = ImportOptions()) throws {
        let source = try openSource(path: path, options: options)
        var frame = Frame.empty
        var index = 0
        while try source.next(into: &frame) {
            if index == number { break }
            index += 1
        }
        guard index == number, frame.width > 0 else { throw ConvertError("\(path): has no frame \(number)") }
        let model = try overrides.apply(to: source.header.radiometry)
        self.model = model
        width = frame.width
        height = frame.height
        var cache = [Double](repeating: .nan, count: 65_536)
        celsius = frame.pixels.map { c in
            if cache[Int(c)].isNaN { cache[Int(c)] = model.celsius(count: Double(c)) }
            return cache[Int(c)]
        }
    }

    /// CSV: one line per image row, comma-separated, three decimals.
    public func csv() -> String {
        var out = ""
        out.reserveCapacity(width * height * 8)
        for y in 0..<height {
            for x in 0..<width {
                if x > 0 { out += "," }
                let v = celsius[y * width + x]
                let s = String(format: "%.3f", v)
                out += s == "-0.000" ? "0.000" : s
            }
            out += "\n"
        }
        return out
    }

    /// A false-colour PNG of the image (scaled `scale`×) with a colour bar and its °C labels.
    public func writePNG(path: String, scale: Int = 2) throws {
        let finite = celsius.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { throw ConvertError("no finite temperature to draw") }
        let imgW = width * scale, imgH = height * scale
        let barW = 12, labelW = 7 * 6 + 4, margin = 8
        let W = imgW + margin + barW + 4 + labelW, H = max(imgH, 9 * 8)
        var rgb = [UInt8](repeating: 24, count: W * H * 3)
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < W, y < H else { return }
            let i = (y * W + x) * 3
            rgb[i] = c.0; rgb[i + 1] = c.1; rgb[i + 2] = c.2
        }
        for y in 0..<imgH { for x in 0..<imgW {
            put(x, y, FalseColour.rgb(celsius[(y / scale) * width + x / scale], lo: lo, hi: hi))
        } }
        let barX = imgW + margin
        for y in 0..<imgH {
            let t = hi - (hi - lo) * Double(y) / Double(max(1, imgH - 1))
            for x in 0..<barW { put(barX + x, y, FalseColour.rgb(t, lo: lo, hi: hi)) }
        }
        // Labels: top (max), middle, bottom (min).
        for (y, t) in [(0, hi), (imgH / 2 - 3, (hi + lo) / 2), (imgH - 7, lo)] {
            TinyFont.draw(String(format: "%.1fC", t), x: barX + barW + 4, y: max(0, y), put: put)
        }
        let rc = cc_png_write_rgb(path, rgb, Int32(W), Int32(H))
        if rc != 0 {
            throw ConvertError("\(path): cannot write PNG: \(rc < 0 && rc > -1000 ? errnoDescription(-rc) : String(cString: cc_image_last_error()))")
        }
    }
}

public struct ConvertError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

/// A 5×7 pixel font for the digits, '.', '-' and 'C' of scale labels.
enum TinyFont {
    static let glyphs: [Character: [UInt8]] = [
        "0": [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E], "1": [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        "2": [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F], "3": [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        "4": [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02], "5": [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        "6": [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E], "7": [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        "8": [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E], "9": [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        ".": [0, 0, 0, 0, 0, 0x0C, 0x0C], "-": [0, 0, 0, 0x1F, 0, 0, 0],
        "C": [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
    ]

    static func draw(_ text: String, x: Int, y: Int, put: (Int, Int, (UInt8, UInt8, UInt8)) -> Void) {
        for (k, ch) in text.enumerated() {
            guard let rows = glyphs[ch] else { continue }
            for (r, bits) in rows.enumerated() {
                for c in 0..<5 where bits & (0x10 >> UInt8(c)) != 0 { put(x + 6 * k + c, y + r, (235, 235, 235)) }
            }
        }
    }
}
