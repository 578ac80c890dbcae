import Foundation

/// How a camera's 16-bit counts relate to temperature. Every model carries its units in its
/// field names; nothing downstream divides by a magic number.
public enum RadiometricModel: Codable, Equatable, Sendable {
    /// Counts proportional to kelvin: `T[K] = count × kelvinPerCount + offsetKelvin`.
    /// Lepton TLinear (0.01 K or 0.1 K per count), Tau2/Boson high-res TIFF (0.04 K),
    /// InfiRay P2 Pro / Topdon TC001 (1/64 K).
    case linear(LinearKelvin)
    /// FLIR's Planck single-path model with atmosphere (see `FLIRPlanck`).
    case planck(FLIRPlanck)

    /// Temperature in °C of a count. Monotonic increasing over the model's useful range.
    public func celsius(count: Double) -> Double {
        switch self {
        case .linear(let m): return m.celsius(count: count)
        case .planck(let m): return m.celsius(count: count)
        }
    }

    /// The (fractional) count that reads as `celsius`; the inverse of `celsius(count:)`.
    public func count(celsius: Double) -> Double {
        switch self {
        case .linear(let m): return m.count(celsius: celsius)
        case .planck(let m): return m.count(celsius: celsius)
        }
    }

    /// Lepton 3.5 TLinear, high resolution: 0.01 K per count.
    public static let leptonTLinearHigh = RadiometricModel.linear(LinearKelvin(kelvinPerCount: 0.01))
    /// Lepton TLinear, low resolution: 0.1 K per count.
    public static let leptonTLinearLow = RadiometricModel.linear(LinearKelvin(kelvinPerCount: 0.1))
    /// Tau2 / Boson / Duo Pro R radiometric TIFF: 0.04 K per count.
    public static let tlinear004 = RadiometricModel.linear(LinearKelvin(kelvinPerCount: 0.04))
    /// InfiRay P2 Pro / Topdon TC001 raw half-frame: 1/64 K per count.
    public static let infiray64 = RadiometricModel.linear(LinearKelvin(kelvinPerCount: 1.0 / 64.0))
}

/// `T[K] = count × kelvinPerCount + offsetKelvin`.
public struct LinearKelvin: Codable, Equatable, Sendable {
    public static let zeroCelsiusInKelvin = 273.15
    public var kelvinPerCount: Double
    public var offsetKelvin: Double

    public init(kelvinPerCount: Double, offsetKelvin: Double = 0) {
        self.kelvinPerCount = kelvinPerCount
        self.offsetKelvin = offsetKelvin
    }

    enum CodingKeys: String, CodingKey {
        case kelvinPerCount = "kelvin_per_count"
        case offsetKelvin = "offset_kelvin"
    }

    public func celsius(count: Double) -> Double {
        count * kelvinPerCount + offsetKelvin - Self.zeroCelsiusInKelvin
    }

    public func count(celsius: Double) -> Double {
        (celsius + Self.zeroCelsiusInKelvin - offsetKelvin) / kelvinPerCount
    }
}

/// FLIR's Planck model, single path through the atmosphere (the formula FLIR Tools uses):
///
///     raw(T)  = R1 / (R2 · (exp(B / (T + 273.15)) − F)) − O
///     T(raw)  = B / ln(R1 / (R2 · (raw + O)) + F) − 273.15
///     H2O     = RH · exp(1.5587 + 0.06939·Ta − 0.00027816·Ta² + 0.00000068455·Ta³)   (RH a fraction)
///     τ       = ATX·exp(−√d·(ATA1 + ATB1·√H2O)) + (1−ATX)·exp(−√d·(ATA2 + ATB2·√H2O))
///     S_obj   = (S − (1−τ)·raw(Ta) − (1−E)·τ·raw(Tr)) / (E·τ),   T_obj = T(S_obj)
public struct FLIRPlanck: Codable, Equatable, Sendable {
    public var r1: Double
    public var r2: Double
    public var b: Double
    public var f: Double
    public var o: Double
    /// Object emissivity, 0…1.
    public var emissivity: Double
    /// Object distance in metres.
    public var distanceM: Double
    /// Reflected apparent temperature in °C.
    public var reflectedC: Double
    /// Atmospheric temperature in °C.
    public var atmosphereC: Double
    /// Relative humidity as a fraction (0.5 for 50 %).
    public var relativeHumidity: Double
    public var ata1: Double = 0.006569
    public var ata2: Double = 0.012620
    public var atb1: Double = -0.002276
    public var atb2: Double = -0.006670
    public var atx: Double = 1.9

    enum CodingKeys: String, CodingKey {
        case r1 = "planck_r1", r2 = "planck_r2", b = "planck_b", f = "planck_f", o = "planck_o"
        case emissivity, distanceM = "distance_m", reflectedC = "reflected_c", atmosphereC = "atmosphere_c"
        case relativeHumidity = "relative_humidity_fraction"
        case ata1, ata2, atb1, atb2, atx
    }

    public init(r1: Double, r2: Double, b: Double, f: Double, o: Double, emissivity: Double,
                distanceM: Double, reflectedC: Double, atmosphereC: Double, relativeHumidity: Double) {
        self.r1 = r1; self.r2 = r2; self.b = b; self.f = f; self.o = o
        self.emissivity = emissivity; self.distanceM = distanceM
        self.reflectedC = reflectedC; self.atmosphereC = atmosphereC
        self.relativeHumidity = relativeHumidity
    }

    /// Raw signal of a blackbody at `celsius` seen directly (no atmosphere, E = 1).
    public func rawBlackbody(celsius: Double) -> Double {
        r1 / (r2 * (exp(b / (celsius + LinearKelvin.zeroCelsiusInKelvin)) - f)) - o
    }

    /// Temperature in °C of a blackbody giving `raw` directly.
    public func celsiusBlackbody(raw: Double) -> Double {
        b / log(r1 / (r2 * (raw + o)) + f) - LinearKelvin.zeroCelsiusInKelvin
    }

    /// Atmospheric transmission over the object distance.
    public var transmission: Double {
        let ta = atmosphereC
        let h2o = relativeHumidity * exp(1.5587 + 0.06939 * ta - 0.00027816 * ta * ta + 0.00000068455 * ta * ta * ta)
        let sd = distanceM.squareRoot(), sh = h2o.squareRoot()
        return atx * exp(-sd * (ata1 + atb1 * sh)) + (1 - atx) * exp(-sd * (ata2 + atb2 * sh))
    }

    public func celsius(count: Double) -> Double {
        let tau = transmission
        let objectSignal = (count - (1 - tau) * rawBlackbody(celsius: atmosphereC)
            - (1 - emissivity) * tau * rawBlackbody(celsius: reflectedC)) / (emissivity * tau)
        return celsiusBlackbody(raw: objectSignal)
    }

    public func count(celsius: Double) -> Double {
        let tau = transmission
        return emissivity * tau * rawBlackbody(celsius: celsius) + (1 - tau) * rawBlackbody(celsius: atmosphereC)
            + (1 - emissivity) * tau * rawBlackbody(celsius: reflectedC)
    }
}

extension RadiometricModel {
    // Encoded flat with a "kind" discriminator: {"kind": "linear", "kelvin_per_count": 0.01, …}.
    enum Kind: String, Codable { case linear, planck }
    enum KindKey: String, CodingKey { case kind }

    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: KindKey.self).decode(Kind.self, forKey: .kind)
        switch kind {
        case .linear: self = .linear(try LinearKelvin(from: decoder))
        case .planck: self = .planck(try FLIRPlanck(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: KindKey.self)
        switch self {
        case .linear(let m): try c.encode(Kind.linear, forKey: .kind); try m.encode(to: encoder)
        case .planck(let m): try c.encode(Kind.planck, forKey: .kind); try m.encode(to: encoder)
        }
    }
}
