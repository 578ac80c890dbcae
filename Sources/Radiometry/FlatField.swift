import Foundation

/// A per-pixel correction measured on a blackbody filling the view: `offsetsK[i]` is added to
/// pixel i's reading so that a uniform scene reads uniform (the camera's residual
/// non-uniformity). Sensor orientation (before rotation), row-major.
public struct FlatField: Codable, Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var offsetsK: [Float]

    public init(width: Int, height: Int, offsetsK: [Float]) {
        precondition(offsetsK.count == width * height, "FlatField: \(offsetsK.count) offsets for \(width)×\(height)")
        self.width = width
        self.height = height
        self.offsetsK = offsetsK
    }

    /// From per-pixel mean readings (°C) of a uniform blackbody: each pixel's difference to the
    /// mean of all of them.
    public init(width: Int, height: Int, meanReadingsC: [Double]) {
        let mean = meanReadingsC.reduce(0, +) / Double(meanReadingsC.count)
        self.init(width: width, height: height, offsetsK: meanReadingsC.map { Float(mean - $0) })
    }

    /// Standard deviation of the offsets (K): the non-uniformity it removes.
    public var spreadK: Double {
        let n = Double(offsetsK.count)
        let mean = offsetsK.reduce(0) { $0 + Double($1) } / n
        return (offsetsK.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
    }

    /// The offsets in camera counts for `model`, using its sensitivity (counts per kelvin) at skin
    /// temperature, 34 °C — where screening needs the correction to hold.
    public func countOffsets(model: RadiometricModel) -> [Int16] {
        let countsPerK = model.count(celsius: 34.5) - model.count(celsius: 33.5)
        return offsetsK.map { Int16(clamping: Int((Double($0) * countsPerK).rounded())) }
    }

    // Stored as little-endian float32, base64, to keep the calibration file one JSON document.
    enum CodingKeys: String, CodingKey { case width, height, offsetsK = "offsets_k_f32le_base64" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let w = try c.decode(Int.self, forKey: .width), h = try c.decode(Int.self, forKey: .height)
        guard w > 0, h > 0, let data = Data(base64Encoded: try c.decode(String.self, forKey: .offsetsK)), data.count == w * h * 4 else {
            throw DecodingError.dataCorruptedError(forKey: .offsetsK, in: c, debugDescription: "flat field is not width×height float32 values")
        }
        width = w
        height = h
        offsetsK = data.withUnsafeBytes { raw in (0..<(w * h)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        var data = Data(capacity: offsetsK.count * 4)
        for v in offsetsK { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        try c.encode(data.base64EncodedString(), forKey: .offsetsK)
    }
}
