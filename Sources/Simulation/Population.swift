/// Canthus and oral temperatures of simulated people, from the PhysioNet FDA/UMD face/oral
/// table (1003 subjects with both `canthiMax1` and `aveOralM`). Only summary statistics are
/// embedded; `tools/fit_population.py` computes them from the data, and a test checks them
/// against the data whenever it is present.
///
/// A person is drawn from the febrile group (oral ≥ 37.5 °C, 106 subjects) or the normal group
/// (897): the canthus by inverse-CDF sampling of the group's 21 quantiles (0 %, 5 %, … 100 %),
/// then the paired oral temperature from the group's regression on the canthus plus its residual
/// scatter, kept inside the group's oral range.
public struct Population: Sendable {
    public struct Group: Sendable {
        public let quantiles: [Double]
        public let intercept: Double
        public let slope: Double
        public let residualSD: Double
    }

    public static let normal = Group(
        quantiles: [33.850, 34.908, 35.080, 35.180, 35.250, 35.340, 35.390, 35.450, 35.500, 35.540, 35.610,
                    35.660, 35.710, 35.760, 35.820, 35.880, 35.950, 36.030, 36.100, 36.200, 36.810],
        intercept: 25.2949, slope: 0.3259, residualSD: 0.2420)

    public static let febrile = Group(
        quantiles: [35.500, 35.832, 36.090, 36.175, 36.290, 36.360, 36.385, 36.465, 36.520, 36.578, 36.660,
                    36.765, 36.880, 36.955, 37.065, 37.185, 37.240, 37.355, 37.450, 37.817, 38.520],
        intercept: 10.4181, slope: 0.7545, residualSD: 0.3694)

    /// Mean oral − canthus difference over all subjects (K).
    public static let meanOralMinusCanthus = 1.3096
    public static let feverOralC = 37.5

    /// Draws (canthus °C, oral °C).
    public static func draw(febrile: Bool, rng: inout SplitMix64) -> (canthusC: Double, oralC: Double) {
        let g = febrile ? Self.febrile : Self.normal
        let u = rng.uniform() * Double(g.quantiles.count - 1)
        let i = min(Int(u), g.quantiles.count - 2)
        let canthus = g.quantiles[i] + (g.quantiles[i + 1] - g.quantiles[i]) * (u - Double(i))
        var oral = g.intercept + g.slope * canthus + g.residualSD * rng.gaussian()
        oral = febrile ? max(oral, feverOralC) : min(oral, feverOralC - 0.01)
        return (canthus, oral)
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): small, fast, and the same sequence everywhere.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// Standard normal (Box–Muller, one value per call).
    public mutating func gaussian() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// An independent stream for a sub-part of the simulation.
    public mutating func split() -> SplitMix64 { SplitMix64(seed: next()) }
}

import Foundation
