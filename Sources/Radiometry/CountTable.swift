/// A 65,536-entry table from camera count to °C, built once from a model (and a calibration)
/// and reused for every frame until either changes.
///
/// Counts whose temperature the model cannot give (below absolute zero, a Planck logarithm of a
/// non-positive number) read as `-.infinity`, so thresholds and maxima ignore them.
public struct CountTable: Sendable {
    public let model: RadiometricModel
    public let calibration: LinearCalibration
    /// °C per count, indexed by the count.
    public let celsius: [Float]

    public init(model: RadiometricModel, calibration: LinearCalibration = .identity) {
        self.model = model
        self.calibration = calibration
        var table = [Float](repeating: -.infinity, count: 65_536)
        for count in 0..<65_536 {
            let t = calibration.apply(model.celsius(count: Double(count)))
            if t.isFinite && t > -273.15 { table[count] = Float(t) }
        }
        self.celsius = table
    }

    /// A table for `model`/`calibration`, reusing `existing` when neither has changed.
    public static func reuse(_ existing: CountTable?, model: RadiometricModel,
                             calibration: LinearCalibration = .identity) -> CountTable {
        if let existing, existing.model == model, existing.calibration == calibration { return existing }
        return CountTable(model: model, calibration: calibration)
    }

    @inline(__always)
    public subscript(count: UInt16) -> Float { celsius[Int(count)] }

    /// The smallest count whose temperature is at least `celsius` (65,535 when none is), for
    /// thresholding raw frames: the table is monotonic, so `count ≥ c` ⇔ `T ≥ celsius`.
    public func firstCount(atLeast celsius: Double) -> UInt16 {
        let target = Float(celsius)
        var lo = 0, hi = 65_535
        if self.celsius[hi] < target { return 65_535 }
        while lo < hi {
            let mid = (lo + hi) / 2
            if self.celsius[mid] >= target { hi = mid } else { lo = mid + 1 }
        }
        return UInt16(lo)
    }

    /// Converts counts to °C into `out` (same length). The loop is kept plain so the optimizer
    /// vectorizes it; see Benchmarks/.
    public func convert(_ counts: UnsafeBufferPointer<UInt16>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= counts.count, "CountTable.convert: output buffer smaller than input")
        celsius.withUnsafeBufferPointer { table in
            // SAFETY: every UInt16 indexes inside the 65,536-entry table.
            for i in 0..<counts.count { out[i] = table[Int(counts[i])] }
        }
    }
}

/// A technician's calibration applied after the camera model: `T' = gain·T + offsetC`.
public struct LinearCalibration: Codable, Equatable, Sendable {
    public var gain: Double
    public var offsetC: Double

    public static let identity = LinearCalibration(gain: 1, offsetC: 0)

    public init(gain: Double, offsetC: Double) {
        self.gain = gain
        self.offsetC = offsetC
    }

    enum CodingKeys: String, CodingKey {
        case gain
        case offsetC = "offset_c"
    }

    @inline(__always)
    public func apply(_ celsius: Double) -> Double { gain * celsius + offsetC }
}
