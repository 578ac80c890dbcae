import Foundation

/// Drift correction against an in-scene blackbody: each frame the difference between the
/// reference's set temperature and its measured temperature is smoothed (exponential moving
/// average with time constant `timeConstantS`) and added to every reading of the scene.
public struct DriftCorrector: Sendable, Equatable {
    public var setTemperatureC: Double
    public var timeConstantS: Double
    /// The smoothed correction in kelvin (add to scene readings); nil until the first sample.
    public private(set) var offsetK: Double?
    private var lastTimeS: Double?

    public init(setTemperatureC: Double, timeConstantS: Double = 2.0) {
        self.setTemperatureC = setTemperatureC
        self.timeConstantS = timeConstantS
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
        let alpha = timeConstantS > 0 ? 1 - exp(-dt / timeConstantS) : 1
        offsetK = previous + alpha * (sample - previous)
        lastTimeS = timeS
    }

    /// Forgets the estimate (the reference moved, or the camera was replaced).
    public mutating func reset() {
        offsetK = nil
        lastTimeS = nil
    }
}

