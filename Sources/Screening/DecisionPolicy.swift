/// Turns a person's measured canthus into an estimated body temperature and a level.
/// The mapping is linear (canthus + offset, the offset set by the surroundings' temperature:
/// `DecisionConfig.skinToCoreOffset`); nothing pulls readings toward normal.
///
/// Absolute mode compares with fixed thresholds. Relative mode (like FLIR's EST screening)
/// compares with the trimmed mean of the last `relativeWindow` people (highest and lowest
/// dropped) plus `relativeDeviationC`; until that many people have been measured it uses the
/// absolute thresholds and says so (`mode: absolute`).
///
/// Levels have hysteresis: while a person is being measured their running estimate is judged
/// every good frame, and a level once reached is kept until the estimate falls `hysteresisC`
/// below its threshold, so an estimate hovering at a threshold is not decided by the noise of
/// the last frame before the decision.
public struct DecisionPolicy: Sendable {
    public private(set) var config: DecisionConfig
    private var recent: [Double] = []
    /// The relative baseline (trimmed mean of `recent`), once the window is full.
    private var baseline: Double?

    public init(config: DecisionConfig) {
        self.config = config
        recent.reserveCapacity(config.relativeWindow + 1)
    }

    /// The thresholds in force (°C, estimated body temperature) and the mode they come from.
    /// New thresholds, offset and mode (a reload); the relative baseline so far is kept.
    public mutating func reconfigure(_ c: DecisionConfig) {
        config = c
        if recent.count > c.relativeWindow { recent.removeFirst(recent.count - c.relativeWindow) }
    }

    public var thresholds: (alarm: Double, prealarm: Double, mode: DecisionMode) {
        guard config.mode == .relative, let baseline else { return (config.alarmC, config.prealarmC, .absolute) }
        return (baseline + config.relativeDeviationC, baseline + 0.7 * config.relativeDeviationC, .relative)
    }

    /// The level of an estimated body temperature, given the level the person had so far.
    public func level(temperatureC t: Double, previous: Level) -> Level {
        let (alarm, prealarm, _) = thresholds
        let h = config.hysteresisC
        if t >= alarm || (previous == .alarm && t >= alarm - h) { return .alarm }
        if t >= prealarm || (previous >= .prealarm && t >= prealarm - h) { return .prealarm }
        return .normal
    }

    /// The estimated body temperature of a canthus reading `canthusC` in surroundings at
    /// `ambientC` (nil: unknown).
    public func bodyTemperature(canthusC: Double, ambientC: Double?) -> Double {
        canthusC + config.skinToCoreOffset(ambientC: ambientC)
    }

    /// The decision for a person whose canthus reads `canthusC` (the median of their good
    /// frames) in surroundings at `ambientC`; `previous` is the level their running estimate
    /// held (hysteresis).
    public mutating func decide(track: Int, canthusC: Double, ambientC: Double? = nil, raw: Int, frames: Int, reasons: [String],
                                previous: Level = .normal) -> Decision {
        let temperature = bodyTemperature(canthusC: canthusC, ambientC: ambientC)
        let (alarm, _, mode) = thresholds
        let decision = Decision(track: track, canthusC: canthusC, temperatureC: temperature, raw: raw,
                                level: level(temperatureC: temperature, previous: previous),
                                mode: mode, thresholdC: alarm, frames: frames, reasons: reasons)
        recent.append(temperature)
        if recent.count > config.relativeWindow { recent.removeFirst() }
        if recent.count >= config.relativeWindow {
            let trimmed = recent.sorted().dropFirst().dropLast()
            baseline = trimmed.reduce(0, +) / Double(trimmed.count)
        }
        return decision
    }
}
