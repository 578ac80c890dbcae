import Foundation
import Frames
import Logging
import Records
import Screening

/// `alarms:` — what the gate does when someone is screened (docs/alarms.md): the gate light's
/// rules and the sinks that act on decisions and on the light.
public struct AlarmsConfig: Codable, Equatable, Sendable {
    public var gate = GateConfig()
    public var sinks: [SinkConfig] = []

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case gate, sinks }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        gate = try c.value(.gate, default: GateConfig())
        if c.contains(.sinks) {
            var list = try c.nestedUnkeyedContainer(forKey: .sinks)
            while !list.isAtEnd {
                let index = list.currentIndex
                do { sinks.append(try list.decode(SinkConfig.self)) } catch let e as ConfigError {
                    // A word setting names its whole coding path (`alarms.sinks.Index 0.type`): its last part.
                    let field = e.field.contains("Index ") ? String(e.field.split(separator: ".").last ?? "") : e.field
                    throw ConfigError(field: "alarms.sinks[\(index)].\(field)", message: e.message)
                }
            }
        }
        var names = Set<String>()
        for (i, s) in sinks.enumerated() where !names.insert(s.displayName(i)).inserted {
            throw ConfigError(field: "alarms.sinks[\(i)].name", message: "'\(s.displayName(i))' names two sinks; each needs its own name")
        }
    }
}

/// The gate light: green (pass), amber (a pre-alarm: measure again), red (an alarm) — the
/// highest level among the people in front of the gate.
public struct GateConfig: Codable, Equatable, Sendable {
    /// Red stays at least this long after the alarm (s), even when the person has gone.
    public var holdS = 5.0
    /// And until the alarm is acknowledged (`canthus ack`).
    public var untilAcknowledged = false

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case holdS = "hold_s", untilAcknowledged = "until_acknowledged" }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        holdS = try c.value(.holdS, default: 5.0)
        untilAcknowledged = try c.value(.untilAcknowledged, default: false)
        if !(holdS >= 0) { throw ConfigError(field: "alarms.gate.hold_s", message: "\(holdS) is not a number of seconds (≥ 0)") }
    }
}

/// One output: a program run per event (`hook`), spoken prompts (`speech`), or a log line (`log`).
public struct SinkConfig: Codable, Equatable, Sendable {
    public enum Kind: String, ConfigWord, Codable, Sendable { case hook, speech, log, gpio, webhook }
    public enum Language: String, ConfigWord, Codable, Sendable { case zh, en }

    public var type: Kind
    /// In the health model and the log: `alarm NAME` (default: the type and its place).
    public var name: String?
    /// Only these lanes (default: every lane).
    public var lanes: [String]?
    /// Decisions of these levels (default: alarm and prealarm; speech: every level).
    public var levels: [Level]
    /// Also the gate light's changes.
    public var gate = false
    // hook
    public var program: String?
    public var args: [String] = []
    public var timeoutS = 10.0
    // webhook: where to POST, the token header, a CA file of one's own (default: the system's), back-off
    public var url: String?
    public var token: String?
    public var tokenFile: String?
    public var tokenHeader = "Authorization"
    public var caFile: String?
    public var retryMaxS = 60.0
    // speech
    public var language = Language.zh
    public var voice: String?
    /// An ALSA device for `aplay -D` (default: espeak-ng's own output).
    public var device: String?
    /// Phrase templates by level (`{temperature}` is the body temperature, one decimal).
    public var phrases: [String: String] = [:]
    /// A prompt not begun within this many seconds of its decision is not spoken (the person has gone).
    public var staleS = 3.0
    // gpio: the chip (name, path, label or number), a line for each light, an acknowledge button
    public var chip: String?
    public var red: Int?
    public var amber: Int?
    public var green: Int?
    public var activeLow = false
    public var button: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case type, name, lanes, levels, gate, program, args, timeoutS = "timeout_s", language, voice, device, phrases, staleS = "stale_s"
        case chip, red, amber, green, activeLow = "active_low", button
        case url, token, tokenFile = "token_file", tokenHeader = "token_header", caFile = "ca_file", retryMaxS = "retry_max_s"
    }

    public func displayName(_ index: Int) -> String { name ?? "\(type.rawValue) \(index + 1)" }

    public init(type: Kind, levels: [Level]? = nil) {
        self.type = type
        self.levels = levels ?? (type == .speech ? [.normal, .prealarm, .alarm] : [.prealarm, .alarm])
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.type) else { throw ConfigError(field: "type", message: "is needed: hook, speech, log, gpio or webhook") }
        type = try c.decode(Kind.self, forKey: .type)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        lanes = try c.decodeIfPresent([String].self, forKey: .lanes)
        let words = try c.decodeIfPresent([String].self, forKey: .levels)
        levels = try words.map { try $0.map { w in
            guard let l = Level(rawValue: w) else { throw ConfigError(field: "levels", message: "'\(w)' is not one of normal, prealarm, alarm") }
            return l
        } } ?? (type == .speech ? [.normal, .prealarm, .alarm] : [.prealarm, .alarm])
        gate = try c.value(.gate, default: false)
        program = try c.decodeIfPresent(String.self, forKey: .program)
        args = try c.value(.args, default: [])
        timeoutS = try c.value(.timeoutS, default: 10.0)
        language = try c.value(.language, default: .zh)
        voice = try c.decodeIfPresent(String.self, forKey: .voice)
        device = try c.decodeIfPresent(String.self, forKey: .device)
        phrases = try c.value(.phrases, default: [:])
        staleS = try c.value(.staleS, default: 3.0)
        chip = try c.decodeIfPresent(String.self, forKey: .chip)
        red = try c.decodeIfPresent(Int.self, forKey: .red)
        amber = try c.decodeIfPresent(Int.self, forKey: .amber)
        green = try c.decodeIfPresent(Int.self, forKey: .green)
        activeLow = try c.value(.activeLow, default: false)
        button = try c.decodeIfPresent(Int.self, forKey: .button)
        url = try c.decodeIfPresent(String.self, forKey: .url)
        token = try c.decodeIfPresent(String.self, forKey: .token)
        tokenFile = try c.decodeIfPresent(String.self, forKey: .tokenFile)
        tokenHeader = try c.value(.tokenHeader, default: "Authorization")
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
        retryMaxS = try c.value(.retryMaxS, default: 60.0)
        if type == .gpio { gate = true }   // a lamp shows the light
        if type == .webhook && gate {
            throw ConfigError(field: "gate", message: "a webhook sends the decisions written to the store (its outbox); the light's changes go to gpio, hook and log sinks")
        }
        for key in phrases.keys where Level(rawValue: key) == nil {
            throw ConfigError(field: "phrases.\(key)", message: "is not a level (normal, prealarm, alarm)")
        }
        let own: Set<CodingKeys> = switch type {
        case .hook: [.program, .args, .timeoutS]
        case .speech: [.language, .voice, .device, .phrases, .staleS]
        case .log: []
        case .gpio: [.chip, .red, .amber, .green, .activeLow, .button]
        case .webhook: [.url, .token, .tokenFile, .tokenHeader, .caFile, .timeoutS, .retryMaxS]
        }
        for key in [CodingKeys.program, .args, .timeoutS, .language, .voice, .device, .phrases, .staleS, .chip, .red, .amber, .green, .activeLow, .button,
                    .url, .token, .tokenFile, .tokenHeader, .caFile, .retryMaxS]
        where c.contains(key) && !own.contains(key) {
            throw ConfigError(field: key.rawValue, message: "is not a setting of a \(type.rawValue) sink")
        }
        try check()
    }

    /// What can be checked before the daemon starts: the hook's program is there and may be
    /// run; espeak-ng is installed and knows the voice.
    func check() throws {
        switch type {
        case .hook:
            guard let program else { throw ConfigError(field: "program", message: "is needed: the program to run (no shell), with args") }
            guard Self.resolve(program) != nil else {
                throw ConfigError(field: "program", message: "'\(program)' is not an executable file\(program.contains("/") ? "" : " on PATH")")
            }
            if !(timeoutS > 0) { throw ConfigError(field: "timeout_s", message: "\(timeoutS) is not a number of seconds (> 0)") }
        case .speech:
            guard Self.resolve("espeak-ng") != nil else {
                throw ConfigError(field: "type", message: "speech needs espeak-ng, which is not installed (apt-get install espeak-ng)")
            }
            if device != nil, Self.resolve("aplay") == nil {
                throw ConfigError(field: "device", message: "playing on an ALSA device needs aplay, which is not installed (apt-get install alsa-utils)")
            }
            let voice = self.voice ?? SpeechPrompt.defaultVoice(language)
            // espeak-ng itself takes an unknown name for the nearest it has ("no-such" speaks
            // Norwegian): the voice must be one it lists, by language, name or file (a
            // variant after `+` aside).
            let listed = (try? runProgram(Self.resolve("espeak-ng")!, ["--voices"], timeoutS: 10))?.output ?? ""
            let known = listed.split(separator: "\n").dropFirst().flatMap { line -> [String] in
                let f = line.split(separator: " ", omittingEmptySubsequences: true).map { $0.lowercased() }
                guard f.count >= 5 else { return [] }
                return [f[1], f[3], f[4], String(f[4].split(separator: "/").last ?? "")]
            }
            let base = voice.split(separator: "+").first.map { $0.lowercased() } ?? ""
            if !known.contains(base) {
                throw ConfigError(field: "voice", message: "espeak-ng has no voice '\(voice)' (espeak-ng --voices lists them)")
            }
            if !(staleS > 0) { throw ConfigError(field: "stale_s", message: "\(staleS) is not a number of seconds (> 0)") }
        case .log:
            break
        case .webhook:
            try Webhook.check(self)
        case .gpio:
            guard let chip else { throw ConfigError(field: "chip", message: "is needed: the GPIO chip (gpiochip0, /dev/gpiochip0, its label or number)") }
            let lines = [("red", red), ("amber", amber), ("green", green), ("button", button)].compactMap { n, v in v.map { (n, $0) } }
            guard lines.contains(where: { $0.0 != "button" }) else {
                throw ConfigError(field: "red", message: "a gpio sink needs a line for at least one light (red, amber, green)")
            }
            for (i, a) in lines.enumerated() {
                if let b = lines[..<i].first(where: { $0.1 == a.1 }) { throw ConfigError(field: a.0, message: "line \(a.1) is \(b.0)'s already") }
            }
            let opened: GPIOChip
            do { opened = try GPIOChip(chip) } catch { throw ConfigError(field: "chip", message: "\(error)") }
            for (n, v) in lines where v < 0 || v >= opened.lineCount {
                throw ConfigError(field: n, message: "GPIO chip \(opened.name) has no line \(v) (it has \(opened.lineCount): 0…\(opened.lineCount - 1))")
            }
        }
    }

    /// `program` itself when it has a `/`, else the first match on PATH; nil unless executable.
    static func resolve(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first { access($0, X_OK) == 0 }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encodeIfPresent(lanes, forKey: .lanes)
        try c.encode(levels.map(\.rawValue), forKey: .levels)
        try c.encode(gate, forKey: .gate)
        switch type {
        case .hook:
            try c.encodeIfPresent(program, forKey: .program)
            try c.encode(args, forKey: .args)
            try c.encode(timeoutS, forKey: .timeoutS)
        case .speech:
            try c.encode(language, forKey: .language)
            try c.encodeIfPresent(voice, forKey: .voice)
            try c.encodeIfPresent(device, forKey: .device)
            try c.encode(phrases, forKey: .phrases)
            try c.encode(staleS, forKey: .staleS)
        case .log:
            break
        case .webhook:
            try c.encodeIfPresent(url, forKey: .url)
            // The token itself is never written out (check-config prints the configuration): token_file keeps it apart.
            try c.encodeIfPresent(tokenFile, forKey: .tokenFile)
            try c.encode(tokenHeader, forKey: .tokenHeader)
            try c.encodeIfPresent(caFile, forKey: .caFile)
            try c.encode(timeoutS, forKey: .timeoutS)
            try c.encode(retryMaxS, forKey: .retryMaxS)
        case .gpio:
            try c.encodeIfPresent(chip, forKey: .chip)
            try c.encodeIfPresent(red, forKey: .red)
            try c.encodeIfPresent(amber, forKey: .amber)
            try c.encodeIfPresent(green, forKey: .green)
            try c.encode(activeLow, forKey: .activeLow)
            try c.encodeIfPresent(button, forKey: .button)
        }
    }
}

/// What a program run gave: its exit status (nil when it had to be killed), and what it wrote.
struct ProgramRun {
    var status: Int32?
    var output: String
}

/// Held while pipes are made and marked close-on-exec, and while a program is spawned.
private let spawning = NSLock()

/// Runs `path` with `args` (no shell) in a process group of its own, `input` on its standard
/// input and `environment` added to canthus's own; standard output and error together (up to
/// 64 KiB kept). Past `timeoutS` the group (the program and what it started) gets SIGTERM, a
/// second later SIGKILL, and the status is nil.
func runProgram(_ path: String, _ args: [String], input: Data = Data(), environment: [String: String] = [:], timeoutS: Double) throws -> ProgramRun {
    // The pipes are close-on-exec before any other sink's thread can start a program (the
    // dup2s below give the child its own): made and marked under the lock every spawn takes.
    // (Glibc's pipe2 with O_CLOEXEC would do it at once, but Swift's Glibc does not offer it.)
    var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
    try spawning.withLock {
        guard pipe(&toChild) == 0 else { throw SinkFailure("\(path): cannot make a pipe: \(errnoDescription(errno))") }
        guard pipe(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            throw SinkFailure("\(path): cannot make a pipe: \(errnoDescription(errno))")
        }
        for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }
    defer { close(fromChild[0]) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    posix_spawnattr_setpgroup(&attributes, 0)
    var signals = sigset_t()
    sigemptyset(&signals)
    posix_spawnattr_setsigmask(&attributes, &signals)
    // The daemon handles SIGTERM, SIGINT and SIGHUP itself: the program gets them as usual.
    for sig in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&signals, sig) }
    posix_spawnattr_setsigdefault(&attributes, &signals)
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
    let argv = ([path] + args).map { strdup($0) } + [nil]
    let envp = env.map { strdup($0) } + [nil]
    defer { for p in argv + envp { free(p) } }
    var pid: pid_t = 0
    let rc = spawning.withLock { posix_spawn(&pid, path, &actions, &attributes, argv, envp) }
    close(toChild[0])
    close(fromChild[1])
    guard rc == 0 else {
        close(toChild[1])
        throw SinkFailure("\(path): cannot run: \(errnoDescription(rc))")
    }
    // The input, as much as the pipe takes at once (a program that does not read it is not waited for).
    _ = fcntl(toChild[1], F_SETFL, O_NONBLOCK)
    _ = input.withUnsafeBytes { write(toChild[1], $0.baseAddress, $0.count) }
    close(toChild[1])
    var output = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
    func keep(_ n: Int) { if output.count < 65_536 { output += buffer[0..<min(n, 65_536 - output.count)] } }
    var status: Int32 = 0
    var killed = false
    var pipeOpen = true
    let start = DispatchTime.now().uptimeNanoseconds
    var termSentNs: UInt64?
    while true {
        if pipeOpen {
            var p = pollfd(fd: fromChild[0], events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) > 0 {
                let n = read(fromChild[0], &buffer, buffer.count)
                if n > 0 { keep(n) } else { pipeOpen = false }
            }
        } else {
            usleep(20_000)
        }
        if waitpid(pid, &status, WNOHANG) == pid { break }
        let now = DispatchTime.now().uptimeNanoseconds
        if termSentNs == nil, Double(now - start) / 1e9 > timeoutS {
            killed = true
            kill(-pid, SIGTERM)
            termSentNs = now
        } else if let t = termSentNs, now - t > 1_000_000_000 {
            kill(-pid, SIGKILL)
            waitpid(pid, &status, 0)
            break
        }
    }
    if killed { kill(-pid, SIGKILL) }   // what it started, if still there
    // What is left in the pipe, without waiting for its end (a child of the program may hold it).
    _ = fcntl(fromChild[0], F_SETFL, O_NONBLOCK)
    while true {
        let n = read(fromChild[0], &buffer, buffer.count)
        if n <= 0 { break }
        keep(n)
    }
    let code: Int32? = killed ? nil : ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))
    return ProgramRun(status: code, output: String(decoding: output, as: UTF8.self))
}

/// The words spoken to the person: the level's phrase with the reading in it.
public enum SpeechPrompt {
    public static func defaultVoice(_ language: SinkConfig.Language) -> String { language == .zh ? "cmn" : "en" }

    /// The phrases the instrument speaks, by language and level (`{temperature}`: one decimal).
    public static let phrases: [SinkConfig.Language: [Level: String]] = [
        .zh: [.normal: "体温{temperature}度，请通行",
              .prealarm: "体温{temperature}度，请稍候，重新测量",
              .alarm: "体温{temperature}度，请稍候，工作人员将为您复测"],
        .en: [.normal: "Temperature {temperature} degrees. Please go ahead.",
              .prealarm: "Temperature {temperature} degrees. Please wait to be measured again.",
              .alarm: "Temperature {temperature} degrees. Please wait; a member of staff will check you again."],
    ]

    public static func text(_ d: Decision, language: SinkConfig.Language, templates: [String: String] = [:]) -> String {
        let template = templates[d.level.rawValue] ?? phrases[language]![d.level]!
        let tenths = Int((d.temperatureC * 10).rounded())
        return template.replacingOccurrences(of: "{temperature}", with: "\(tenths / 10).\(abs(tenths % 10))")
    }
}

/// One thing for a sink to act on: a decision, or the gate light changing.
public enum AlarmItem: Sendable {
    /// `wallMs`: when the lane published it (the records' wall clock).
    case decision(Event, wallMs: Int64, queuedNs: UInt64)
    /// `decidedMs`: the wall time the decision that changed the light was published (nil for a
    /// hold running out or an acknowledgement).
    case gate(lane: String, gate: String, light: GateLight, cause: String?, decidedMs: Int64? = nil)

    /// As JSON for a hook's standard input: the event as the stream has it, or
    /// `{"type":"gate","lane":…,"gate":…,"light":"red","cause":EVENT_ID}`.
    var json: String {
        switch self {
        case .decision(let e, _, _): return e.json
        case .gate(let lane, let gate, let light, let cause, _):
            var w = JSONLineWriter()
            w.field("type", string: "gate")
            w.field("lane", string: lane)
            w.field("gate", string: gate)
            w.field("light", string: light.rawValue)
            if let cause { w.field("cause", string: cause) }
            return w.line
        }
    }

    /// For a hook's environment: CANTHUS_TYPE, _ID, _WALL_MS, _LANE, _GATE, _LEVEL, _TEMPERATURE_C, _TRACK, _LIGHT.
    var environment: [String: String] {
        switch self {
        case .decision(let e, let wallMs, _):
            guard case .decision(let d) = e.body else { return [:] }
            return ["CANTHUS_TYPE": "decision", "CANTHUS_ID": e.id, "CANTHUS_WALL_MS": String(wallMs), "CANTHUS_LANE": e.lane, "CANTHUS_GATE": e.gate,
                    "CANTHUS_LEVEL": d.level.rawValue, "CANTHUS_TEMPERATURE_C": String(format: "%.2f", d.temperatureC),
                    "CANTHUS_TRACK": String(d.track)]
        case .gate(let lane, let gate, let light, let cause, _):
            return ["CANTHUS_TYPE": "gate", "CANTHUS_LANE": lane, "CANTHUS_GATE": gate, "CANTHUS_LIGHT": light.rawValue,
                    "CANTHUS_ID": cause ?? ""]
        }
    }
}

public enum GateLight: String, Sendable, Comparable {
    case green, amber, red
    var rank: Int { self == .green ? 0 : self == .amber ? 1 : 2 }
    public static func < (a: GateLight, b: GateLight) -> Bool { a.rank < b.rank }
    init(_ level: Level) { self = level == .alarm ? .red : level == .prealarm ? .amber : .green }
}

/// One lane's gate light: the highest level among the people in front of it (a person's level
/// from their decision, until their track ends), red held `holdS` after an alarm and, when so
/// configured, until every alarm on it is acknowledged.
public struct GateState: Sendable {
    public let config: GateConfig
    public private(set) var light = GateLight.green
    /// Decided people still in view, by track, and the id of their decision.
    private var present: [Int: (level: Level, id: String)] = [:]
    private var redUntilS = -Double.infinity
    private var unacknowledged: [String] = []
    /// The alarm that made it red.
    public private(set) var cause: String?

    public init(config: GateConfig) { self.config = config }

    /// Takes in a record at `nowS` (seconds on a monotonic clock); returns the new light when it changed.
    public mutating func note(_ record: LaneRecord, nowS: Double) -> GateLight? {
        switch record {
        case .event(let r):
            guard case .decision(let d) = r.event.body else { return nil }
            present[d.track] = (d.level, r.event.id)
            if d.level == .alarm {
                redUntilS = nowS + config.holdS
                cause = r.event.id
                if config.untilAcknowledged { unacknowledged.append(r.event.id) }
            }
        case .track(let t):
            present[t.continues ?? t.track] = nil
        case .acknowledgement(let a):
            unacknowledged.removeAll { $0 == a.eventID }
        }
        return update(nowS: nowS)
    }

    /// The light as time has it (a hold running out); returns it when it changed.
    public mutating func update(nowS: Double) -> GateLight? {
        var next = present.values.map { GateLight($0.level) }.max() ?? .green
        if nowS < redUntilS || !unacknowledged.isEmpty { next = .red }
        guard next != light else { return nil }
        light = next
        if next != .red { cause = nil }
        return next
    }
}

/// Reads the lanes' records (a fan-out consumer), keeps each lane's gate light, and hands each
/// sink what it asked for through the sink's own queue: a slow, failing or hanging sink never
/// delays screening, the store, or another sink.
public final class AlarmRouter: @unchecked Sendable {
    public static let component = "alarms"
    private let config: AlarmsConfig
    private let sinks: [AlarmSink]
    private var gates: [String: GateState] = [:]
    private let lock = NSLock()
    private var lights: [String: GateLight] = [:]
    private let log = Logger(label: "canthus.alarms")

    /// `acknowledge(lane, via)`: a sink's button was pressed — every unacknowledged alarm of the
    /// lane is acknowledged (as `canthus ack` does, recorded with `via`). Throws when a sink cannot
    /// start (its GPIO chip or line is not there or is taken).
    public init(config: AlarmsConfig, lanes: [(name: String, gate: String)], health: HealthModel,
                acknowledge: @escaping @Sendable (_ lane: String, _ via: String) -> Void = { _, _ in }) throws {
        self.config = config
        let allLanes = lanes.map(\.name)
        // Webhooks read the store's outbox (WebhookSender), not this router.
        sinks = try config.sinks.enumerated().filter { $0.element.type != .webhook }.map { i, c in
            do { return try AlarmSink(config: c, name: c.displayName(i), lane: c.lanes?.first ?? allLanes.first ?? "main", health: health, acknowledge: acknowledge) } catch {
                throw ConfigError(field: "alarms.sinks[\(i)]", message: "\(error)")
            }
        }
        for lane in lanes {
            gates[lane.name] = GateState(config: config.gate)
            lights[lane.name] = .green
        }
        gateNames = Dictionary(uniqueKeysWithValues: lanes.map { ($0.name, $0.gate) })
    }

    private let gateNames: [String: String]

    /// Each lane's light now (`canthus status`).
    public var currentLights: [String: GateLight] { lock.lock(); defer { lock.unlock() }; return lights }

    static func nowS() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The fan-out consumer's handler (an empty batch is a tick: holds run out).
    public func handle(_ batch: [LaneRecord]) {
        let now = Self.nowS()
        for r in batch {
            let lane: String
            switch r {
            case .event(let e):
                lane = e.event.lane
                if case .decision(let d) = e.event.body {
                    let item = AlarmItem.decision(e.event, wallMs: e.wallMs, queuedNs: DispatchTime.now().uptimeNanoseconds)
                    for s in sinks where s.config.levels.contains(d.level) && s.serves(lane) { s.queue.offer(item) }
                }
            case .track(let t): lane = t.lane
            case .acknowledgement(let a): lane = String(a.eventID.prefix { $0 != "/" })
            }
            if let light = gates[lane]?.note(r, nowS: now) { changed(lane, light, decidedMs: r.wallMsOfDecision) }
        }
        for lane in gates.keys {
            if let light = gates[lane]!.update(nowS: now) { changed(lane, light) }
        }
    }

    private func changed(_ lane: String, _ light: GateLight, decidedMs: Int64? = nil) {
        lock.lock(); lights[lane] = light; lock.unlock()
        let item = AlarmItem.gate(lane: lane, gate: gateNames[lane] ?? "", light: light, cause: gates[lane]?.cause, decidedMs: decidedMs)
        for s in sinks where s.config.gate && s.serves(lane) { s.queue.offer(item) }
    }

    /// Closes every sink at once (each finishes its queue for at most 5 s).
    public func close() {
        let group = DispatchGroup()
        for sink in sinks {
            group.enter()
            Thread { sink.close(); group.leave() }.start()
        }
        group.wait()
    }
}

/// One configured sink on its own queue and thread. Its failures are counted and reported in
/// the health model (`alarm NAME`: degraded, `alarm_sink_failing`, the cause), said once in the
/// log until it works again; the next item tries again. It never throws into the daemon.
final class AlarmSink: @unchecked Sendable {
    let config: SinkConfig
    let name: String
    private(set) var queue: WorkQueue<AlarmItem>!
    private let health: HealthModel
    private let log: Logger
    private var failing = false
    /// A gpio sink's lines, by light, and its button's watcher.
    private var lamps: [(light: GateLight, line: GPIOLine)] = []
    private var buttonThread: Thread?
    private var lineSetTimes = FrameTimes()
    private let stopButton = StopFlag()

    init(config: SinkConfig, name: String, lane: String, health: HealthModel, acknowledge: @escaping @Sendable (String, String) -> Void) throws {
        self.config = config
        self.name = name
        self.health = health
        log = Logger(label: "canthus.alarm.\(name)")
        let component = "alarm \(name)"
        health.report(component, .ok)
        if config.type == .gpio, let chipName = config.chip {
            let chip = try GPIOChip(chipName)
            for (light, offset) in [(GateLight.red, config.red), (.amber, config.amber), (.green, config.green)] {
                guard let offset else { continue }
                // The light starts green.
                lamps.append((light, try chip.output(offset, value: light == .green, activeLow: config.activeLow, consumer: "canthus \(name)")))
            }
            if let offset = config.button {
                let button = try chip.input(offset, activeLow: config.activeLow, consumer: "canthus \(name) button")
                let via = "button: GPIO chip \(chip.name) line \(offset)"
                let stop = stopButton, log = self.log
                let t = Thread {
                    while !stop.isSet {
                        do {
                            if try button.waitEdge(timeoutS: 0.25) == .rising { acknowledge(lane, via) }
                        } catch {
                            log.error("\(error)")
                            Thread.sleep(forTimeInterval: 1)
                        }
                    }
                }
                t.name = "canthus-\(name)-button"
                buttonThread = t
                t.start()
            }
        }
        // Speech keeps only the latest prompt: it never queues behind a crowd.
        queue = WorkQueue(name: component, capacity: config.type == .speech ? 1 : 256, replacesLatest: config.type == .speech,
                          health: health) { [unowned self] batch in for item in batch { self.act(item) } }
    }

    func serves(_ lane: String) -> Bool { config.lanes?.contains(lane) ?? true }

    /// Finishes what is queued — for at most 5 s: a slow hook's backlog does not hold the
    /// daemon's stop (systemd's TimeoutStopSec) — and stops the button's watcher.
    func close() {
        stopButton.raise()
        queue.close(within: 5)
    }

    private var component: String { "alarm \(name)" }

    private func act(_ item: AlarmItem) {
        do {
            switch config.type {
            case .log:
                log.notice("\(item.json)")
            case .hook:
                let run = try runProgram(SinkConfig.resolve(config.program!) ?? config.program!, config.args, input: Data((item.json + "\n").utf8),
                                         environment: item.environment, timeoutS: config.timeoutS)
                for line in run.output.split(separator: "\n").prefix(20) { log.info("\(config.program!): \(line)") }
                guard let status = run.status else { throw SinkFailure("\(config.program!) was still running after \(config.timeoutS) s and was killed") }
                guard status == 0 else { throw SinkFailure("\(config.program!) exited with status \(status)") }
            case .gpio:
                guard case .gate(_, _, let light, _, let decidedMs) = item else { return }
                // The new lamp on before the others go off: no moment without a light.
                for lamp in lamps where lamp.light == light { try lamp.line.set(true) }
                for lamp in lamps where lamp.light != light { try lamp.line.set(false) }
                if let decidedMs {
                    // Decision published → lines set, in `canthus status` (docs/alarms.md).
                    lineSetTimes.add(ns: UInt64(max(0, EventRecord.nowMs() - decidedMs)) * 1_000_000)
                    health.set(component, "decision_to_line_ms_p99", to: lineSetTimes.percentile(0.99) / 1000)
                    health.set(component, "decision_to_line_ms_max", to: lineSetTimes.maxUs / 1000)
                }
            case .webhook:
                return
            case .speech:
                guard case .decision(let e, _, let queuedNs) = item, case .decision(let d) = e.body else { return }
                if Double(DispatchTime.now().uptimeNanoseconds &- queuedNs) / 1e9 > config.staleS {
                    health.count(component, "stale")
                    return
                }
                try speak(SpeechPrompt.text(d, language: config.language, templates: config.phrases))
            }
            health.count(component, "done")
            if failing {
                failing = false
                health.report(component, .ok)
                log.notice("works again")
            }
        } catch {
            health.count(component, "failed")
            if !failing {
                failing = true
                log.error("\(error)")
            }
            health.report(component, .degraded, reasons: [ReasonCode.alarmSinkFailing.rawValue], detail: "\(error)")
        }
    }

    private func speak(_ text: String) throws {
        let espeak = SinkConfig.resolve("espeak-ng") ?? "espeak-ng"
        let voice = config.voice ?? SpeechPrompt.defaultVoice(config.language)
        if let device = config.device {
            // espeak-ng's WAV in a file, played by aplay on the chosen ALSA device.
            let wav = NSTemporaryDirectory() + "/canthus-prompt-\(getpid())-\(name).wav"
            defer { unlink(wav) }
            let made = try runProgram(espeak, ["-v", voice, "-w", wav, text], timeoutS: 10)
            guard made.status == 0 else { throw SinkFailure("espeak-ng: \(made.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
            let run = try runProgram(SinkConfig.resolve("aplay") ?? "aplay", ["-q", "-D", device, wav], timeoutS: 30)
            guard run.status == 0 else { throw SinkFailure("aplay -D \(device): \(run.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
        } else {
            let run = try runProgram(espeak, ["-v", voice, text], timeoutS: 30)
            guard run.status == 0 else { throw SinkFailure("espeak-ng: \(run.output.trimmingCharacters(in: .whitespacesAndNewlines))") }
        }
    }
}

struct SinkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

extension LaneRecord {
    /// A decision's publication time (wall ms), for what it causes.
    var wallMsOfDecision: Int64? {
        guard case .event(let e) = self, case .decision = e.event.body else { return nil }
        return e.wallMs
    }
}
