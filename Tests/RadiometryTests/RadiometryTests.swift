import Radiometry
import Testing

@Suite struct RadiometricModelTests {
    @Test func leptonTLinearUnits() {
        #expect(abs(RadiometricModel.leptonTLinearHigh.celsius(count: 30200) - 28.85) < 1e-9)
        #expect(abs(RadiometricModel.leptonTLinearLow.celsius(count: 3020) - 28.85) < 1e-9)
        #expect(abs(RadiometricModel.tlinear004.celsius(count: 7077) - 9.93) < 0.001)
    }

    @Test func infirayTC001Scale() {
        // refdata/thermal-camera-redux: centre raw 20032 → 39.8500 °C, max 20332 → 44.5375 °C.
        #expect(abs(RadiometricModel.infiray64.celsius(count: 20032) - 39.85) < 1e-9)
        #expect(abs(RadiometricModel.infiray64.celsius(count: 20332) - 44.5375) < 1e-9)
    }

    /// IR_2412.jpg (FLIR SC660) in refdata/SOURCES.md: single-path values FLIR Tools gives.
    static let sc660 = FLIRPlanck(r1: 21106.77, r2: 0.012545258, b: 1501, f: 1, o: -7340, emissivity: 0.95,
                                  distanceM: 1.0, reflectedC: 20, atmosphereC: 20, relativeHumidity: 0.5)

    @Test(arguments: [(18090.0, 23.725), (18087, 23.708), (18071, 23.616), (18065, 23.582), (17917, 22.729), (20218, 35.215)])
    func planckSinglePathMatchesFLIR(raw: Double, expected: Double) {
        #expect(abs(Self.sc660.celsius(count: raw) - expected) <= 0.0006)
    }

    @Test func planckInverseRoundTrips() {
        for t in stride(from: -10.0, through: 120, by: 7.5) {
            #expect(abs(Self.sc660.celsius(count: Self.sc660.count(celsius: t)) - t) < 1e-9)
        }
    }

    @Test func modelsEncodeWithKindAndUnits() throws {
        let json = try JSONEncoder().encode(RadiometricModel.leptonTLinearHigh)
        let back = try JSONDecoder().decode(RadiometricModel.self, from: json)
        #expect(back == .leptonTLinearHigh)
        #expect(String(decoding: json, as: UTF8.self).contains("\"kelvin_per_count\":0.01"))
        let p = RadiometricModel.planck(Self.sc660)
        #expect(try JSONDecoder().decode(RadiometricModel.self, from: JSONEncoder().encode(p)) == p)
    }
}

@Suite struct CountTableTests {
    @Test func tableMatchesModelAndThresholdsInCounts() {
        let table = CountTable(model: .leptonTLinearHigh)
        #expect(abs(Double(table[30200]) - 28.85) < 1e-4)
        let c = table.firstCount(atLeast: 30.0)
        #expect(table[c] >= 30.0 && table[c - 1] < 30.0)
        #expect(table.firstCount(atLeast: 1000) == 65_535)
    }

    @Test func tableIsRebuiltOnlyWhenParametersChange() {
        let a = CountTable(model: .leptonTLinearHigh)
        let same = CountTable.reuse(a, model: .leptonTLinearHigh)
        #expect(same.celsius.withUnsafeBufferPointer { $0.baseAddress } == a.celsius.withUnsafeBufferPointer { $0.baseAddress })
        let other = CountTable.reuse(a, model: .leptonTLinearHigh, calibration: LinearCalibration(gain: 1, offsetC: 0.5))
        #expect(abs(Double(other[30200]) - 29.35) < 1e-4)
    }

    @Test func convertUsesTheTable() {
        let table = CountTable(model: .infiray64)
        let counts: [UInt16] = [18508, 20032, 20332]
        var out = [Float](repeating: 0, count: 3)
        counts.withUnsafeBufferPointer { c in out.withUnsafeMutableBufferPointer { table.convert(c, into: $0) } }
        #expect(out.map { ($0 * 10_000).rounded() / 10_000 } == [16.0375, 39.85, 44.5375])
    }
}

@Suite struct DriftCorrectorTests {
    @Test func aConstantOffsetIsTakenAsItIs() {
        var d = DriftCorrector(setTemperatureC: 35, timeConstantS: 2)
        for i in 0..<50 { d.update(measuredC: 34.2, timeS: Double(i) / 9) }
        #expect(abs(d.offsetK! - 0.8) < 1e-9)
    }

    @Test func aSteadyDriftIsFollowedWithoutLag() {
        // The camera reads 0.05 K/s higher over time: 1 K in 20 s.
        var d = DriftCorrector(setTemperatureC: 35, timeConstantS: 2)
        for i in 0...(20 * 9) {
            let t = Double(i) / 9
            d.update(measuredC: 35 + 0.05 * t, timeS: t)
        }
        #expect(abs(d.offsetK! - (-1.0)) < 0.01, "offset \(d.offsetK!) after 20 s")
        #expect(abs(d.trendKPerS - (-0.05)) < 0.002)
        #expect(abs(d.predicted(at: 21)! - (-1.05)) < 0.01)
    }

    @Test func noiseIsSmoothed() {
        var d = DriftCorrector(setTemperatureC: 35, timeConstantS: 2)
        var state: UInt64 = 1
        var worst = 0.0
        for i in 0..<900 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.2     // ±0.1 K
            d.update(measuredC: 35 + noise, timeS: Double(i) / 9)
            if i > 90 { worst = max(worst, abs(d.offsetK!)) }
        }
        #expect(worst < 0.05)
    }
}

import Foundation
