/// Everything that tunes detection, measurement, tracking, decisions and counting.
/// docs/configuration.md lists every field with its unit and default.
public struct ScreeningConfig: Codable, Equatable, Sendable {
    /// A pixel is candidate skin when it is this much warmer than the frame's median (K)…
    public var skinMarginK = 2.0
    /// …and at least this warm (°C, after reference correction).
    public var skinMinC = 30.0
    /// Clothing over a torso is at least this much warmer than the frame's median (K): a warm
    /// region joined by such a column to a head above it is a hand or arm, not a face; a head
    /// too small to measure is a far person only when such a body holds it up; a hat and a mask
    /// around a wide band of skin are at least this warm too.
    public var bodyMarginK = 0.75
    /// A blob whose hottest point is above this is an object (cup, lamp), never a person (°C).
    public var hotObjectC = 41.0
    /// Blobs smaller than this are noise, and so are too-far heads whose box is smaller (pixels).
    public var minBlobAreaPx = 12
    /// A face narrower than this is too far for a trustworthy canthus (pixels). IEC 80601-2-59
    /// asks for about 4×4 px on the canthus region, about a fifth of the face's width: 20 px.
    public var minFaceWidthPx = 20
    /// A face wider than this fraction of the frame is too close.
    public var maxFaceFraction = 0.85
    /// Faster than this many face widths per second is too fast to measure.
    public var maxSpeedFaceWidthsPerS = 10.0
    /// A person whose canthus (read without glasses in the way) is colder than this (°C) has
    /// just come in from the cold: no healthy person reads lower. The lowest canthus among the
    /// 1003 subjects of the PhysioNet face/oral data set is 33.85 °C (tools/physionet_roc.py).
    public var coldCanthusC = 33.85
    /// Glasses hide the canthus: a wearer's reading comes from the warmest skin left in view,
    /// the forehead and brow above the lenses (0.9–1.3 K below the canthus on the simulated and
    /// the real kiosk wearers). No healthy person's forehead reads colder than this at its
    /// warmest (°C): the lowest forehead maximum (`T_FH_Max1`) among the same 1003 subjects is
    /// 33.08 °C (tools/physionet_roc.py). A wearer reading lower is `cold`. Readings are not
    /// corrected: the decision carries the `glasses` flag instead.
    public var coldForeheadC = 33.08
    /// The canthus reading averages at most this many of the hottest upper-face pixels (the
    /// 4×4 px region IEC 80601-2-59 asks for)…
    public var canthusPixels = 16
    /// …those within this many pixel-noise standard deviations of the hottest (the noise is
    /// estimated from every frame), so the reading is neither one lucky pixel nor diluted by skin.
    public var canthusBandSigma = 3.0
    /// Good frames needed before a decision.
    public var framesForDecision = 3
    /// A face turned to the camera shows as much skin either side of its middle; one whose
    /// good frames show less than this share on the lesser side (the median
    /// `Detection.skinBalance`) is in profile: rejected `not_facing`.
    public var minFacingBalance = 0.75
    /// …and one whose good frames show one side of its middle more than this much warmer than
    /// the other (the median `Detection.sideContrastK`, K) is in profile too: cheek on one
    /// side, hair on the other, warm enough in a warm room to be part of the face's region but
    /// kelvins cooler than skin. A face turned to the camera is the same skin on both sides:
    /// healthy faces differ side to side by a few tenths of a kelvin, the dev set's people
    /// who scanned by at most 0.8 K (docs/screening.md).
    public var maxFacingSideContrastK = 1.5
    /// A reading below `coldCanthusC` (with or without glasses) is a face only if its warmest
    /// pixels stand at least this far above the mean of the face's skin around them
    /// (`Detection.canthusReliefK`, median of the best frames); else it is a lukewarm surface,
    /// rejected `not_facing`. Faces read below the bound stand 0.8–2.8 K out, real glasses
    /// wearers 0.8–1.05 K, the kiosks' plates and housings 0.3–0.4 K, a jacket taken for a
    /// wearer 0.52 K (docs/screening.md).
    public var minColdReliefK = 0.6
    /// A decision reads the median of at most this many best frames (still ones first, then the
    /// largest faces).
    public var bestFrames = 5
    /// How long a person is watched, from their first good frame, before the decision (s):
    /// they step up and settle, and the steadiest, largest faces are read.
    public var decisionWindowS = 1.0
    /// A person stands still when, over the last `settleWindowS` (s), their face moved at most
    /// `settledSpeedFaceWidthsPerS` face widths per second …
    public var settleWindowS = 0.3
    public var settledSpeedFaceWidthsPerS = 1.5
    /// … and grew or shrank at most this fast, |ln(w₁/w₀)| per second. Someone walking at v
    /// towards the camera from distance d grows at v/d: 0.6/s is 1 m/s at 1.7 m.
    public var settledGrowthPerS = 0.6
    /// Where people step up (`protocol: step_up`), a decided person back in view within this
    /// long (s), near where they left and with a face of like size, is the same person: not
    /// screened or counted again. Longer merges more returns (2 s: 29 of the 45 dev-set
    /// recordings screened as labelled, 3 s: 32, 5 s: 33) but risks taking the next person in
    /// a queue, stepping into the same spot, for the last one: a person missed is worse than a
    /// person measured twice.
    public var returnWithinS = 3.0
    /// A track unseen for this long has left (s).
    public var trackTimeoutS = 1.0
    /// Tracks shorter than this (frames seen) are noise and are not reported.
    public var minTrackFrames = 2
    /// Largest jump between frames for the same person, in face widths.
    public var matchWithinFaceWidths = 1.5
    /// A track in view at least this long (s; any time, if it was always too small to measure) …
    public var staticObjectS = 2.0
    /// … that never moved further than this from where it appeared (px) is an object.
    public var staticObjectPx = 3.0

    /// An adult face's width (m), for each person's distance (`distance_m`) and a camera's
    /// maximum screening distance. Adult bizygomatic breadth is 0.13–0.15 m and the warm head
    /// the camera sees (cheek to cheek, ears in profile) 0.14–0.16 m: a person's distance is
    /// good to about ±7 % from it (docs/distance.md).
    public var faceWidthM = 0.15

    /// Set by `forStills()` only (never read from a file): the frames are single photos, so
    /// staying put tells nothing and no track is taken for an object for it, and what time
    /// tells of pieces, tilted heads and edge slivers is told by size and shape instead.
    public var singleFrame = false

    /// How people are screened at this site (`ScreeningProtocol`); unset is `walk_through`,
    /// unless an import preset says how its source was used (`feverscreen-kiosk`: `step_up`).
    public var screeningProtocol: ScreeningProtocol?

    public var decision = DecisionConfig()
    /// The counting line; nil counts each person when they leave the view (`pass`).
    public var countingLine: CountingLine?
    /// Reference source handling.
    public var reference = ReferenceConfig()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case skinMarginK = "skin_margin_k", skinMinC = "skin_min_c", bodyMarginK = "body_margin_k", hotObjectC = "hot_object_c"
        case minBlobAreaPx = "min_blob_area_px", minFaceWidthPx = "min_face_width_px"
        case maxFaceFraction = "max_face_fraction", maxSpeedFaceWidthsPerS = "max_speed_face_widths_per_s"
        case coldCanthusC = "cold_canthus_c", coldForeheadC = "cold_forehead_c", canthusPixels = "canthus_pixels", canthusBandSigma = "canthus_band_sigma"
        case framesForDecision = "frames_for_decision", trackTimeoutS = "track_timeout_s"
        case minFacingBalance = "min_facing_balance", maxFacingSideContrastK = "max_facing_side_contrast_k", minColdReliefK = "min_cold_relief_k", bestFrames = "best_frames", decisionWindowS = "decision_window_s", settleWindowS = "settle_window_s"
        case settledSpeedFaceWidthsPerS = "settled_speed_face_widths_per_s", settledGrowthPerS = "settled_growth_per_s"
        case returnWithinS = "return_within_s"
        case minTrackFrames = "min_track_frames", matchWithinFaceWidths = "match_within_face_widths"
        case staticObjectS = "static_object_s", staticObjectPx = "static_object_px", faceWidthM = "face_width_m"
        case decision, countingLine = "counting_line", reference, screeningProtocol = "protocol"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ScreeningConfig()
        skinMarginK = try c.value(.skinMarginK, default: d.skinMarginK)
        bodyMarginK = try c.value(.bodyMarginK, default: d.bodyMarginK)
        skinMinC = try c.value(.skinMinC, default: d.skinMinC)
        hotObjectC = try c.value(.hotObjectC, default: d.hotObjectC)
        minBlobAreaPx = try c.value(.minBlobAreaPx, default: d.minBlobAreaPx)
        minFaceWidthPx = try c.value(.minFaceWidthPx, default: d.minFaceWidthPx)
        maxFaceFraction = try c.value(.maxFaceFraction, default: d.maxFaceFraction)
        maxSpeedFaceWidthsPerS = try c.value(.maxSpeedFaceWidthsPerS, default: d.maxSpeedFaceWidthsPerS)
        coldCanthusC = try c.value(.coldCanthusC, default: d.coldCanthusC)
        coldForeheadC = try c.value(.coldForeheadC, default: d.coldForeheadC)
        canthusPixels = try c.value(.canthusPixels, default: d.canthusPixels)
        canthusBandSigma = try c.value(.canthusBandSigma, default: d.canthusBandSigma)
        framesForDecision = try c.value(.framesForDecision, default: d.framesForDecision)
        bestFrames = try c.value(.bestFrames, default: d.bestFrames)
        minFacingBalance = try c.value(.minFacingBalance, default: d.minFacingBalance)
        maxFacingSideContrastK = try c.value(.maxFacingSideContrastK, default: d.maxFacingSideContrastK)
        minColdReliefK = try c.value(.minColdReliefK, default: d.minColdReliefK)
        decisionWindowS = try c.value(.decisionWindowS, default: d.decisionWindowS)
        settleWindowS = try c.value(.settleWindowS, default: d.settleWindowS)
        settledSpeedFaceWidthsPerS = try c.value(.settledSpeedFaceWidthsPerS, default: d.settledSpeedFaceWidthsPerS)
        settledGrowthPerS = try c.value(.settledGrowthPerS, default: d.settledGrowthPerS)
        returnWithinS = try c.value(.returnWithinS, default: d.returnWithinS)
        trackTimeoutS = try c.value(.trackTimeoutS, default: d.trackTimeoutS)
        minTrackFrames = try c.value(.minTrackFrames, default: d.minTrackFrames)
        matchWithinFaceWidths = try c.value(.matchWithinFaceWidths, default: d.matchWithinFaceWidths)
        staticObjectS = try c.value(.staticObjectS, default: d.staticObjectS)
        staticObjectPx = try c.value(.staticObjectPx, default: d.staticObjectPx)
        faceWidthM = try c.value(.faceWidthM, default: d.faceWidthM)
        decision = try c.value(.decision, default: d.decision)
        screeningProtocol = try c.decodeIfPresent(ScreeningProtocol.self, forKey: .screeningProtocol)
        countingLine = try c.decodeIfPresent(CountingLine.self, forKey: .countingLine)
        reference = try c.value(.reference, default: d.reference)
        try validate()
    }

    /// Checks ranges; the error names the field.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ why: String) throws {
            if !ok { throw ConfigError(field: field, message: why) }
        }
        try check(skinMarginK >= 0, "skin_margin_k", "must be ≥ 0 K")
        try check(bodyMarginK >= 0 && bodyMarginK <= skinMarginK, "body_margin_k", "must be between 0 K and skin_margin_k")
        try check(minBlobAreaPx >= 1, "min_blob_area_px", "must be ≥ 1")
        try check(minFaceWidthPx >= 2, "min_face_width_px", "must be ≥ 2")
        try check(maxFaceFraction > 0 && maxFaceFraction <= 1, "max_face_fraction", "must be in (0, 1]")
        try check(canthusPixels >= 1 && canthusPixels <= 64, "canthus_pixels", "must be 1…64")
        try check(canthusBandSigma > 0, "canthus_band_sigma", "must be > 0")
        try check(minColdReliefK >= 0, "min_cold_relief_k", "must be ≥ 0 K")
        try check(maxFacingSideContrastK > 0, "max_facing_side_contrast_k", "must be > 0 K")
        try check(framesForDecision >= 1 && framesForDecision <= 32, "frames_for_decision", "must be 1…32 (a track keeps at most 32 readings)")
        try check(bestFrames >= 1, "best_frames", "must be ≥ 1")
        try check(decisionWindowS >= 0, "decision_window_s", "must be ≥ 0 s")
        try check(settleWindowS > 0, "settle_window_s", "must be > 0 s")
        try check(settledSpeedFaceWidthsPerS > 0, "settled_speed_face_widths_per_s", "must be > 0")
        try check(settledGrowthPerS > 0, "settled_growth_per_s", "must be > 0")
        try check(returnWithinS >= 0, "return_within_s", "must be ≥ 0 s")
        try check(trackTimeoutS > 0, "track_timeout_s", "must be > 0 s")
        try check(hotObjectC > skinMinC, "hot_object_c", "must be above skin_min_c")
        try check((0.08...0.25).contains(faceWidthM), "face_width_m", "\(faceWidthM) m is not an adult face's width (0.08…0.25)")
        try decision.validate()
    }

    /// The rules for a single photo (a FLIR JPEG, a radiometric TIFF, a temperature table),
    /// relaxed here and nowhere else. What needs time cannot be seen in one frame: one good
    /// frame decides (`frames_for_decision`, `best_frames` 1, no `decision_window_s`), a
    /// one-frame track is a person (`min_track_frames` 1), nobody is judged moving or
    /// settling (`walk_through`: a photo shows people where they stand), and nothing is taken
    /// for an object because it stayed put (`singleFrame`). What time tells in a moving scene
    /// is told otherwise in a still (`singleFrame`, in `Screener`): a piece of a person is the
    /// smaller of two touching heads (not the later), a tilted head's crown is one warm piece
    /// (not the upright head of the next frame), and a sliver the edge cuts is no one (not
    /// someone about to come in). Every other gate — size, edge, facing, cold, glasses, the
    /// reference — applies as to a video frame.
    public func forStills() -> ScreeningConfig {
        var c = self
        c.framesForDecision = 1
        c.bestFrames = 1
        c.decisionWindowS = 0
        c.minTrackFrames = 1
        c.screeningProtocol = .walkThrough
        c.singleFrame = true
        return c
    }
}

/// Who is measured, by how the site is used.
public enum ScreeningProtocol: String, Codable, Sendable, CaseIterable {
    /// A gate people walk through facing the camera: everyone facing it at a measurable size is
    /// measured on the move, from their best frames.
    case walkThrough = "walk_through"
    /// A kiosk or a marked spot people step up to and wait at: only someone who stops in front
    /// of the camera is measured, from the frames in which they stand still; people walking
    /// past are seen and counted but not measured (`passing`).
    case stepUp = "step_up"

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let p = ScreeningProtocol(rawValue: raw) else {
            throw ConfigError(field: "protocol", message: "'\(raw)' is not a protocol (known: \(Self.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = p
    }
}

public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

public struct DecisionConfig: Codable, Equatable, Sendable {
    public var mode: DecisionMode = .absolute
    /// Alarm when the estimated body temperature reaches this (°C).
    public var alarmC = 37.5
    /// Pre-alarm from this (°C).
    public var prealarmC = 37.2
    /// The gate's alarm output clears only when a person reads this much below the level (K).
    public var hysteresisC = 0.2
    /// Added to the canthus to estimate body (oral) temperature (K), in surroundings at
    /// `DecisionConfig.referenceAmbientC`. Default: the equal-error point of the PhysioNet
    /// FDA/UMD data (1003 subjects with both readings) against oral ≥ 37.5 °C, with the
    /// surroundings' share below — sensitivity 0.896, specificity 0.900 (docs/screening.md,
    /// tools/physionet_roc.py).
    public var skinToCoreOffsetC = 1.44
    /// How the offset changes per kelvin of warmer surroundings (K/K): skin is nearer the core
    /// in a warm room. The slope of oral − canthus against the room's temperature over the
    /// PhysioNet subjects with normal oral readings (−0.084; 0 turns it off). The surroundings are
    /// the scene's background (`Screener`), within the PhysioNet rooms' range
    /// (`ambientRangeC`): beyond it the relation is not measured and is not extrapolated.
    public var offsetPerAmbientK = -0.084
    /// Relative mode: people in the running baseline.
    public var relativeWindow = 10
    /// Relative mode: alarm above baseline + this (K); pre-alarm at 0.7 of it.
    public var relativeDeviationC = 1.0

    public init() {}

    /// The median room of the PhysioNet subjects (°C), where `skinToCoreOffsetC` holds as is.
    public static let referenceAmbientC = 24.0
    /// The PhysioNet rooms' temperatures (20.2–29.1 °C), to which the surroundings are clamped.
    public static let ambientRangeC = 20.0...29.0

    /// The skin→core offset (K) in surroundings at `ambientC` (°C; nil: unknown, the
    /// reference room's).
    public func skinToCoreOffset(ambientC: Double?) -> Double {
        guard let ambientC else { return skinToCoreOffsetC }
        let room = min(max(ambientC, Self.ambientRangeC.lowerBound), Self.ambientRangeC.upperBound)
        return skinToCoreOffsetC + offsetPerAmbientK * (room - Self.referenceAmbientC)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, alarmC = "alarm_c", prealarmC = "prealarm_c", hysteresisC = "hysteresis_c"
        case skinToCoreOffsetC = "skin_to_core_offset_c", offsetPerAmbientK = "offset_per_ambient_k", relativeWindow = "relative_window"
        case relativeDeviationC = "relative_deviation_c"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DecisionConfig()
        mode = try c.value(.mode, default: d.mode)
        alarmC = try c.value(.alarmC, default: d.alarmC)
        prealarmC = try c.value(.prealarmC, default: d.prealarmC)
        hysteresisC = try c.value(.hysteresisC, default: d.hysteresisC)
        skinToCoreOffsetC = try c.value(.skinToCoreOffsetC, default: d.skinToCoreOffsetC)
        offsetPerAmbientK = try c.value(.offsetPerAmbientK, default: d.offsetPerAmbientK)
        relativeWindow = try c.value(.relativeWindow, default: d.relativeWindow)
        relativeDeviationC = try c.value(.relativeDeviationC, default: d.relativeDeviationC)
    }

    public func validate() throws {
        if !(prealarmC <= alarmC) { throw ConfigError(field: "decision.prealarm_c", message: "must not exceed alarm_c (\(alarmC))") }
        if !(30...45).contains(alarmC) { throw ConfigError(field: "decision.alarm_c", message: "\(alarmC) °C is not a body temperature threshold (30…45)") }
        if hysteresisC < 0 { throw ConfigError(field: "decision.hysteresis_c", message: "must be ≥ 0") }
        if !(-0.5...0).contains(offsetPerAmbientK) { throw ConfigError(field: "decision.offset_per_ambient_k", message: "\(offsetPerAmbientK) K/K is not a skin→core slope (−0.5…0: skin is nearer the core in a warm room)") }
        if relativeWindow < 3 { throw ConfigError(field: "decision.relative_window", message: "needs at least 3 people") }
    }
}

/// A line across the view; crossing it counts a person once, with a direction.
public struct CountingLine: Codable, Equatable, Sendable {
    public enum Axis: String, Codable, Sendable, ConfigWord { case vertical, horizontal }
    /// `vertical`: a line x = position·width, crossed by walking left/right;
    /// `horizontal`: y = position·height, crossed walking up/down.
    public var axis: Axis
    /// Position as a fraction of the frame (0…1).
    public var position: Double
    /// true: crossing towards larger x (or y) is `in`.
    public var inTowardsPositive: Bool

    public init(axis: Axis, position: Double, inTowardsPositive: Bool = true) {
        self.axis = axis
        self.position = position
        self.inTowardsPositive = inTowardsPositive
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case axis, position, inTowardsPositive = "in_towards_positive"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        axis = try c.decode(Axis.self, forKey: .axis)
        position = try c.decode(Double.self, forKey: .position)
        inTowardsPositive = try c.value(.inTowardsPositive, default: true)
        if !(0...1).contains(position) {
            throw ConfigError(field: "counting_line.position", message: "\(position) is outside 0…1 (a fraction of the frame)")
        }
    }
}

public struct ReferenceConfig: Codable, Equatable, Sendable {
    /// The reference must be this much warmer than its surroundings to count as present (K).
    public var minContrastK = 1.5
    /// A reading further than this from the smoothed one marks it unstable (K).
    public var maxJumpK = 0.5
    /// Before correction the reference must read within this of its set temperature (K).
    public var maxDriftK = 8.0
    /// Smoothing time constant of the drift correction (s).
    public var timeConstantS = 2.0
    /// A place found automatically is the disc for sure once it has stayed put and read within
    /// `max_jump_k` for this long (s); until then, several look-alikes pause screening.
    public var confirmS = 1.0
    /// The disc's central pixels read within this of each other (K): a uniform emitter.
    public var flatTopK = 1.0
    /// A confirmed disc missing this long (s) is searched for anew (it may have been moved).
    public var relocateS = 10.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case minContrastK = "min_contrast_k", maxJumpK = "max_jump_k", maxDriftK = "max_drift_k"
        case timeConstantS = "time_constant_s", confirmS = "confirm_s", flatTopK = "flat_top_k", relocateS = "relocate_s"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ReferenceConfig()
        minContrastK = try c.value(.minContrastK, default: d.minContrastK)
        maxJumpK = try c.value(.maxJumpK, default: d.maxJumpK)
        maxDriftK = try c.value(.maxDriftK, default: d.maxDriftK)
        timeConstantS = try c.value(.timeConstantS, default: d.timeConstantS)
        confirmS = try c.value(.confirmS, default: d.confirmS)
        flatTopK = try c.value(.flatTopK, default: d.flatTopK)
        relocateS = try c.value(.relocateS, default: d.relocateS)
    }
}
