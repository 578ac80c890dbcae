import Foundation
import Radiometry

/// What a recording says about its camera and scene: everything needed to replay it exactly.
/// Stored as the JSON header of the recording format (docs/recording-format.md); every field
/// name carries its unit.
public struct RecordingHeader: Codable, Equatable, Sendable {
    public var camera: CameraDescription
    public var radiometry: RadiometricModel
    /// The blackbody reference source in the scene, if there is one.
    public var reference: ReferenceSource?
    /// Where the recording came from: "simulator", "v4l2:/dev/video0", "cptv:FILE", …
    public var origin: String
    /// Wall-clock time of the first frame (ISO 8601, UTC), when known.
    public var createdUTC: String?
    /// The visible camera, when frames carry visible JPEGs.
    public var visible: VisibleDescription?

    public init(camera: CameraDescription, radiometry: RadiometricModel, reference: ReferenceSource? = nil,
                origin: String, createdUTC: String? = nil) {
        self.camera = camera
        self.radiometry = radiometry
        self.reference = reference
        self.origin = origin
        self.createdUTC = createdUTC
    }

    enum CodingKeys: String, CodingKey {
        case camera, radiometry, reference, origin, visible
        case createdUTC = "created_utc"
    }
}

public struct CameraDescription: Codable, Equatable, Sendable {
    /// Camera model name ("lepton3.5", "tc001", "core640", …).
    public var model: String
    public var serial: String
    /// Sensor image size in pixels, before rotation.
    public var width: Int
    public var height: Int
    /// Pixel format of the stored IR image; v1 stores "Y16" (unsigned 16-bit counts).
    public var pixelFormat: String
    /// Nominal frame rate in frames per second.
    public var fps: Double
    /// Horizontal field of view in degrees (across `width`, before rotation).
    public var hfovDeg: Double
    /// Clockwise rotation to apply to the sensor image to see the scene upright, degrees.
    public var rotationDeg: Rotation

    public init(model: String, serial: String, width: Int, height: Int, pixelFormat: String = "Y16",
                fps: Double, hfovDeg: Double, rotationDeg: Rotation = .none) {
        self.model = model
        self.serial = serial
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
        self.fps = fps
        self.hfovDeg = hfovDeg
        self.rotationDeg = rotationDeg
    }

    enum CodingKeys: String, CodingKey {
        case model, serial, width, height, fps
        case pixelFormat = "pixel_format"
        case hfovDeg = "hfov_deg"
        case rotationDeg = "rotation_deg"
    }
}

/// A heated reference target of known temperature in the camera's view.
public struct ReferenceSource: Codable, Equatable, Sendable {
    /// Centre in sensor pixels (before rotation); nil means "find it automatically".
    public var x: Double?
    public var y: Double?
    /// Radius of its uniform face in pixels.
    public var radiusPx: Double
    /// Its set temperature in °C.
    public var setTemperatureC: Double

    public init(x: Double? = nil, y: Double? = nil, radiusPx: Double, setTemperatureC: Double) {
        self.x = x
        self.y = y
        self.radiusPx = radiusPx
        self.setTemperatureC = setTemperatureC
    }

    enum CodingKeys: String, CodingKey {
        case x = "x_px", y = "y_px"
        case radiusPx = "radius_px"
        case setTemperatureC = "set_temperature_c"
    }
}

/// The visible camera paired with the IR one.
public struct VisibleDescription: Codable, Equatable, Sendable {
    /// How its image maps onto the IR image, when known.
    public var registration: VisibleRegistration?

    public init(registration: VisibleRegistration?) { self.registration = registration }
}

/// Where a visible image sits relative to the IR image (FLIR's picture-in-picture tags).
public struct VisibleRegistration: Codable, Equatable, Sendable {
    /// Scale from visible to IR: the visible image is `Real2IR` times larger per degree.
    public var real2IR: Double
    /// Offset of the IR image's centre in the (scaled) visible image, visible pixels.
    public var offsetX: Int
    public var offsetY: Int
    /// The IR image's picture-in-picture rectangle, IR pixels, inclusive.
    public var pipX1: Int, pipX2: Int, pipY1: Int, pipY2: Int

    enum CodingKeys: String, CodingKey {
        case real2IR = "real2ir", offsetX = "offset_x_px", offsetY = "offset_y_px"
        case pipX1 = "pip_x1_px", pipX2 = "pip_x2_px", pipY1 = "pip_y1_px", pipY2 = "pip_y2_px"
    }

    public init(real2IR: Double, offsetX: Int, offsetY: Int, pipX1: Int, pipX2: Int, pipY1: Int, pipY2: Int) {
        self.real2IR = real2IR
        self.offsetX = offsetX; self.offsetY = offsetY
        self.pipX1 = pipX1; self.pipX2 = pipX2; self.pipY1 = pipY1; self.pipY2 = pipY2
    }
}
