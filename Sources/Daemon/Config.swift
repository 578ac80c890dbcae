import Capture
import Foundation
import Radiometry
import Records
import Screening
import USBCapture
import Yams

/// The configuration file of `canthus run` (and `replay`/`eval --config`): YAML (JSON is YAML
/// too). docs/configuration.md documents every field. Unknown keys are errors, and every error
/// names the file and the field.
public struct CanthusConfig: Codable, Equatable, Sendable {
    /// Where the IR frames come from, for a daemon with one lane (lane `main`, no gate name);
    /// `lanes` for several. Not both.
    public var source = SourceConfig()
    /// One lane per IR camera: each with its gate, camera or recordings, reference and
    /// counting line; `screening` and `records` are shared.
    public var lanes: [LaneConfig] = []
    public var screening = ScreeningConfig()
    /// The technician's calibration; identity when absent. Inline, or from `calibration_file`.
    public var calibration: LinearCalibration = .identity
    /// The file `canthus calibrate` writes; its gain and offset (and flat field) are used when set.
    public var calibrationFile: String?
    /// A calibration older than this many days is `calibration_expired` in the health model
    /// (the technician re-calibrates against the blackbody); nil: no limit.
    public var calibrationMaxAgeDays: Double?
    /// When the calibration file was made (its `created_utc`; not a setting itself).
    public var calibrationCreatedUTC: String?
    /// The per-pixel correction from the calibration file, if it has one (not a setting itself).
    public var flatField: FlatField?
    public var records = RecordsConfig()
    /// The control socket (`canthus status`, `ack`, `reload`).
    public var control = ControlConfig()
    /// The gate light and the outputs that act on decisions (docs/alarms.md).
    public var alarms = AlarmsConfig()
    /// What the file said that still works but should change: renamed settings
    /// (`RenamedSetting`), one line each naming the file, the line and the new key. Not a
    /// setting; `run`, `reload` and `check-config` print them.
    public var notices: [String] = []

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case source, lanes, screening, calibration, records, control, alarms, calibrationFile = "calibration_file"
        case calibrationMaxAgeDays = "calibration_max_age_days"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.value(.source, default: SourceConfig())
        if c.contains(.lanes) {
            var list = try c.nestedUnkeyedContainer(forKey: .lanes)
            while !list.isAtEnd {
                let index = list.currentIndex
                do { lanes.append(try list.decode(LaneConfig.self)) } catch let e as ConfigError {
                    let field = e.field.hasPrefix("lanes.") ? String(e.field.dropFirst(6)) : e.field
                    throw ConfigError(field: "lanes[\(index)].\(field)", message: e.message)
                }
            }
        }
        if !lanes.isEmpty && c.contains(.source) {
            throw ConfigError(field: "lanes", message: "give either source (one lane) or lanes, not both")
        }
        var seen = Set<String>()
        for (i, lane) in lanes.enumerated() where !seen.insert(lane.name).inserted {
            throw ConfigError(field: "lanes[\(i)].name", message: "'\(lane.name)' names two lanes; each lane needs its own name")
        }
        screening = try c.value(.screening, default: ScreeningConfig())
        calibration = try c.value(.calibration, default: .identity)
        calibrationFile = try c.decodeIfPresent(String.self, forKey: .calibrationFile)
        calibrationMaxAgeDays = try c.decodeIfPresent(Double.self, forKey: .calibrationMaxAgeDays)
        if let days = calibrationMaxAgeDays, !(days > 0) {
            throw ConfigError(field: "calibration_max_age_days", message: "\(days) is not a number of days (> 0)")
        }
        records = try c.value(.records, default: RecordsConfig())
        control = try c.value(.control, default: ControlConfig())
        alarms = try c.value(.alarms, default: AlarmsConfig())
        let laneNames = Set(effectiveLanes.map(\.name))
        for (i, sink) in alarms.sinks.enumerated() {
            for lane in sink.lanes ?? [] where !laneNames.contains(lane) {
                throw ConfigError(field: "alarms.sinks[\(i)].lanes", message: "'\(lane)' is not a lane (lanes: \(laneNames.sorted().joined(separator: ", ")))")
            }
            if sink.type == .gpio && (sink.lanes?.count ?? laneNames.count) != 1 {
                throw ConfigError(field: "alarms.sinks[\(i)].lanes", message: "a gpio sink lights one gate: give lanes: [ONE] (lanes: \(laneNames.sorted().joined(separator: ", ")))")
            }
            if sink.type == .webhook && !records.store {
                throw ConfigError(field: "alarms.sinks[\(i)].type", message: "a webhook keeps what it has not sent in the records store's outbox: records.store must be on")
            }
        }
        if calibrationFile != nil && c.contains(.calibration) {
            throw ConfigError(field: "calibration", message: "give either calibration or calibration_file, not both")
        }
    }

    /// The settings as a file would give them: `source` for one lane, `lanes` for several.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if lanes.isEmpty { try c.encode(source, forKey: .source) } else { try c.encode(lanes, forKey: .lanes) }
        try c.encode(screening, forKey: .screening)
        if let calibrationFile { try c.encode(calibrationFile, forKey: .calibrationFile) } else { try c.encode(calibration, forKey: .calibration) }
        try c.encodeIfPresent(calibrationMaxAgeDays, forKey: .calibrationMaxAgeDays)
        try c.encode(records, forKey: .records)
        try c.encode(control, forKey: .control)
        try c.encode(alarms, forKey: .alarms)
    }

    /// Reads and checks a configuration file.
    public static func load(path: String) throws -> CanthusConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigFileError(path: path, message: "cannot read: \(error.localizedDescription)")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> CanthusConfig {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return CanthusConfig() }
        do {
            var node = try Yams.compose(yaml: text) ?? Node.mapping([:])
            let notices = try RenamedSetting.apply(RenamedSetting.all, to: &node, path: path)
            var config = try YAMLDecoder().decode(CanthusConfig.self, from: node)
            config.notices = notices
            if let file = config.calibrationFile {
                // Relative to the configuration file, as a service's files usually are.
                let resolved = file.hasPrefix("/") ? file
                    : (URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(file).path)
                do {
                    let record = try CalibrationStore.load(path: resolved)
                    config.calibration = record.calibration
                    config.flatField = record.flatField
                    config.calibrationCreatedUTC = record.createdUTC
                } catch let e as CalibrationError {
                    throw ConfigFileError(path: path, line: ConfigLocator.line(of: "calibration_file", in: text), message: "calibration_file: \(e.description)")
                }
            }
            return config
        } catch let error as ConfigFileError {
            throw error
        } catch let error as ConfigError {
            // A setting that is needed and missing is not in the file: the line of the setting it belongs to.
            let parent = error.field.split(separator: ".").dropLast().joined(separator: ".")
            throw ConfigFileError(path: path, line: ConfigLocator.line(of: error.field, in: text) ?? ConfigLocator.line(of: parent, in: text),
                                  message: error.description)
        } catch let error as DecodingError {
            if case .dataCorrupted(let c) = error, let yaml = c.underlyingError as? YamlError {
                throw ConfigFileError(path: path, line: ConfigLocator.line(of: yaml), message: "not valid YAML: \(ConfigLocator.problem(of: yaml))")
            }
            let (key, message) = describe(error)
            // A missing key is not in the file: the line of the setting it belongs to.
            let parent = key.split(separator: ".").dropLast().joined(separator: ".")
            throw ConfigFileError(path: path, line: ConfigLocator.line(of: key, in: text) ?? ConfigLocator.line(of: parent, in: text), message: message)
        } catch let error as YamlError {
            throw ConfigFileError(path: path, line: ConfigLocator.line(of: error), message: "not valid YAML: \(ConfigLocator.problem(of: error))")
        } catch {
            throw ConfigFileError(path: path, message: "\(error)")
        }
    }

    /// The key the error concerns (dotted, `lanes[1].name`) and the message naming it.
    static func describe(_ error: DecodingError) -> (key: String, message: String) {
        func path(_ c: DecodingError.Context, _ extra: String? = nil) -> String {
            var parts: [String] = []
            for k in c.codingPath {
                if let i = k.intValue { parts[parts.count - 1] += "[\(i)]" } else { parts.append(k.stringValue) }
            }
            if let extra { parts.append(extra) }
            return parts.isEmpty ? "(top level)" : parts.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let c): return (path(c, key.stringValue), "\(path(c, key.stringValue)): missing")
        case .typeMismatch(let type, let c): return (path(c), "\(path(c)): expected \(typeName(type))")
        case .valueNotFound(let type, let c): return (path(c), "\(path(c)): expected \(typeName(type)), found nothing")
        case .dataCorrupted(let c):
            if let underlying = c.underlyingError as? ConfigError { return (underlying.field, underlying.description) }
            return (path(c), "\(path(c)): \(c.debugDescription)")
        @unknown default: return ("", "\(error)")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type, is UInt32.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "text"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "a mapping of settings" }
            return "a mapping of settings (\(name))"
        }
    }
}

extension CanthusConfig {
    /// The lanes to run: `lanes`, or `source` as lane `main`.
    public var effectiveLanes: [LaneConfig] {
        lanes.isEmpty ? [LaneConfig(name: "main", gate: "", source: source, countingLine: nil)] : lanes
    }
}

/// One IR camera (or its recordings) and the gate it watches.
public struct LaneConfig: Codable, Equatable, Sendable {
    /// Names the lane in events (`lane`), ids and health.
    public var name: String
    /// The gate's name as operators know it ("North entrance").
    public var gate: String
    /// Camera or recordings, pace, import preset and reference set-point, as `source`.
    public var source: SourceConfig
    /// This lane's counting line (default: `screening.counting_line`).
    public var countingLine: CountingLine?

    public init(name: String, gate: String, source: SourceConfig, countingLine: CountingLine?) {
        self.name = name
        self.gate = gate
        self.source = source
        self.countingLine = countingLine
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, gate, countingLine = "counting_line" }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue) + SourceConfig.CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ConfigError(field: "lanes.name", message: "'\(name)' is not a lane name (letters, digits, - and _)")
        }
        gate = try c.value(.gate, default: "")
        countingLine = try c.decodeIfPresent(CountingLine.self, forKey: .countingLine)
        source = try SourceConfig(from: decoder, checkKeys: false)
        if source.camera == nil && source.replay.isEmpty {
            throw ConfigError(field: "lanes.name", message: "lane '\(name)' has neither a camera nor recordings to replay (camera: or replay:)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(name, forKey: AnyCodingKey(stringValue: "name"))
        try c.encode(gate, forKey: AnyCodingKey(stringValue: "gate"))
        try c.encodeIfPresent(countingLine, forKey: AnyCodingKey(stringValue: "counting_line"))
        try source.encode(to: encoder)
    }
}

/// A configuration file's mistake: the file, the line (when it is in the file) and the message,
/// which names the key and what would be valid. One line: `FILE:LINE: key: message`.
public struct ConfigFileError: Error, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String
    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }
    public var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(message)" }
}

/// Finds where in a YAML text a setting is: the line of the key whose path ends with the
/// given dotted path (`decision.alarm_c` finds `screening: decision: alarm_c:`), list indices
/// included when given (`lanes[1].name`).
enum ConfigLocator {
    static func line(of field: String, in text: String) -> Int? {
        guard !field.isEmpty, let root = try? Yams.compose(yaml: text) else { return nil }
        var want: [(key: String, index: Int?)] = []
        for part in field.split(separator: ".") {
            if let open = part.firstIndex(of: "["), let close = part.firstIndex(of: "]"), let i = Int(part[part.index(after: open)..<close]) {
                want.append((String(part[..<open]), nil))
                want.append(("", i))
            } else {
                want.append((String(part), nil))
            }
        }
        var best: Int?
        let wantsIndex = want.contains { $0.index != nil }
        // Depth-first: every (path, node) pair; a match is a path whose end is `want`.
        func visit(_ node: Node, _ full: [(key: String, index: Int?)], keyLine: Int?) {
            let path = wantsIndex ? full : full.filter { $0.index == nil }
            if path.count >= want.count {
                let tail = path.suffix(want.count)
                if zip(tail, want).allSatisfy({ $0.key == $1.key && $0.index == $1.index }) { best = best ?? keyLine ?? node.mark?.line }
            }
            switch node {
            case .mapping(let m):
                for (k, v) in m { visit(v, full + [(k.string ?? "", nil)], keyLine: k.mark?.line) }
            case .sequence(let s):
                for (i, v) in s.enumerated() { visit(v, full + [("", i)], keyLine: v.mark?.line) }
            default: break
            }
        }
        visit(root, [], keyLine: nil)
        return best
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        default: return "\(error)"
        }
    }
}

public struct SourceConfig: Codable, Equatable, Sendable {
    /// A live camera; when set, `replay` must be empty.
    public var camera: CameraConfig?
    /// Recordings (own format or importable files) to replay, in order.
    public var replay: [String] = []
    /// Replay at the recording's own pace (true) or as fast as possible.
    public var realTime = false
    /// Replay the recordings again and again until stopped (a demonstration kiosk, a test rig).
    public var loop = false
    /// Import options for files that need them (`feverscreen-kiosk`).
    public var importPreset: String?
    /// The reference's set-point (°C) for imported files (the kiosk preset needs it).
    public var referenceSetC: Double?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case camera, replay, loop, realTime = "real_time", importPreset = "import_preset", referenceSetC = "reference_set_c"
    }

    public init(from decoder: any Decoder) throws { try self.init(from: decoder, checkKeys: true) }

    /// `checkKeys` false when a lane decodes it from its own mapping (which has more keys).
    init(from decoder: any Decoder, checkKeys: Bool) throws {
        if checkKeys { try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue)) }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        camera = try c.decodeIfPresent(CameraConfig.self, forKey: .camera)
        replay = try c.value(.replay, default: [])
        if camera != nil && !replay.isEmpty {
            throw ConfigError(field: "source", message: "give either camera or replay, not both")
        }
        realTime = try c.value(.realTime, default: false)
        loop = try c.value(.loop, default: false)
        if loop && replay.isEmpty {
            throw ConfigError(field: "source.loop", message: "loops recordings; give them in replay")
        }
        importPreset = try c.decodeIfPresent(String.self, forKey: .importPreset)
        referenceSetC = try c.decodeIfPresent(Double.self, forKey: .referenceSetC)
    }
}

public struct RecordsConfig: Codable, Equatable, Sendable {
    /// Directory for the records store (canthus.sqlite), the event stream file and snapshots.
    public var directory = "./var"
    /// Keep the records store (`directory/canthus.sqlite`, docs/records.md).
    public var store = true
    /// Also append every event to `directory/events.ndjson` (a stream for log shippers).
    public var eventsFile = true
    /// Records held in memory while the store cannot be written; beyond, the oldest are dropped
    /// and counted.
    public var holdLimit = 100_000
    /// Records older than this many days are purged (hourly, and by `canthus purge`); nil: kept.
    public var retentionDays: Double?
    /// Pictures: a snapshot of every alarm and pre-alarm (`directory/snapshots/`) and views of
    /// the scene kept with the tracks. False (privacy): temperatures, counts and tracks only.
    public var pictures = true
    /// A new view of the scene for the tracks at most this often (seconds of the source's time).
    public var viewEveryS = 600.0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case directory, store, eventsFile = "events_file", holdLimit = "hold_limit", retentionDays = "retention_days", pictures
        case viewEveryS = "view_every_s"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        directory = try c.value(.directory, default: "./var")
        store = try c.value(.store, default: true)
        eventsFile = try c.value(.eventsFile, default: true)
        holdLimit = try c.value(.holdLimit, default: 100_000)
        retentionDays = try c.decodeIfPresent(Double.self, forKey: .retentionDays)
        pictures = try c.value(.pictures, default: true)
        viewEveryS = try c.value(.viewEveryS, default: 600.0)
        if !(viewEveryS > 0) { throw ConfigError(field: "records.view_every_s", message: "\(viewEveryS) is not a number of seconds (> 0)") }
        if holdLimit < 0 { throw ConfigError(field: "records.hold_limit", message: "\(holdLimit) is not a number of records (≥ 0)") }
        if let d = retentionDays, !(d > 0) { throw ConfigError(field: "records.retention_days", message: "\(d) is not a number of days (> 0)") }
    }

    /// The store's file.
    public var storePath: String { (directory as NSString).appendingPathComponent(RecordStore.fileName) }
}

public struct ControlConfig: Codable, Equatable, Sendable {
    /// The control socket's path; default `ControlSocket.defaultPath()` (the runtime directory).
    public var socket: String?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case socket }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        socket = try c.decodeIfPresent(String.self, forKey: .socket)
        if let socket, !socket.hasPrefix("/") {
            throw ConfigError(field: "control.socket", message: "'\(socket)' is not an absolute path")
        }
    }

    /// The socket's path in effect.
    public var path: String { socket ?? ControlSocket.defaultPath() }
}

/// A live V4L2 camera for `canthus run`.
public struct CameraConfig: Codable, Equatable, Sendable {
    /// Device node or stable name (/dev/canthus/purethermal, /dev/v4l/by-id/…); for a USB
    /// camera (`model: flirone`), `usb` (the first one attached) or `usb:SERIAL`.
    public var device: String
    /// Camera model (canthus record --help lists them): how to read it and its radiometry.
    public var model = "lepton35"
    public var input: UInt32?
    /// Frame rate to ask for; default the model's.
    public var fps: Double?
    /// Clockwise rotation to see the scene upright: 0, 90, 180, 270.
    public var rotationDeg = 0
    /// The blackbody reference in view, if any.
    public var reference: ReferenceSource?
    /// A visible camera beside it: its newest picture goes with each IR frame (for snapshots
    /// and the dashboard); its loss is a health reason, never a pause in screening.
    public var visible: VisibleCameraConfig?
    /// Also write every frame screened to this recording (a new file each start; written on
    /// the lane's thread): `canthus replay` of it gives the run's events again.
    public var record: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case device, model, input, fps, reference, visible, record, rotationDeg = "rotation_deg"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        device = try c.decode(String.self, forKey: .device)
        model = try c.value(.model, default: "lepton35")
        input = try c.decodeIfPresent(UInt32.self, forKey: .input)
        fps = try c.decodeIfPresent(Double.self, forKey: .fps)
        rotationDeg = try c.value(.rotationDeg, default: 0)
        reference = try c.decodeIfPresent(ReferenceSource.self, forKey: .reference)
        visible = try c.decodeIfPresent(VisibleCameraConfig.self, forKey: .visible)
        record = try c.decodeIfPresent(String.self, forKey: .record)
        guard Rotation(rawValue: rotationDeg) != nil else {
            throw ConfigError(field: "source.camera.rotation_deg", message: "\(rotationDeg) is not 0, 90, 180 or 270")
        }
        if model == Self.flirOneModel {
            _ = try FlirOneSource.Settings(device: device)
            if input != nil || fps != nil { throw ConfigError(field: "source.camera.\(input != nil ? "input" : "fps")", message: "is not a setting of a FLIR ONE") }
            return
        }
        do { _ = try CameraPreset.named(model) } catch {
            throw ConfigError(field: "source.camera.model", message: "\(error) (or \(Self.flirOneModel): a FLIR ONE over USB)")
        }
    }

    /// The USB camera's model name (no V4L2 preset: it has its own source).
    public static let flirOneModel = "flirone"

    /// The source this describes (V4L2, or the FLIR ONE over USB), with rotation and reference
    /// applied to its header.
    public func source(log: @escaping @Sendable (String) -> Void) throws -> any LiveCamera {
        let options = ImportOptions(rotation: Rotation(rawValue: rotationDeg), reference: reference)
        if model == Self.flirOneModel {
            let source = FlirOneSource(settings: try FlirOneSource.Settings(device: device), log: log)
            source.apply(options)
            return source
        }
        var preset = try CameraPreset.named(model)
        if let fps { preset.fps = fps }
        let source = V4L2Source(settings: preset.settings(device: device, input: input), log: log)
        source.apply(options)
        return source
    }
}

/// The visible camera paired with a lane's IR camera.
public struct VisibleCameraConfig: Codable, Equatable, Sendable {
    public var device: String
    /// `webcam` (YUYV) or `webcam-libv4l2` (anything libv4l2 converts to RGB24, MJPEG among them).
    public var model = "webcam"
    public var input: UInt32?
    public var fps: Double?

    enum CodingKeys: String, CodingKey, CaseIterable { case device, model, input, fps }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        device = try c.decode(String.self, forKey: .device)
        model = try c.value(.model, default: "webcam")
        input = try c.decodeIfPresent(UInt32.self, forKey: .input)
        fps = try c.decodeIfPresent(Double.self, forKey: .fps)
        guard ["webcam", "webcam-libv4l2"].contains(model) else {
            throw ConfigError(field: "camera.visible.model", message: "'\(model)' is not a visible camera model (known: webcam, webcam-libv4l2)")
        }
    }

    /// The V4L2 source, compressing each picture to a JPEG.
    public func source(log: @escaping @Sendable (String) -> Void) throws -> V4L2Source {
        var preset = try CameraPreset.named(model)
        if let fps { preset.fps = fps }
        var settings = preset.settings(device: device, input: input)
        settings.visibleJPEGQuality = 85
        return V4L2Source(settings: settings, log: log)
    }
}

extension CanthusConfig {
    /// The calibration's age against `calibration_max_age_days`, for the health model:
    /// degraded with `calibration_expired` past the limit.
    public func reportCalibration(to health: HealthModel, now: Date = Date()) {
        guard let created = calibrationCreatedUTC else { return }
        let formatter = ISO8601DateFormatter()
        guard let made = formatter.date(from: created) else {
            health.report("calibration", .degraded, detail: "the calibration file's date '\(created)' cannot be read")
            return
        }
        let days = now.timeIntervalSince(made) / 86_400
        let detail = String(format: "made %@, %.0f days ago", created, days)
        if let limit = calibrationMaxAgeDays, days > limit {
            health.report("calibration", .degraded, reasons: [ReasonCode.calibrationExpired.rawValue],
                          detail: detail + String(format: ", past the %.0f-day limit: calibrate again (canthus calibrate)", limit))
        } else {
            health.report("calibration", .ok, detail: detail)
        }
    }
}

/// A setting that was renamed: the old name is still read, for at least one release after the
/// rename, with a notice naming the new key, so an upgrade keeps an operator's file working.
/// Listed in docs/configuration.md ("Renamed settings").
public struct RenamedSetting: Sendable {
    /// The mapping holding the setting, as keys from the top (`["screening"]`).
    public var parent: [String]
    public var old: String
    public var new: String
    /// The release that renamed it.
    public var since: String

    public static let all: [RenamedSetting] = [
        RenamedSetting(parent: ["screening"], old: "association_face_widths", new: "match_within_face_widths", since: "0.2"),
    ]

    /// Renames `old` to `new` where the file uses it, keeping the key's place (so errors still
    /// name its line); both given is an error.
    static func apply(_ renames: [RenamedSetting], to node: inout Node, path: String) throws -> [String] {
        var notices: [String] = []
        for r in renames {
            try rename(r, in: &node, at: r.parent[...], notices: &notices, path: path)
        }
        return notices
    }

    private static func rename(_ r: RenamedSetting, in node: inout Node, at rest: ArraySlice<String>, notices: inout [String], path: String) throws {
        guard case .mapping(var mapping) = node else { return }
        if let head = rest.first {
            guard let key = mapping.keys.first(where: { $0.string == head }), var child = mapping[key] else { return }
            try rename(r, in: &child, at: rest.dropFirst(), notices: &notices, path: path)
            mapping[key] = child
            node = .mapping(mapping)
            return
        }
        guard let oldKey = mapping.keys.first(where: { $0.string == r.old }) else { return }
        let dotted = (r.parent + [r.old]).joined(separator: ".")
        let newDotted = (r.parent + [r.new]).joined(separator: ".")
        let line = oldKey.mark.map { $0.line }
        if mapping.keys.contains(where: { $0.string == r.new }) {
            throw ConfigFileError(path: path, line: line, message: "\(dotted) and \(newDotted) are the same setting (renamed in \(r.since)); keep \(newDotted) only")
        }
        let pairs = mapping.map { (k, v) -> (Node, Node) in
            k.string == r.old ? (Node.scalar(.init(r.new, .implicit, .plain, k.mark)), v) : (k, v)
        }
        node = .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        notices.append("\(path):\(line.map(String.init) ?? "?"): \(dotted) is now called \(newDotted) (renamed in \(r.since)); it is read as such, but the old name will stop working in a later release")
    }
}

extension FlirOneSource.Settings {
    /// `usb` (the first FLIR ONE attached) or `usb:SERIAL`.
    public init(device: String) throws {
        guard device == "usb" || device.hasPrefix("usb:") else {
            throw ConfigError(field: "source.camera.device", message: "'\(device)' is not usb or usb:SERIAL (a FLIR ONE is found on the USB bus, not by a device node)")
        }
        let serial = device.hasPrefix("usb:") ? String(device.dropFirst(4)) : ""
        self.init(serial: serial.isEmpty ? nil : serial)
    }
}
