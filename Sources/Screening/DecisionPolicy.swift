/// Turns a person's measured canthus into an estimated body temperature and a level.
/// The mapping is linear (canthus + offset); nothing pulls readings toward normal.
///
/// Absolute mode compares with fixed thresholds. Relative mode (like FLIR's EST screening)
/// compares with the trimmed mean of the last `relativeWindow` people (highest and lowest
/// dropped) plus `relativeDeviationC`; until that many people have been measured it uses the
/// absolute thresholds and says so (`mode: absolute`).
public struct DecisionPolicy: Sendable {
    public let config: DecisionConfig
    private var recent: [Double] = []

    public init(config: DecisionConfig) {
        self.config = config
        recent.reserveCapacity(config.relativeWindow + 1)
    }

    public mutating func decide(track: Int, canthusC: Double, raw: Int, frames: Int, reasons: [String]) -> Decision {
        let temperature = canthusC + config.skinToCoreOffsetC
        var mode = DecisionMode.absolute
        var alarm = config.alarmC, prealarm = config.prealarmC
        if config.mode == .relative, recent.count >= config.relativeWindow {
            let sorted = recent.sorted()
            let trimmed = sorted.dropFirst().dropLast()
            let baseline = trimmed.reduce(0, +) / Double(trimmed.count)
            mode = .relative
            alarm = baseline + config.relativeDeviationC
            prealarm = baseline + 0.7 * config.relativeDeviationC
        }
        let level: Level = temperature >= alarm ? .alarm : temperature >= prealarm ? .prealarm : .normal
        recent.append(temperature)
        if recent.count > config.relativeWindow { recent.removeFirst() }
        return Decision(track: track, canthusC: canthusC, temperatureC: temperature, raw: raw, level: level,
                        mode: mode, thresholdC: alarm, frames: frames, reasons: reasons)
    }
}
