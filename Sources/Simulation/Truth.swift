import Foundation
import Screening

/// What really happened in a simulated recording (docs/simulator.md). JSON, sorted keys.
public struct Truth: Codable, Equatable, Sendable {
    public var format = "canthus-truth"
    public var version = 1
    public var recording: String
    public var camera: String
    public var fps: Double
    public var width: Int
    public var height: Int
    public var frameCount: Int
    public var seed: UInt64
    public var reference: TruthReference?
    /// Total reading drift over the run (K) and the camera's gain/offset error.
    public var driftK: Double
    public var cameraGain: Double
    public var cameraOffsetK: Double
    public var countingLine: CountingLine?
    public var people: [TruthPerson]
    public var frames: [TruthFrame]
    /// Calibration scenes: which frames show which blackbody set-point.
    public var blackbody: [TruthSetpoint]?

    enum CodingKeys: String, CodingKey {
        case format, version, recording, camera, fps, width, height, seed, reference, people, frames, blackbody
        case frameCount = "frame_count", driftK = "drift_k", cameraGain = "camera_gain"
        case cameraOffsetK = "camera_offset_k", countingLine = "counting_line"
    }

    public static func load(path: String) throws -> Truth {
        do {
            return try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigError(field: path, message: "not a truth file: \(error)")
        }
    }

    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self)
    }
}

public struct TruthReference: Codable, Equatable, Sendable {
    public var xPx: Double
    public var yPx: Double
    public var radiusPx: Double
    public var setTemperatureC: Double
    public var covered: [Interval]

    enum CodingKeys: String, CodingKey {
        case xPx = "x_px", yPx = "y_px", radiusPx = "radius_px", setTemperatureC = "set_temperature_c", covered
    }
}

public struct TruthPerson: Codable, Equatable, Sendable {
    public var id: Int
    /// True canthus (skin) temperature, °C.
    public var canthusC: Double
    /// The paired oral temperature, °C.
    public var oralC: Double
    /// Drawn from the febrile group (oral ≥ 37.5 °C).
    public var febrile: Bool
    public var measurable: Bool
    /// Why not measurable: too_far, motion, edge (never wholly in view long enough).
    public var notMeasurableBecause: [String]
    public var crossedLine: Bool
    /// `in`/`out` when the line was crossed.
    public var direction: String?
    public var glasses: Bool
    public var mask: Bool
    public var hat: Bool
    public var distanceM: Double
    public var speedMPS: Double
    public var faceWidthPx: Double
    public var firstFrame: Int?
    public var lastFrame: Int?

    enum CodingKeys: String, CodingKey {
        case id, febrile, measurable, glasses, mask, hat, direction
        case canthusC = "canthus_c", oralC = "oral_c", notMeasurableBecause = "not_measurable_because"
        case crossedLine = "crossed_line", distanceM = "distance_m", speedMPS = "speed_mps"
        case faceWidthPx = "face_width_px", firstFrame = "first_frame", lastFrame = "last_frame"
    }
}

public struct TruthFrame: Codable, Equatable, Sendable {
    public var frame: Int
    public var timeS: Double
    /// The camera's drift at this frame (K).
    public var driftK: Double
    public var shutter: Bool
    public var referenceVisible: Bool
    public var boxes: [TruthBox]

    enum CodingKeys: String, CodingKey {
        case frame, boxes, shutter
        case timeS = "time_s", driftK = "drift_k", referenceVisible = "reference_visible"
    }
}

/// A person's face box in one frame, pixels (may extend past the frame edge).
public struct TruthBox: Codable, Equatable, Sendable {
    public var person: Int
    public var x0: Double, y0: Double, x1: Double, y1: Double

    public func contains(x: Double, y: Double) -> Bool { x >= x0 && x <= x1 && y >= y0 && y <= y1 }
}

public struct TruthSetpoint: Codable, Equatable, Sendable {
    public var setpointC: Double
    public var firstFrame: Int
    public var lastFrame: Int
    /// Region in pixels [x, y, width, height] the blackbody covers.
    public var region: [Double]

    enum CodingKeys: String, CodingKey {
        case setpointC = "setpoint_c", firstFrame = "first_frame", lastFrame = "last_frame", region
    }
}
