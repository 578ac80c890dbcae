/// One blackbody set-point as the camera saw it.
public struct SetpointReading: Codable, Equatable, Sendable {
    /// The blackbody's set temperature, °C.
    public var setC: Double
    /// The camera's reading of it (mean over the captured frames, before calibration), °C.
    public var readingC: Double
    /// Frame-to-frame standard deviation of the reading, K.
    public var stddevK: Double
    public var frames: Int

    public init(setC: Double, readingC: Double, stddevK: Double, frames: Int) {
        self.setC = setC
        self.readingC = readingC
        self.stddevK = stddevK
        self.frames = frames
    }

    enum CodingKeys: String, CodingKey {
        case setC = "set_c", readingC = "reading_c", stddevK = "stddev_k", frames
    }
}

/// Fits a calibration to set-point readings: one set-point gives an offset (gain 1), several a
/// least-squares gain and offset, `set = gain · reading + offset`.
public enum CalibrationFit {
    public static func fit(_ readings: [SetpointReading]) -> LinearCalibration {
        precondition(!readings.isEmpty, "CalibrationFit.fit needs at least one set-point")
        if readings.count == 1 || Set(readings.map(\.readingC)).count == 1 {
            let mean = readings.map { $0.setC - $0.readingC }.reduce(0, +) / Double(readings.count)
            return LinearCalibration(gain: 1, offsetC: mean)
        }
        let n = Double(readings.count)
        let mx = readings.map(\.readingC).reduce(0, +) / n, my = readings.map(\.setC).reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for r in readings {
            sxy += (r.readingC - mx) * (r.setC - my)
            sxx += (r.readingC - mx) * (r.readingC - mx)
        }
        let gain = sxy / sxx
        return LinearCalibration(gain: gain, offsetC: my - gain * mx)
    }

    /// `set − calibrated reading` at each set-point, K.
    public static func residuals(_ readings: [SetpointReading], _ calibration: LinearCalibration) -> [Double] {
        readings.map { $0.setC - calibration.apply($0.readingC) }
    }
}
