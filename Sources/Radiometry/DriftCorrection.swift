import Foundation

/// Drift correction against an in-scene blackbody. Each reading of the reference gives a sample
/// of the correction, `set temperature − measured`; the samples are smoothed by Holt's linear
/// (level + trend) exponential smoothing with time constant `timeConstantS`, so a camera that
/// drifts steadily is followed without the lag a plain moving average has (an average lags a
/// drift of r K/s by r·τ K). The trend is smoothed three times more slowly than the level.
public struct DriftCorrector: Sendable, Equatable {
    public var setTemperatureC: Double
    public var timeConstantS: Double
    /// The smoothed correction in kelvin (add to scene readings) at the last update; nil until
    /// the first sample.
    public private(set) var offsetK: Double?
    /// Its rate of change, K/s.
    public private(set) var trendKPerS = 0.0
    private var lastTimeS: Double?

    public init(setTemperatureC: Double, timeConstantS: Double = 2.0) {
        self.setTemperatureC = setTemperatureC
        self.timeConstantS = timeConstantS
    }

    /// The correction expected at `timeS` from the level and trend so far.
    public func predicted(at timeS: Double) -> Double? {
        guard let offsetK, let lastTimeS else { return nil }
        return offsetK + trendKPerS * max(0, timeS - lastTimeS)
    }

    /// Feeds one measurement of the reference at `timeS` seconds.
    public mutating func update(measuredC: Double, timeS: Double) {
        let sample = setTemperatureC - measuredC
        guard let previous = offsetK, let last = lastTimeS else {
            offsetK = sample
            lastTimeS = timeS
            return
        }
        let dt = max(0, timeS - last)
        guard dt > 0 else { return }
        let alpha = timeConstantS > 0 ? 1 - exp(-dt / timeConstantS) : 1
        let beta = timeConstantS > 0 ? 1 - exp(-dt / (3 * timeConstantS)) : 1
        let forecast = previous + trendKPerS * dt
        let level = forecast + alpha * (sample - forecast)
        trendKPerS += beta * ((level - previous) / dt - trendKPerS)
        offsetK = level
        lastTimeS = timeS
    }

    /// Forgets the estimate (the reference moved, or the camera was replaced).
    public mutating func reset() {
        offsetK = nil
        trendKPerS = 0
        lastTimeS = nil
    }
}
