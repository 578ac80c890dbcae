import Foundation

/// One event of the stream every part of canthus speaks (docs/events.md). Serialised as one
/// JSON object per line with a fixed key order, so equal streams are equal byte for byte.
public struct Event: Sendable, Equatable {
    /// File name or device.
    public var source: String
    /// 0-based index of the frame within its source.
    public var frame: Int
    /// Seconds since the source's first frame, from the source's own timestamps.
    public var timeS: Double
    public var body: Body
    /// The lane (one IR camera and its screening) and the gate it serves (configuration
    /// `lanes`); a replay outside the daemon is lane `main` of no gate.
    public var lane = "main"
    public var gate = ""
    /// The event's place among the lane's events of the same source frame (`EventStamper`).
    public var ordinal = 0
    /// Which run of the source: empty for a recording's first pass (so a replay's ids are the
    /// same every time); a camera's start time (UTC, ms) or a looped recording's pass
    /// (`pass2`, …) otherwise, so ids stay unique when a camera restarts or a loop comes round.
    public var run = ""

    /// Lane, source (and its run), frame and place within the frame. The store, the alarm sinks
    /// (idempotency keys) and `canthus ack` name events by it.
    public var id: String { "\(sourceKey)/\(frame)/\(ordinal)" }

    /// Lane, source and its run (`lane/source` or `lane/source@run`): what ids of the same
    /// run of a source begin with (the store's tracks and views are named by it too).
    public var sourceKey: String { Self.sourceKey(lane: lane, source: source, run: run) }

    public static func sourceKey(lane: String, source: String, run: String) -> String {
        run.isEmpty ? "\(lane)/\(source)" : "\(lane)/\(source)@\(run)"
    }

    public enum Body: Sendable, Equatable {
        case status(state: ScreeningState, reasons: [String])
        case decision(Decision)
        /// `distanceM`: where the person came closest (`CameraGeometry`), nil when the
        /// camera's field of view is unknown.
        case rejected(track: Int, reasons: [String], distanceM: Double?)
        case count(track: Int, direction: CountDirection)
    }

    public init(source: String, frame: Int, timeS: Double, body: Body) {
        self.source = source
        self.frame = frame
        self.timeS = timeS
        self.body = body
    }

    public var type: String {
        switch body {
        case .status: return "status"
        case .decision: return "decision"
        case .rejected: return "rejected"
        case .count: return "count"
        }
    }

    /// The event as one line of NDJSON (no trailing newline).
    public var json: String {
        var w = JSONLineWriter()
        w.field("type", string: type)
        w.field("source", string: source)
        w.field("frame", int: frame)
        w.field("time_s", number: timeS)
        switch body {
        case .status(let state, let reasons):
            w.field("state", string: state.rawValue)
            w.field("reasons", strings: reasons)
        case .decision(let d):
            w.field("track", int: d.track)
            w.field("canthus_c", number: d.canthusC)
            w.field("temperature_c", number: d.temperatureC)
            w.field("raw", int: d.raw)
            w.field("level", string: d.level.rawValue)
            w.field("mode", string: d.mode.rawValue)
            w.field("threshold_c", number: d.thresholdC)
            w.field("frames", int: d.frames)
            w.field("distance_m", number: d.distanceM)
            w.field("reasons", strings: d.reasons)
        case .rejected(let track, let reasons, let distanceM):
            w.field("track", int: track)
            w.field("distance_m", number: distanceM)
            w.field("reasons", strings: reasons)
        case .count(let track, let direction):
            w.field("track", int: track)
            w.field("direction", string: direction.rawValue)
        }
        w.field("lane", string: lane)
        w.field("gate", string: gate)
        w.field("id", string: id)
        return w.finish()
    }

    /// The event as one line a person reads in a terminal.
    public var text: String {
        let head = String(format: "%@ %5d %8.3fs  ", source, frame, timeS)
        switch body {
        case .status(let state, let reasons):
            let why = reasons.map { Reason.sentence(for: $0) }.joined(separator: "; ")
            return head + "STATUS   \(state.rawValue)" + (why.isEmpty ? "" : " — \(why)")
        case .decision(let d):
            let flags = d.reasons.isEmpty ? "" : " [\(d.reasons.joined(separator: ", "))]"
            return head + String(format: "%@ person %d: %.2f °C body (canthus %.2f °C, %@ threshold %.2f °C, %d frames%@)%@",
                                 d.level.label, d.track, d.temperatureC, d.canthusC, d.mode.rawValue, d.thresholdC, d.frames,
                                 Self.distanceText(d.distanceM), flags)
        case .rejected(let track, let reasons, let distanceM):
            return head + "REJECTED person \(track)" + (distanceM == nil ? "" : " (\(Self.distanceText(distanceM).dropFirst(2)))") + ": "
                + reasons.map { Reason.sentence(for: $0) }.joined(separator: "; ")
        case .count(let track, let direction):
            return head + "COUNT    person \(track) \(direction.rawValue)"
        }
    }
}

/// Gives a lane's events their lane, gate and ordinal (their place among the events of the same
/// source frame), so each has a stable `id`.
public struct EventStamper: Sendable {
    public var lane: String
    public var gate: String
    public var run: String
    private var last: (source: String, frame: Int)?
    private var next = 0

    public init(lane: String = "main", gate: String = "", run: String = "") {
        self.lane = lane
        self.gate = gate
        self.run = run
    }

    /// `Event.sourceKey` of the events this stamper stamps for `source`.
    public func sourceKey(_ source: String) -> String { Event.sourceKey(lane: lane, source: source, run: run) }

    public mutating func stamp(_ event: Event) -> Event {
        var e = event
        if let last, last.source == e.source && last.frame == e.frame { next += 1 } else { next = 0 }
        last = (e.source, e.frame)
        e.lane = lane
        e.gate = gate
        e.run = run
        e.ordinal = next
        return e
    }
}

extension Event {
    /// ", at 1.2 m" or nothing.
    static func distanceText(_ m: Double?) -> String { m.map { String(format: ", at %.1f m", $0) } ?? "" }
}

public enum ScreeningState: String, Sendable, Equatable {
    case screening, paused
}

public enum CountDirection: String, Sendable, Equatable {
    case `in`, out, pass
}

public enum Level: String, Sendable, Equatable, Comparable {
    case normal, prealarm, alarm

    var rank: Int { self == .normal ? 0 : self == .prealarm ? 1 : 2 }
    public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }

    public var label: String {
        switch self {
        case .normal: return "NORMAL  "
        case .prealarm: return "PREALARM"
        case .alarm: return "ALARM   "
        }
    }
}

public enum DecisionMode: String, Sendable, Equatable, Codable, ConfigWord {
    case absolute, relative
}

public struct Decision: Sendable, Equatable {
    public var track: Int
    /// Skin temperature at the measuring site, after calibration and reference correction.
    public var canthusC: Double
    /// Estimated body temperature, compared with the threshold.
    public var temperatureC: Double
    /// Camera counts at the site (median of the frames used).
    public var raw: Int
    public var level: Level
    public var mode: DecisionMode
    public var thresholdC: Double
    public var frames: Int
    public var reasons: [String]
    /// How far the person stood (m; `CameraGeometry`), nil when the camera's field of view is unknown.
    public var distanceM: Double?

    public init(track: Int, canthusC: Double, temperatureC: Double, raw: Int, level: Level, mode: DecisionMode,
                thresholdC: Double, frames: Int, reasons: [String], distanceM: Double? = nil) {
        self.distanceM = distanceM
        self.track = track
        self.canthusC = canthusC
        self.temperatureC = temperatureC
        self.raw = raw
        self.level = level
        self.mode = mode
        self.thresholdC = thresholdC
        self.frames = frames
        self.reasons = reasons
    }
}

/// Every reason code the event stream carries (in `status` reasons, `rejected` reasons and
/// decision flags), one enum, with the sentence a person reads for each (docs/events.md lists
/// them). The stream itself carries the raw values.
public enum ReasonCode: String, CaseIterable, Sendable {
    // Why screening paused (status).
    case referenceMissing = "reference_missing", referenceUnstable = "reference_unstable"
    case referenceSearching = "reference_searching", warmingUp = "warming_up"
    case shutter, frozen, cameraLost = "camera_lost", cameraBack = "camera_back"
    case visibleCameraLost = "visible_camera_lost", visibleCameraBack = "visible_camera_back"
    // Why a person was not measured (rejected), or what a measurement carries (decision flags).
    case tooFar = "too_far", tooClose = "too_close", edge, motion, passing, notFacing = "not_facing", cold
    case tooFewFrames = "too_few_frames", paused, glasses
    // Why a part of the daemon is not well (the health model, `canthus status`).
    case eventLogFailing = "event_log_failing", calibrationExpired = "calibration_expired", laneStalled = "lane_stalled"
    case recordsFailing = "records_failing", alarmSinkFailing = "alarm_sink_failing"

    public var sentence: String {
        switch self {
        case .referenceMissing: return "the blackbody reference is not where it should be; screening waits for it"
        case .referenceUnstable: return "the blackbody reference reading is unstable; screening waits until it settles"
        case .referenceSearching: return "several things look like the blackbody reference; screening waits until one proves itself (stays put, reads steadily)"
        case .warmingUp: return "the reference has not been measured yet"
        case .shutter: return "the camera is recalibrating (shutter/FFC); readings resume in a moment"
        case .frozen: return "the camera is sending the same frame again; its readings are not used"
        case .cameraLost: return "the camera stopped delivering frames"
        case .visibleCameraLost: return "the visible camera stopped delivering pictures; screening goes on without them"
        case .visibleCameraBack: return "the visible camera is delivering pictures again"
        case .cameraBack: return "the camera is delivering frames again"
        case .tooFar: return "too far from the camera: too few pixels on the face for a trustworthy reading"
        case .tooClose: return "too close to the camera: the face does not fit the view"
        case .edge: return "the face is cut by the edge of the view"
        case .motion: return "moving too fast to be measured"
        case .passing: return "walked past without stopping in front of the camera: seen and counted, not measured"
        case .notFacing: return "turned away from the camera (in profile, or no face in view: a lukewarm surface): seen and counted, not measured"
        case .cold: return "the face is colder than any healthy person's (just came in from the cold?): please wait a few minutes indoors and be measured again"
        case .tooFewFrames: return "left before enough good frames were taken"
        case .paused: return "screening was paused while this person was in view"
        case .glasses: return "wears glasses: measured at the best visible site, about 1 K below the canthus"
        case .calibrationExpired: return "the calibration is older than calibration_max_age_days: calibrate again against the blackbody"
        case .recordsFailing: return "the records store cannot be written (disk full or read-only, a reader holding a lock): screening goes on, records are held in memory up to a bound and written when it works again"
        case .alarmSinkFailing: return "an alarm output (a hook, spoken prompts) failed: screening and the other outputs go on; it is tried again with the next alarm"
        case .laneStalled: return "the lane's frame loop stopped moving (neither frames nor waiting for its camera): systemd's watchdog restarts canthus"
        case .eventLogFailing: return "the event log cannot be written (disk full, mount lost): screening goes on, the events not written are counted"
        }
    }
}

/// Sentences for reason codes as the stream carries them.
public enum Reason {
    public static func sentence(for code: String) -> String { ReasonCode(rawValue: code)?.sentence ?? code }
}

/// A minimal JSON object writer with a fixed key order and three-decimal numbers.
public struct JSONLineWriter {
    private var out = "{"
    private var first = true

    private mutating func key(_ k: String) {
        if !first { out += "," }
        first = false
        out += "\"\(k)\":"
    }

    public init() {}

    public mutating func field(_ k: String, string: String) { key(k); out += Self.quote(string) }
    mutating func field(_ k: String, int: Int) { key(k); out += String(int) }
    mutating func field(_ k: String, number: Double) { key(k); out += Self.number(number) }
    /// `null` for nil.
    mutating func field(_ k: String, number: Double?) { key(k); out += number.map(Self.number) ?? "null" }
    mutating func field(_ k: String, strings: [String]) { key(k); out += "[" + strings.map(Self.quote).joined(separator: ",") + "]" }

    /// The object written so far, closed.
    public var line: String { out + "}" }

    mutating func finish() -> String { line }

    /// Three decimals (no negative zero), or null: how every number of the stream is written.
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        let s = String(format: "%.3f", v)
        return s == "-0.000" ? "0.000" : s
    }

    /// A JSON string literal.
    public static func quote(_ s: String) -> String {
        var r = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            case "\r": r += "\\r"
            case "\t": r += "\\t"
            default:
                if scalar.value < 0x20 { r += String(format: "\\u%04x", scalar.value) } else { r.unicodeScalars.append(scalar) }
            }
        }
        return r + "\""
    }
}
