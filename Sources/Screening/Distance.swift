import Frames
import Foundation

/// How far people stand, from how wide their face looks: a rectilinear lens of horizontal field
/// of view θ across N pixels has a focal length of f = (N / 2) / tan(θ / 2) pixels, so a face
/// W metres wide spanning w pixels stands at d = f · W / w (docs/distance.md). Pixels are square,
/// so this holds whichever way the camera is mounted.
public struct CameraGeometry: Sendable, Equatable {
    /// Focal length in pixels.
    public let focalPx: Double

    /// nil when the field of view is unknown (a photo whose camera does not say).
    public init?(hfovDeg: Double, widthPx: Int) {
        guard hfovDeg > 0, hfovDeg < 180, widthPx > 0 else { return nil }
        focalPx = Double(widthPx) / 2 / tan(hfovDeg * .pi / 360)
    }

    public init?(camera: CameraDescription) { self.init(hfovDeg: camera.hfovDeg, widthPx: camera.width) }

    /// The distance (m) of a face `faceWidthM` wide that spans `faceWidthPx` pixels.
    public func distanceM(faceWidthPx: Int, faceWidthM: Double) -> Double {
        focalPx * faceWidthM / Double(max(1, faceWidthPx))
    }

    /// The furthest a face `faceWidthM` wide still spans `minFaceWidthPx` pixels: the camera's
    /// maximum screening distance (m).
    public func maxScreeningDistanceM(minFaceWidthPx: Int, faceWidthM: Double) -> Double {
        focalPx * faceWidthM / Double(minFaceWidthPx)
    }
}
