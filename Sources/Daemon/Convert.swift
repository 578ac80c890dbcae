import CCapture
import Capture
import Foundation
import Picture
import Radiometry

/// `canthus convert`: one frame of any readable file to per-pixel °C (CSV) and a false-colour
/// picture with a temperature scale (PNG), upright as screening sees it.
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
        // Upright, as screening sees it (the file's rotation, the preset's or `--rotate`).
        var upright = Frame.empty
        source.header.camera.rotationDeg.apply(frame, into: &upright)
        frame = upright
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

    /// A false-colour PNG of the image (scaled `scale`×) with its temperature scale, and `marks`.
    public func writePNG(path: String, scale: Int = 2, marks: [Mark] = []) throws {
        guard celsius.contains(where: \.isFinite) else { throw ConvertError("\(path): no finite temperature to draw") }
        let picture = Annotated.render(celsius: celsius.map(Float.init), width: width, height: height, marks: marks, scale: scale)
        do { try picture.writePNG(path: path) } catch { throw ConvertError("\(error)") }
    }
}

public struct ConvertError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
