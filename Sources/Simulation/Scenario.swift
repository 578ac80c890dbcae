import Capture
import Foundation
import Radiometry
import Screening
import Yams

/// A simulated camera: geometry, frame rate, radiometric model and noise.
public struct SimCamera: Sendable, Equatable {
    public var name: String
    public var width: Int
    public var height: Int
    public var fps: Double
    public var hfovDeg: Double
    public var model: RadiometricModel
    public var netdK: Double

    public static let lepton35 = SimCamera(name: "lepton3.5", width: 160, height: 120, fps: 9, hfovDeg: 57,
                                           model: .leptonTLinearHigh, netdK: 0.05)
    public static let tc001 = SimCamera(name: "tc001", width: 256, height: 192, fps: 25, hfovDeg: 56,
                                        model: .infiray64, netdK: 0.04)
    /// A 640×512 radiometric core with FLIR Planck constants (those of the SC660 in
    /// refdata/thermimage), face-screening object parameters: E 0.98, 1 m, 20 °C, RH 50 %.
    public static let core640 = SimCamera(
        name: "core640", width: 640, height: 512, fps: 30, hfovDeg: 50,
        model: .planck(FLIRPlanck(r1: 21106.77, r2: 0.012545258, b: 1501, f: 1, o: -7340, emissivity: 0.98,
                                  distanceM: 1.0, reflectedC: 20, atmosphereC: 20, relativeHumidity: 0.5)),
        netdK: 0.04)

    public static let all = [lepton35, tc001, core640]

    public static func named(_ name: String) throws -> SimCamera {
        switch name {
        case "lepton35", "lepton3.5", "lepton": return .lepton35
        case "tc001", "p2pro": return .tc001
        case "core640", "640": return .core640
        default: throw ConfigError(field: "camera", message: "unknown camera '\(name)' (known: lepton35, tc001, core640)")
        }
    }

    /// Metres of scene per pixel at `distanceM`.
    public func metresPerPixel(atDistance distanceM: Double) -> Double {
        2 * distanceM * tan(hfovDeg * .pi / 360) / Double(width)
    }
}

public struct Interval: Codable, Equatable, Sendable {
    public var fromS: Double
    public var toS: Double
    public init(fromS: Double, toS: Double) { self.fromS = fromS; self.toS = toS }
    enum CodingKeys: String, CodingKey { case fromS = "from_s", toS = "to_s" }
    public func contains(_ t: Double) -> Bool { t >= fromS && t < toS }
}

/// One person walking through the view.
public struct PersonSpec: Codable, Equatable, Sendable {
    public enum Direction: String, Codable, Sendable { case right, left }
    public var enterS = 0.0
    public var distanceM = 1.2
    public var speedMPS = 0.8
    public var direction = Direction.right
    /// Vertical position of the face centre as a fraction of the frame height.
    public var heightFraction = 0.4
    public var febrile = false
    /// Overrides the canthus temperature drawn from the population (°C).
    public var canthusC: Double?
    public var glasses = false
    public var mask = false
    public var hat = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enterS = "enter_s", distanceM = "distance_m", speedMPS = "speed_mps", direction
        case heightFraction = "height_fraction", febrile, canthusC = "canthus_c", glasses, mask, hat
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PersonSpec()
        enterS = try c.value(.enterS, default: d.enterS)
        distanceM = try c.value(.distanceM, default: d.distanceM)
        speedMPS = try c.value(.speedMPS, default: d.speedMPS)
        direction = try c.value(.direction, default: d.direction)
        heightFraction = try c.value(.heightFraction, default: d.heightFraction)
        febrile = try c.value(.febrile, default: d.febrile)
        canthusC = try c.decodeIfPresent(Double.self, forKey: .canthusC)
        glasses = try c.value(.glasses, default: d.glasses)
        mask = try c.value(.mask, default: d.mask)
        hat = try c.value(.hat, default: d.hat)
    }
}

/// A stream of random people: lanes at different heights, one entering every `everyS`.
public struct CrowdSpec: Codable, Equatable, Sendable {
    public var count = 10
    public var startS = 0.5
    public var everyS = 1.0
    public var distanceM: [Double] = [0.9, 1.5]
    public var speedMPS: [Double] = [0.4, 1.1]
    public var feverFraction = 0.15
    public var glassesFraction = 0.1
    public var maskFraction = 0.05
    public var hatFraction = 0.05
    /// Fraction walking left (the rest walk right).
    public var leftFraction = 0.5
    /// Face heights used, as fractions of the frame height, one lane per person in turn.
    public var lanes: [Double] = [0.3, 0.55]

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case count, startS = "start_s", everyS = "every_s", distanceM = "distance_m", speedMPS = "speed_mps"
        case feverFraction = "fever_fraction", glassesFraction = "glasses_fraction", maskFraction = "mask_fraction"
        case hatFraction = "hat_fraction", leftFraction = "left_fraction", lanes
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CrowdSpec()
        count = try c.value(.count, default: d.count)
        startS = try c.value(.startS, default: d.startS)
        everyS = try c.value(.everyS, default: d.everyS)
        distanceM = try c.value(.distanceM, default: d.distanceM)
        speedMPS = try c.value(.speedMPS, default: d.speedMPS)
        feverFraction = try c.value(.feverFraction, default: d.feverFraction)
        glassesFraction = try c.value(.glassesFraction, default: d.glassesFraction)
        maskFraction = try c.value(.maskFraction, default: d.maskFraction)
        hatFraction = try c.value(.hatFraction, default: d.hatFraction)
        leftFraction = try c.value(.leftFraction, default: d.leftFraction)
        lanes = try c.value(.lanes, default: d.lanes)
        guard distanceM.count == 2, speedMPS.count == 2, !lanes.isEmpty else {
            throw ConfigError(field: "crowd", message: "distance_m and speed_mps are [min, max]; lanes is not empty")
        }
    }
}

public struct SimReference: Codable, Equatable, Sendable {
    public var xPx: Double
    public var yPx: Double
    public var radiusPx = 5.0
    public var setTemperatureC = 35.0
    /// Times when something covers it.
    public var covered: [Interval] = []
    /// Whether the recording header declares its position (else the pipeline finds it).
    public var declarePosition = true

    enum CodingKeys: String, CodingKey, CaseIterable {
        case xPx = "x_px", yPx = "y_px", radiusPx = "radius_px", setTemperatureC = "set_temperature_c", covered
        case declarePosition = "declare_position"
    }

    public init(xPx: Double, yPx: Double, radiusPx: Double = 5, setTemperatureC: Double = 35) {
        self.xPx = xPx; self.yPx = yPx; self.radiusPx = radiusPx; self.setTemperatureC = setTemperatureC
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        xPx = try c.decode(Double.self, forKey: .xPx)
        yPx = try c.decode(Double.self, forKey: .yPx)
        radiusPx = try c.value(.radiusPx, default: 5.0)
        setTemperatureC = try c.value(.setTemperatureC, default: 35.0)
        covered = try c.value(.covered, default: [])
        declarePosition = try c.value(.declarePosition, default: true)
    }
}

public struct HotObject: Codable, Equatable, Sendable {
    public var xPx: Double, yPx: Double, widthPx: Double, heightPx: Double
    public var temperatureC = 60.0
    public var fromS = 0.0
    public var toS = Double.infinity

    enum CodingKeys: String, CodingKey, CaseIterable {
        case xPx = "x_px", yPx = "y_px", widthPx = "width_px", heightPx = "height_px"
        case temperatureC = "temperature_c", fromS = "from_s", toS = "to_s"
    }

    public init(xPx: Double, yPx: Double, widthPx: Double, heightPx: Double, temperatureC: Double = 60) {
        self.xPx = xPx; self.yPx = yPx; self.widthPx = widthPx; self.heightPx = heightPx; self.temperatureC = temperatureC
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        xPx = try c.decode(Double.self, forKey: .xPx)
        yPx = try c.decode(Double.self, forKey: .yPx)
        widthPx = try c.decode(Double.self, forKey: .widthPx)
        heightPx = try c.decode(Double.self, forKey: .heightPx)
        temperatureC = try c.value(.temperatureC, default: 60.0)
        fromS = try c.value(.fromS, default: 0.0)
        toS = try c.value(.toS, default: .infinity)
    }
}

/// A blackbody calibration scene: the source fills the view (or a region) and steps through
/// set temperatures.
public struct BlackbodyScene: Codable, Equatable, Sendable {
    public var setpointsC: [Double]
    public var secondsEach = 3.0
    /// Region in pixels as [x, y, width, height]; nil fills the view.
    public var region: [Double]?
    /// A faulty blackbody: its temperature wanders with this standard deviation (K, every frame)…
    public var noiseK = 0.0
    /// …or drifts at this rate (K/s) while at a set-point.
    public var driftKPerS = 0.0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case setpointsC = "setpoints_c", secondsEach = "seconds_each", region, noiseK = "noise_k", driftKPerS = "drift_k_per_s"
    }

    public init(setpointsC: [Double], secondsEach: Double = 3, region: [Double]? = nil) {
        self.setpointsC = setpointsC; self.secondsEach = secondsEach; self.region = region
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        setpointsC = try c.decode([Double].self, forKey: .setpointsC)
        secondsEach = try c.value(.secondsEach, default: 3.0)
        region = try c.decodeIfPresent([Double].self, forKey: .region)
        noiseK = try c.value(.noiseK, default: 0.0)
        driftKPerS = try c.value(.driftKPerS, default: 0.0)
        if let region, region.count != 4 { throw ConfigError(field: "blackbody.region", message: "is [x, y, width, height]") }
    }
}

/// What the truth file calls measurable by geometry.
public struct MeasurableRule: Codable, Equatable, Sendable {
    /// The face is at least this wide (px): about 4×4 px on the canthus region.
    public var minFaceWidthPx = 20.0
    /// Walking no faster than this, in face widths per second.
    public var maxSpeedFaceWidthsPerS = 10.0
    /// Frames with the face wholly in view.
    public var minFrames = 3

    enum CodingKeys: String, CodingKey, CaseIterable {
        case minFaceWidthPx = "min_face_width_px", maxSpeedFaceWidthsPerS = "max_speed_face_widths_per_s", minFrames = "min_frames"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = MeasurableRule()
        minFaceWidthPx = try c.value(.minFaceWidthPx, default: d.minFaceWidthPx)
        maxSpeedFaceWidthsPerS = try c.value(.maxSpeedFaceWidthsPerS, default: d.maxSpeedFaceWidthsPerS)
        minFrames = try c.value(.minFrames, default: d.minFrames)
    }
}

/// A scene to simulate (YAML scenario file, or a named preset).
public struct Scenario: Codable, Equatable, Sendable {
    public var camera = "lepton35"
    public var durationS = 10.0
    public var ambientC = 22.0
    /// Background gradient top to bottom (K).
    public var gradientK = 1.0
    /// Per-pixel fixed-pattern non-uniformity, standard deviation (K).
    public var nonuniformityK = 0.08
    /// Temporal noise per pixel (K); nil uses the camera's NETD.
    public var netdK: Double?
    /// The camera's reading drifts linearly by this much over the run (K).
    public var driftK = 0.0
    /// The camera's reading error: reads gain·T + offset (K).
    public var cameraGain = 1.0
    public var cameraOffsetK = 0.0
    public var reference: SimReference?
    public var countingLine: CountingLine?
    public var people: [PersonSpec] = []
    public var crowd: CrowdSpec?
    public var hotObjects: [HotObject] = []
    /// A shutter (FFC) freeze every this many seconds, lasting `shutterFrames` frames.
    public var shutterEveryS: Double?
    public var shutterFrames = 3
    /// Probability that a frame is dropped.
    public var dropProbability = 0.0
    public var blackbody: BlackbodyScene?
    public var measurable = MeasurableRule()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case camera, durationS = "duration_s", ambientC = "ambient_c", gradientK = "gradient_k"
        case nonuniformityK = "nonuniformity_k", netdK = "netd_k", driftK = "drift_k"
        case cameraGain = "camera_gain", cameraOffsetK = "camera_offset_k", reference
        case countingLine = "counting_line", people, crowd, hotObjects = "hot_objects"
        case shutterEveryS = "shutter_every_s", shutterFrames = "shutter_frames"
        case dropProbability = "drop_probability", blackbody, measurable
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Scenario()
        camera = try c.value(.camera, default: d.camera)
        durationS = try c.value(.durationS, default: d.durationS)
        ambientC = try c.value(.ambientC, default: d.ambientC)
        gradientK = try c.value(.gradientK, default: d.gradientK)
        nonuniformityK = try c.value(.nonuniformityK, default: d.nonuniformityK)
        netdK = try c.decodeIfPresent(Double.self, forKey: .netdK)
        driftK = try c.value(.driftK, default: d.driftK)
        cameraGain = try c.value(.cameraGain, default: d.cameraGain)
        cameraOffsetK = try c.value(.cameraOffsetK, default: d.cameraOffsetK)
        reference = try c.decodeIfPresent(SimReference.self, forKey: .reference)
        countingLine = try c.decodeIfPresent(CountingLine.self, forKey: .countingLine)
        people = try c.value(.people, default: [])
        crowd = try c.decodeIfPresent(CrowdSpec.self, forKey: .crowd)
        hotObjects = try c.value(.hotObjects, default: [])
        shutterEveryS = try c.decodeIfPresent(Double.self, forKey: .shutterEveryS)
        shutterFrames = try c.value(.shutterFrames, default: d.shutterFrames)
        dropProbability = try c.value(.dropProbability, default: d.dropProbability)
        blackbody = try c.decodeIfPresent(BlackbodyScene.self, forKey: .blackbody)
        measurable = try c.value(.measurable, default: d.measurable)
        _ = try SimCamera.named(camera)
        if !(durationS > 0 && durationS <= 3600) { throw ConfigError(field: "duration_s", message: "must be in (0, 3600] s") }
        if !(0...0.5).contains(dropProbability) { throw ConfigError(field: "drop_probability", message: "must be in 0…0.5") }
    }

    public static func load(path: String) throws -> Scenario {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(field: path, message: "cannot read scenario: \(error.localizedDescription)")
        }
        do { return try YAMLDecoder().decode(Scenario.self, from: text) } catch let e as ConfigError {
            throw ConfigError(field: "\(path): \(e.field)", message: e.message)
        } catch {
            throw ConfigError(field: path, message: "\(error)")
        }
    }
}
