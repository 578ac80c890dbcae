import Screening

/// Named scenarios. `canthus simulate --preset NAME`; docs/simulator.md describes each.
public enum Presets {
    public static let names = ["demo", "crowd", "crowd-640", "kiosk", "far", "hot-cup", "edge", "runner",
                               "drift", "covered", "calibration", "calibration-region", "calibration-noisy",
                               "calibration-drifting"]

    public static func named(_ name: String) throws -> Scenario {
        var s = Scenario()
        switch name {
        case "demo":
            // Three people cross a Lepton's view, the second febrile; a reference bottom right.
            s.camera = "lepton35"
            s.durationS = 14
            s.reference = SimReference(xPx: 147, yPx: 13, radiusPx: 5, setTemperatureC: 35)
            s.countingLine = CountingLine(axis: .vertical, position: 0.5)
            s.people = [
                person(enter: 0.5, distance: 0.9, speed: 0.5, direction: .right, height: 0.38),
                person(enter: 4.8, distance: 0.85, speed: 0.45, direction: .left, height: 0.4, canthus: 37.0, febrile: true),
                person(enter: 9.2, distance: 0.9, speed: 0.5, direction: .right, height: 0.36, glasses: true),
            ]
        case "crowd", "crowd-640":
            s.camera = name == "crowd" ? "tc001" : "core640"
            s.durationS = 20
            s.reference = SimReference(xPx: name == "crowd" ? 240 : 600, yPx: name == "crowd" ? 14 : 30,
                                       radiusPx: name == "crowd" ? 6 : 12, setTemperatureC: 35)
            s.countingLine = CountingLine(axis: .vertical, position: 0.5)
            var crowd = CrowdSpec()
            crowd.count = 14
            crowd.everyS = 1.2
            crowd.distanceM = name == "crowd" ? [1.0, 1.6] : [1.5, 2.8]
            crowd.lanes = [0.22, 0.5, 0.78]
            s.crowd = crowd
        case "kiosk":
            s.camera = "lepton35"
            s.durationS = 8
            s.reference = SimReference(xPx: 20, yPx: 100, radiusPx: 5, setTemperatureC: 37)
            s.people = [person(enter: 0.5, distance: 0.6, speed: 0.15, direction: .right, height: 0.45, glasses: true)]
        case "far":
            s.camera = "lepton35"
            s.durationS = 10
            s.reference = SimReference(xPx: 147, yPx: 13, radiusPx: 5, setTemperatureC: 35)
            s.people = [person(enter: 0.5, distance: 4.0, speed: 0.8, direction: .right, height: 0.4)]
        case "hot-cup":
            s.camera = "lepton35"
            s.durationS = 7
            s.reference = SimReference(xPx: 147, yPx: 13, radiusPx: 5, setTemperatureC: 35)
            s.hotObjects = [HotObject(xPx: 30, yPx: 90, widthPx: 8, heightPx: 10, temperatureC: 60)]
            s.people = [person(enter: 1.0, distance: 0.9, speed: 0.5, direction: .right, height: 0.35)]
        case "edge":
            s.camera = "lepton35"
            s.durationS = 10
            s.reference = SimReference(xPx: 147, yPx: 13, radiusPx: 5, setTemperatureC: 35)
            s.people = [person(enter: 0.5, distance: 0.8, speed: 0.5, direction: .right, height: 0.02)]
        case "runner":
            s.camera = "lepton35"
            s.durationS = 6
            s.reference = SimReference(xPx: 147, yPx: 13, radiusPx: 5, setTemperatureC: 35)
            s.people = [person(enter: 0.5, distance: 1.0, speed: 3.0, direction: .right, height: 0.4)]
        case "drift":
            // The camera's reading drifts 1 K over the run; no glasses, so every canthus is visible.
            s = try named("crowd")
            s.driftK = 1.0
            s.crowd?.glassesFraction = 0
        case "covered":
            s = try named("demo")
            s.reference?.covered = [Interval(fromS: 5.0, toS: 8.0)]
        case "calibration":
            s.camera = "lepton35"
            s.durationS = 12
            s.cameraGain = 1.02
            s.cameraOffsetK = -0.6
            s.blackbody = BlackbodyScene(setpointsC: [30, 35, 40], secondsEach: 4)
        case "calibration-region":
            s = try named("calibration")
            s.blackbody?.region = [60, 40, 40, 40]
        case "calibration-noisy":
            s = try named("calibration")
            s.blackbody?.noiseK = 0.4
        case "calibration-drifting":
            s = try named("calibration")
            s.blackbody?.driftKPerS = 0.6
        default:
            throw ConfigError(field: "preset", message: "unknown preset '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return s
    }

    static func person(enter: Double, distance: Double, speed: Double, direction: PersonSpec.Direction, height: Double,
                       canthus: Double? = nil, febrile: Bool = false, glasses: Bool = false) -> PersonSpec {
        var p = PersonSpec()
        p.enterS = enter
        p.distanceM = distance
        p.speedMPS = speed
        p.direction = direction
        p.heightFraction = height
        p.canthusC = canthus
        p.febrile = febrile
        p.glasses = glasses
        return p
    }
}
