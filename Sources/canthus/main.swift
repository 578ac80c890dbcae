import ArgumentParser
import Capture
import Daemon
import Foundation
import Radiometry
import Records
import Screening
import Simulation
import USBCapture

@main
struct Canthus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canthus",
        abstract: "Fever screening from thermal cameras: measure everyone at the inner canthus, alarm, count, record.",
        version: CanthusVersion.string,
        subcommands: [Run.self, CheckConfig.self, Status.self, Ack.self, Reload.self, Events.self, Stats.self, Tracks.self, Export.self, Purge.self, StoreStress.self, Replay.self, Screen.self, Simulate.self, Eval.self, Convert.self, Calibrate.self, Verify.self, Devices.self, RecordCommand.self])
}

/// Errors printed as one line naming what is wrong, exit status 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
}

extension Failure: CustomNSError {
    static var errorDomain: String { "canthus" }
}

struct ImportArguments: ParsableArguments {
    @Option(help: "Import preset for files without rotation/reference facts: feverscreen-kiosk, none.")
    var importPreset: String?
    @Option(help: "Rotate the sensor image clockwise by 0, 90, 180 or 270 degrees to see it upright.")
    var rotate: Int?
    @Option(help: "Reference (blackbody) set temperature in °C; found automatically unless --reference-at is given.")
    var referenceSet: Double?
    @Option(help: "Reference centre in sensor pixels, as X,Y.")
    var referenceAt: String?
    @Option(help: "Reference radius in pixels.")
    var referenceRadius: Double = 6
    @Flag(help: "Ignore any reference the file declares.")
    var noReference = false

    /// The import options for a run or replay under `config`, whose source settings fill in
    /// what the command line leaves out; the preset also says how its source was used
    /// (`screening.protocol`) where the configuration does not.
    func options(for config: inout CanthusConfig) throws -> ImportOptions {
        let options = try options(preset: config.source.importPreset, referenceSetC: config.source.referenceSetC)
        ImportPreset.applyProtocol(importPreset ?? config.source.importPreset, to: &config.screening)
        return options
    }

    func options(preset fallback: String?, referenceSetC: Double? = nil) throws -> ImportOptions {
        var o = try (importPreset ?? fallback).map { try ImportPreset.named($0, referenceSetC: referenceSet ?? referenceSetC) } ?? ImportOptions()
        if let rotate {
            guard let r = Rotation(rawValue: rotate) else { throw Failure(description: "--rotate: \(rotate) is not 0, 90, 180 or 270") }
            o.rotation = r
        }
        if let referenceSet {
            var ref = ReferenceSource(radiusPx: referenceRadius, setTemperatureC: referenceSet)
            if let referenceAt {
                let parts = referenceAt.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard parts.count == 2 else { throw Failure(description: "--reference-at: '\(referenceAt)' is not X,Y") }
                ref.x = parts[0]
                ref.y = parts[1]
            }
            o.reference = ref
        }
        o.noReference = noReference
        return o
    }
}

/// What `replay` and `screen` share: the output format, the configuration and import options.
struct PipelineArguments: ParsableArguments {
    @Option(help: "Output: text (one readable line per event) or ndjson (the event stream).")
    var format: String = "text"
    @Option(help: "Configuration file (YAML), as for canthus run.")
    var config: String?
    @OptionGroup var importArguments: ImportArguments

    /// The configuration, the import options, and the writer of events to standard output.
    func prepare() throws -> (CanthusConfig, ImportOptions, (Event) -> Void) {
        guard format == "text" || format == "ndjson" else { throw ValidationError("--format must be text or ndjson") }
        var cfg = try config.map(CanthusConfig.load) ?? CanthusConfig()
        let options = try importArguments.options(for: &cfg)
        let out = FileHandleOutput.standardOutput
        let ndjson = format == "ndjson"
        return (cfg, options, { out.write(ndjson ? $0.json : $0.text) })
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole pipeline on recordings (canthus format or CPTV) and print its events.")

    @Argument(help: "Recordings to replay, in order.")
    var files: [String]
    @Option(help: "Also write the events to this records store (SQLite; created if absent), as `canthus run` does.")
    var store: String?
    @OptionGroup var pipeline: PipelineArguments

    func run() throws {
        let (cfg, options, write) = try pipeline.prepare()
        guard let store else {
            let summaries = try replay(paths: files, config: cfg, importOptions: options, emit: write)
            for s in summaries { for p in s.problems { FileHandleOutput.standardError.write("warning: \(p)") } }
            return
        }
        let db: RecordStore
        do { db = try RecordStore(path: store) } catch { throw Failure(description: "--store: \(error)") }
        // The same records `canthus run` keeps: events with what the store keeps beside them, tracks, pictures.
        var maker = RecordMaker(calibrationGain: cfg.calibration.gain, calibrationOffsetC: cfg.calibration.offsetC,
                                pictures: cfg.records.pictures, viewEveryS: cfg.records.viewEveryS)
        var pending: [LaneRecord] = []
        let tap = ScreeningTap(event: { event, screener, frame in pending.append(.event(maker.record(event, screener: screener, frame: frame))) },
                               trackEnded: { track, key, screener, frame in
                                   pending.append(.track(maker.record(track: track, sourceKey: key, screener: screener, frame: frame)))
                               })
        let summaries = try replay(paths: files, config: cfg, importOptions: options, tap: tap, emit: write)
        for s in summaries { for p in s.problems { FileHandleOutput.standardError.write("warning: \(p)") } }
        do {
            try StorePictures.prepare(&pending, directory: db.directory)
            try db.write(pending)
        } catch { throw Failure(description: "--store: \(error)") }
    }
}

struct Screen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Screen photos (FLIR JPEG, radiometric TIFF, temperature table, TC001 frame) or recordings: every person, decided or rejected with reasons.",
        discussion: "A photo is one frame: the rules that need time are relaxed for it (docs/screening.md). With several files, --image OUT.png writes OUT-<file>.png for each.")

    @Argument(help: "Files to screen.")
    var files: [String]
    @Option(help: "Write an annotated PNG: the frame in false colour, a box, id and reading or reason per person, the scale.")
    var image: String?
    @OptionGroup var pipeline: PipelineArguments

    func run() throws {
        let (cfg, options, write) = try pipeline.prepare()
        var failures: [String] = []
        for file in files {
            var imagePath = image
            if let image, files.count > 1 {
                let ext = (image as NSString).pathExtension
                let stem = ext.isEmpty ? image : String(image.dropLast(ext.count + 1))
                let base = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
                imagePath = stem + "-" + base + (ext.isEmpty ? ".png" : "." + ext)
            }
            do {
                _ = try screenFile(path: file, config: cfg, importOptions: options, imagePath: imagePath, emit: write)
            } catch {
                FileHandleOutput.standardError.write("error: \(error)")
                failures.append(file)
            }
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}

/// Line-buffered writer to a file descriptor.
struct FileHandleOutput {
    let handle: FileHandle
    static var standardOutput: FileHandleOutput { FileHandleOutput(handle: .standardOutput) }
    static var standardError: FileHandleOutput { FileHandleOutput(handle: .standardError) }
    func write(_ line: String) { handle.write(Data((line + "\n").utf8)) }
}

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate a scene: write a recording and its truth file.",
        discussion: "Presets: \(Presets.names.joined(separator: ", ")). A scenario file (YAML) describes any other scene; docs/simulator.md.")

    @Option(help: "A named scene.")
    var preset: String?
    @Option(help: "A scenario file (YAML).")
    var scenario: String?
    @Option(help: "Random seed: the same seed gives the same bytes.")
    var seed: UInt64 = 1
    @Option(help: "Recording to write.")
    var out: String
    @Option(help: "Truth file to write (default: OUT with .truth.json).")
    var truth: String?

    func run() throws {
        guard (preset == nil) != (scenario == nil) else { throw ValidationError("give exactly one of --preset or --scenario") }
        let s = try preset.map(Presets.named) ?? Scenario.load(path: scenario!)
        let truthPath = truth ?? Self.truthPath(for: out)
        let t = try Simulator(scenario: s, seed: seed).run(recordingPath: out, truthPath: truthPath)
        print("wrote \(out) (\(t.frameCount) frames, \(t.people.count) people, \(t.people.filter(\.measurable).count) measurable) and \(truthPath)")
    }

    static func truthPath(for recording: String) -> String {
        (recording.hasSuffix(".canthus") ? String(recording.dropLast(8)) : recording) + ".truth.json"
    }
}

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score the pipeline on simulated recordings against their truth files.")

    @Argument(help: "Recordings to evaluate.")
    var recordings: [String]
    @Option(parsing: .upToNextOption, help: "Truth files, one per recording, in the same order (default: each recording's .truth.json).")
    var truth: [String] = []
    @Option(help: "Configuration file (YAML).")
    var config: String?
    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let truths = truth.isEmpty ? recordings.map(Simulate.truthPath) : truth
        guard truths.count == recordings.count else {
            throw ValidationError("\(recordings.count) recordings but \(truths.count) truth files")
        }
        let cfg = try config.map(CanthusConfig.load) ?? CanthusConfig()
        let e = try Evaluator.evaluate(recordings: recordings, truths: truths, config: cfg.screening, calibration: cfg.calibration,
                                       flatField: cfg.flatField)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try enc.encode(e), as: UTF8.self))
        } else {
            print(e.table)
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the screening service with a configuration file.",
        discussion: "Events are appended to RECORDS_DIRECTORY/events.ndjson. On a terminal a live false-colour view is drawn; otherwise one line per event is printed.")

    @Option(help: "Configuration file (YAML).")
    var config: String
    @Flag(inversion: .prefixedNo, help: "Draw the live view (default: when standard output is a terminal).")
    var view: Bool?
    @OptionGroup var importArguments: ImportArguments

    func run() async throws {
        var cfg = try CanthusConfig.load(path: config)
        let options = try importArguments.options(for: &cfg)
        let live = view ?? (isatty(STDOUT_FILENO) != 0)
        RateLimitedLogHandler.bootstrap()
        let service = ScreeningService(config: cfg, importOptions: options, live: live, configPath: config, serveControl: true)
        let out = FileHandleOutput.standardOutput
        let s = try await service.run { out.handle.write(Data($0.utf8)) }
        for p in s.problems { FileHandleOutput.standardError.write("warning: \(p)") }
        for c in s.health where c.state != .ok || ["dropped", "not_written", "dropped_unwritten"].contains(where: { (c.counters[$0] ?? 0) > 0 }) {
            FileHandleOutput.standardError.write("warning: " + HealthModel.line(c))
        }
        out.write(String(format: "%@: %d frames, %d people measured (%d alarm, %d pre-alarm), %d rejected, %d counted; events in %@",
                         s.stoppedBySignal ? "stopped" : "end of recording", s.frames, s.decisions, s.alarms, s.prealarms,
                         s.rejected, s.counted, s.eventLog))
    }
}

/// Where the running daemon's control socket is: --socket, else the configuration's
/// `control.socket`, else the default (`ControlSocket.defaultPath`).
struct ControlArguments: ParsableArguments {
    @Option(help: "The daemon's control socket (default: control.socket of --config, else the runtime directory's).")
    var socket: String?
    @Option(help: "The daemon's configuration file, to find its control socket.")
    var config: String?

    func path() throws -> String {
        if let socket { return socket }
        if let config {
            // A file that does not load (the one a reload is about to refuse): the daemon's
            // socket where it is by default, so the daemon itself says what is wrong.
            return (try? CanthusConfig.load(path: config).control.path) ?? ControlSocket.defaultPath()
        }
        return ControlSocket.defaultPath()
    }

    /// Sends `command`; prints the answer; a refusal is the error (exit 1).
    func send(_ command: String) throws -> [String: Any] {
        let answer: String
        do { answer = try ControlSocket.send(command, to: try path()) } catch { throw Failure(description: "\(error)") }
        guard let o = try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any] else {
            throw Failure(description: "the daemon answered something that is not JSON: \(answer)")
        }
        if o["ok"] as? Bool != true { throw Failure(description: (o["error"] as? String) ?? answer) }
        return o
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The running daemon's health: each part's state and reasons, frames per lane, unacknowledged alarms.")
    @OptionGroup var control: ControlArguments
    @Flag(help: "Print the daemon's JSON answer.") var json = false

    func run() throws {
        let o = try control.send("status")
        if json {
            let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("canthus (pid \(o["pid"] ?? "?")): \(o["state"] ?? "?")")
        for c in (o["components"] as? [[String: Any]]) ?? [] {
            var line = "  \(c["name"] ?? ""): \(c["state"] ?? "")"
            if let r = c["reasons"] as? [String], !r.isEmpty { line += " (\(r.joined(separator: ", ")))" }
            if let d = c["detail"] as? String, !d.isEmpty { line += " — \(d)" }
            if let counters = c["counters"] as? [String: Int], !counters.isEmpty {
                line += "; " + counters.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            print(line)
        }
        for (lane, n) in ((o["frames"] as? [String: Int]) ?? [:]).sorted(by: { $0.key < $1.key }) { print("  lane \(lane): \(n) frames") }
        print("  decisions \(o["decisions"] ?? 0) (alarms \(o["alarms"] ?? 0), pre-alarms \(o["prealarms"] ?? 0)), counted \(o["counted"] ?? 0)")
        let open = (o["unacknowledged"] as? [String]) ?? []
        print("  unacknowledged alarms: " + (open.isEmpty ? "none" : open.joined(separator: ", ")))
    }
}

struct Ack: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Acknowledge an alarm or pre-alarm by its event id (canthus status lists them).")
    @Argument(help: "The event id.") var eventID: String
    @OptionGroup var control: ControlArguments

    func run() throws {
        let o = try control.send("ack \(eventID)")
        print(o["already"] as? Bool == true ? "\(eventID): already acknowledged" : "\(eventID): acknowledged")
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ask the running daemon to re-read its configuration (as SIGHUP does); a broken file is refused and the running settings stay.")
    @OptionGroup var control: ControlArguments

    func run() throws {
        let o = try control.send("reload")
        print("reloaded: \(o["applied"] ?? "")")
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and print the effective settings and each lane's screening distance.",
        discussion: "Exit status 1 with one line FILE:LINE: key: what is wrong, for the first mistake.")

    @Argument(help: "Configuration file (YAML).")
    var file: String

    func run() throws {
        let check: ConfigCheck
        do { check = try ConfigCheck.run(path: file) } catch { throw Failure(description: "\(error)") }
        for w in check.warnings { FileHandleOutput.standardError.write("warning: \(w)") }
        print("\(file): valid")
        for l in check.lanes { print(l) }
        print("effective settings:")
        print(check.effective, terminator: "")
    }
}

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-pixel temperatures of one frame (FLIR radiometric JPEG, 16-bit TIFF, TC001 dump, recording, CPTV).",
        discussion: "Object parameters default to the file's own; humidity is a fraction (0.5 for 50 %).")

    @Argument(help: "The file to convert.")
    var file: String
    @Option(help: "Write °C per pixel: comma-separated, three decimals, one line per image row.")
    var temperatures: String?
    @Option(help: "Write a false-colour PNG with a temperature scale.")
    var image: String?
    @Option(help: "Frame to convert (0-based) for multi-frame files.")
    var frame: Int = 0
    @Option(help: "Object emissivity (0…1].") var emissivity: Double?
    @Option(help: "Object distance in metres.") var distance: Double?
    @Option(help: "Reflected apparent temperature in °C.") var reflected: Double?
    @Option(help: "Atmospheric temperature in °C.") var atmosphere: Double?
    @Option(help: "Relative humidity as a fraction (0.5 for 50 %).") var humidity: Double?
    @OptionGroup var importArguments: ImportArguments

    func run() throws {
        guard temperatures != nil || image != nil else { throw ValidationError("give --temperatures OUT.csv and/or --image OUT.png") }
        let overrides = ThermalConversion.Overrides(emissivity: emissivity, distanceM: distance, reflectedC: reflected,
                                                    atmosphereC: atmosphere, relativeHumidity: humidity)
        let c = try ThermalConversion(path: file, frame: frame, overrides: overrides, options: try importArguments.options(preset: nil))
        if let temperatures {
            do { try c.csv().write(toFile: temperatures, atomically: true, encoding: .utf8) } catch {
                throw Failure(description: "\(temperatures): cannot write: \(error.localizedDescription)")
            }
        }
        if let image { try c.writePNG(path: image) }
        let finite = c.celsius.filter(\.isFinite)
        print(String(format: "%@: %d×%d, %.3f … %.3f °C", file, c.width, c.height, finite.min() ?? .nan, finite.max() ?? .nan))
    }
}

struct CalibrationArguments: ParsableArguments {
    @Option(help: "Where the frames come from: a camera (/dev/video0, /dev/canthus/purethermal; usb or usb:SERIAL for a FLIR ONE) or a recording of the blackbody.")
    var source: String
    @Option(help: "For a camera: its model (as for canthus record).")
    var camera: String = "lepton35"
    @Option(help: "For a camera: its video input.")
    var input: UInt32?
    @Option(help: "Blackbody set temperatures in °C, comma-separated, in the order they will be set.")
    var setpoints: String
    @Option(help: "The blackbody's region in sensor pixels as X,Y,WIDTH,HEIGHT (default: the central half of the view).")
    var region: String?
    @Option(help: "Frames averaged per set-point once the reading holds steady.")
    var frames: Int = 20
    @Option(help: "Pass when every residual is within ± this many °C.")
    var tolerance: Double = 0.3
    @Flag(help: "Do not wait for Enter before each set-point (scripts, recordings).")
    var nonInteractive = false
    @Flag(help: "Also measure a flat field (per-pixel correction) at the last set-point; the blackbody must fill the view.")
    var flatField = false

    func plan() throws -> CalibrationPlan {
        let values = setpoints.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else { throw Failure(description: "--setpoints: '\(setpoints)' is not a list of °C values like 30,35,40") }
        var plan = CalibrationPlan(setpointsC: values.map { $0! })
        if let region {
            let r = region.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard r.count == 4 else { throw Failure(description: "--region: '\(region)' is not X,Y,WIDTH,HEIGHT") }
            plan.region = r
        }
        plan.frames = frames
        plan.toleranceC = tolerance
        plan.flatField = flatField
        return plan
    }

    func capture(plan: CalibrationPlan) throws -> (FrameSource, [SetpointReading], FlatField?) {
        let source: FrameSource
        var live: (any LiveCamera)?
        let err = FileHandleOutput.standardError
        if self.source == "usb" || self.source.hasPrefix("usb:") {
            let settings: FlirOneSource.Settings
            do { settings = try FlirOneSource.Settings(device: self.source) } catch let e as ConfigError { throw Failure(description: "--source: \(e.message)") }
            let camera = FlirOneSource(settings: settings, log: { err.write($0) })
            (live, source) = (camera, camera)
        } else if self.source.hasPrefix("/dev/") {
            let preset: CameraPreset
            do { preset = try CameraPreset.named(camera) } catch { throw Failure(description: "--camera: \(error)") }
            let camera = V4L2Source(settings: preset.settings(device: self.source, input: input), log: { err.write($0) })
            (live, source) = (camera, camera)
        } else {
            source = try openSource(path: self.source)
        }
        live?.start()
        defer { live?.stop() }
        let interactive = !nonInteractive && isatty(STDIN_FILENO) != 0
        let out = FileHandleOutput.standardOutput
        let capture = CalibrationCapture(plan: plan, prompt: { text in
            out.write(text)
            if interactive { _ = readLine() }
        }, progress: { out.write($0) })
        do {
            let readings = try capture.run(source: source)
            let field = plan.flatField ? try capture.flatField(source: source, frames: plan.frames) : nil
            return (source, readings, field)
        } catch let e as CalibrationError {
            throw Failure(description: "FAIL: \(e.description)")
        }
    }
}

struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Calibrate the camera against a blackbody: residuals at every set-point, PASS or FAIL.",
        discussion: """
            One set-point fits an offset, several a gain and an offset. On PASS the calibration file is written \
            atomically and the one it replaces is kept under history/ beside it; on FAIL nothing is written and the \
            previous calibration stays in force (exit status 1). docs/calibration.md is the technician's guide.
            """)

    @OptionGroup var arguments: CalibrationArguments
    @Option(help: "The calibration file to write on PASS.")
    var out: String = "calibration.json"
    @Option(help: "Record the run (PASS or FAIL) in this records store (default: the installed daemon's, /var/lib/canthus/canthus.sqlite, when it exists).")
    var store: String?
    @Option(help: "The daemon's configuration file, to find its records store.")
    var config: String?

    func run() throws {
        let plan = try arguments.plan()
        let (source, readings, field) = try arguments.capture(plan: plan)
        var (record, reasons) = CalibrationRecord.judge(readings, plan: plan, header: source.header, source: source.name)
        record.flatField = field
        print(record.report(title: "Calibration of \(source.header.camera.model) \(source.header.camera.serial) from \(source.name)", reasons: reasons))
        guard record.passed else {
            print("Nothing written; the previous calibration stays in force.")
            try recordRun(record)
            throw ExitCode(1)
        }
        do {
            if let kept = try CalibrationStore.write(record, to: out) { print("Wrote \(out); the previous calibration is kept as \(kept).") }
            else { print("Wrote \(out).") }
        } catch let e as CalibrationError {
            throw Failure(description: e.description)
        }
        try recordRun(record)
    }
}

extension Calibrate {
    /// Every run goes into the records (`calibrations`), passed or not; the flat field's
    /// per-pixel values stay in the calibration file. A store given that cannot be written is an
    /// error; the default store is used only when it exists.
    func recordRun(_ record: CalibrationRecord) throws {
        let path = store != nil || config != nil ? try RecordArguments.storePath(store: store, config: config) : RecordArguments.systemStore
        guard store != nil || config != nil || FileManager.default.fileExists(atPath: path) else { return }
        var kept = record
        kept.flatField = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let json = String(decoding: try encoder.encode(kept), as: UTF8.self)
            try RecordStore(path: path).recordCalibration(wallMs: EventRecord.nowMs(), gain: record.gain, offsetC: record.offsetC,
                                                          passed: record.passed, json: json)
            print("Recorded in \(path).")
        } catch {
            throw Failure(description: "--store: \(error)")
        }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the current calibration against a blackbody; reports the error at every set-point, PASS or FAIL.")

    @OptionGroup var arguments: CalibrationArguments
    @Option(help: "The calibration file in force.")
    var calibration: String = "calibration.json"

    func run() throws {
        let current: CalibrationRecord
        do { current = try CalibrationStore.load(path: calibration) } catch let e as CalibrationError {
            throw Failure(description: e.description)
        }
        let plan = try arguments.plan()
        let (source, readings, _) = try arguments.capture(plan: plan)
        let (record, reasons) = CalibrationRecord.judge(readings, plan: plan, header: source.header, source: source.name,
                                                        fit: current.calibration)
        print(record.report(title: "Verification of \(calibration) (written \(current.createdUTC)) with \(source.name)", reasons: reasons))
        if !record.passed { throw ExitCode(1) }
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List cameras: V4L2 (driver, bus, USB ids, formats, sizes, rates, and the role canthus would give each) and FLIR ONEs on USB.")

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let devices = V4L2.devices()
        // USB cameras without a V4L2 driver.
        let flirOnes = FlirOneSource.attached().map(FlirOneSource.describe(serial:))
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try e.encode(flirOnes + devices), as: UTF8.self))
            return
        }
        for d in flirOnes {
            print("\(d.path): FLIR ONE (USB 09cb:1996\(d.usbSerial.map { " serial " + $0 } ?? ""); libusb)")
            print("  role: ir — \(d.reason)")
            printReach(preset: "flirone", hfovDeg: FlirOneSource.hfovDeg, widthPx: FlirOneGeometry.flirOne.width)
        }
        guard !devices.isEmpty || !flirOnes.isEmpty else {
            print("No V4L2 capture devices found (/dev/video*). Is the camera plugged in, and may this user open it?")
            return
        }
        for d in devices {
            print("\(d.path): \(d.card) (driver \(d.driver), bus \(d.bus)\(d.usbVendor.map { ", USB \($0):\(d.usbProduct ?? "?")" } ?? "")\(d.usbSerial.map { " serial \($0)" } ?? ""))")
            for n in d.stableNames { print("  also \(n)") }
            print("  role: \(d.role) — \(d.reason)")
            if d.role == "ir", let preset = CameraPreset.recognised(d) {
                printReach(preset: preset.name, hfovDeg: preset.hfovDeg, widthPx: preset.width)
            }
            let readable = Set(PixelFormat.allCases.map { PixelFormat.fourccString($0.fourcc) })
            for f in d.formats where readable.contains(f.fourcc) {
                let sizes = f.sizes.prefix(8).map { size in
                    let rates = f.fps[size].map { " @ " + $0.prefix(4).map { String(format: "%g", $0) }.joined(separator: "/") + " fps" } ?? ""
                    return size + rates
                }
                print("  \(f.fourcc.trimmingCharacters(in: .whitespaces)) (\(f.description)): \(sizes.joined(separator: ", "))\(f.sizes.count > 8 ? ", …" : "")")
            }
            let others = d.formats.filter { !readable.contains($0.fourcc) }.count
            if others > 0 { print("  and \(others) other formats canthus does not read (--json lists them)") }
        }
    }

    /// How far a camera screens people with the default settings (docs/distance.md).
    func printReach(preset: String, hfovDeg: Double, widthPx: Int) {
        guard let g = CameraGeometry(hfovDeg: hfovDeg, widthPx: widthPx) else { return }
        let screening = ScreeningConfig()
        let dMax = g.maxScreeningDistanceM(minFaceWidthPx: screening.minFaceWidthPx, faceWidthM: screening.faceWidthM)
        print(String(format: "  screens people to %.1f m (%@ preset, %g° across %d px: a %.2f m face spans %d px there; docs/distance.md)",
                     dMax, preset, hfovDeg, widthPx, screening.faceWidthM, screening.minFaceWidthPx))
    }
}

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a camera to a canthus recording.",
        discussion: "Ctrl-C or SIGTERM stops cleanly; whenever it stops the file holds every frame received. Cameras: \(CameraPreset.all.map(\.name).joined(separator: ", ")).")

    @Option(help: "The thermal camera's device node (or a /dev/v4l/by-id name); for --camera flirone, usb or usb:SERIAL.")
    var ir: String
    @Option(help: "Camera model: how to read it and its radiometric block (flirone: a FLIR ONE over USB).")
    var camera: String = "lepton35"
    @Option(help: "Override the buffer size as WIDTHxHEIGHT.")
    var size: String?
    @Option(help: "Override the frame rate.")
    var fps: Double?
    @Option(help: "Select the device's video input (e.g. vivid's HDMI input is 1).")
    var input: UInt32?
    @Option(help: "The recording to write.")
    var out: String?
    @Flag(help: "Capture without writing: check a camera's stream and report its counters.")
    var dryRun = false
    @Flag(help: "No progress line every second (the summary at the end only).")
    var quiet = false
    @Option(help: "Stop after this many seconds.")
    var duration: Double?
    @Option(help: "Stop after this many frames.")
    var frames: Int?
    @Option(help: "A visible camera to pair with the IR frames (its JPEG is stored with each IR frame).")
    var visible: String?
    @Option(help: "The visible camera's model: webcam (YUYV, encoded to JPEG).")
    var visibleCamera: String = "webcam"
    @Option(help: "The visible camera's video input.")
    var visibleInput: UInt32?

    func run() throws {
        guard (duration == nil) != (frames == nil) else { throw ValidationError("give exactly one of --duration or --frames") }
        guard (out == nil) == dryRun else { throw ValidationError("give --out FILE, or --dry-run to write nothing") }
        var preset: CameraPreset
        var flirOne: FlirOneSource.Settings?
        if camera == CameraConfig.flirOneModel {
            do { flirOne = try FlirOneSource.Settings(device: ir) } catch let e as ConfigError { throw Failure(description: "--ir: \(e.message)") }
            preset = try CameraPreset.named("lepton35")   // not used: the FLIR ONE has its own source
        } else {
            do { preset = try CameraPreset.named(camera) } catch { throw Failure(description: "--camera: \(error)") }
        }
        if let size {
            let p = size.lowercased().split(separator: "x").compactMap { Int($0) }
            guard p.count == 2, p[0] > 0, p[1] > 0 else { throw Failure(description: "--size: '\(size)' is not WIDTHxHEIGHT") }
            preset.width = p[0]
            preset.height = p[1]
        }
        if let fps { preset.fps = fps }
        var visibleSettings: V4L2Settings?
        if let visible {
            do { visibleSettings = try CameraPreset.named(visibleCamera).settings(device: visible, input: visibleInput) } catch {
                throw Failure(description: "--visible-camera: \(error)")
            }
        }
        var recorder = Recorder(settings: preset.settings(device: ir, input: input), out: out, maxFrames: frames, durationS: duration,
                                visible: visibleSettings)
        recorder.flirOne = flirOne
        if quiet { recorder.progressEveryS = nil }
        let err = FileHandleOutput.standardError
        let tty = isatty(STDERR_FILENO) != 0
        let r = try recorder.run(log: { err.write($0) }, progress: { line in
            if tty { err.handle.write(Data(("\r" + line + "\u{1B}[K").utf8)) } else { err.write(line) }
        })
        if tty { err.handle.write(Data("\n".utf8)) }
        print("\(r.stoppedBySignal ? "stopped" : "done"): \(r.frames) frames \(out.map { "in \($0)" } ?? "captured (dry run)"); \(r.stats.sequenceGaps) dropped by the driver, \(r.stats.handoffDrops) not taken, \(r.stats.badBuffers) bad buffers, \(r.stats.streamingRestarts) streaming restarts, \(r.stats.reconnects) reconnects\(r.visibleStats.map { "; \(r.pairedVisible) frames paired with a visible image, \(r.unpairedVisible) without (visible camera: \($0.frames) frames, \($0.badBuffers) bad buffers)" } ?? "")")
    }
}

/// Where the records are and which of them: the query commands' shared options.
struct RecordArguments: ParsableArguments {
    @Option(help: "The records store (default: records.directory of --config, else /var/lib/canthus/canthus.sqlite when it exists, else ./var/canthus.sqlite).")
    var store: String?
    @Option(help: "The daemon's configuration file, to find its records.")
    var config: String?
    @Option(help: "From this time: ISO 8601 (2026-11-30, 2026-11-30T08:00, …Z or +08:00), today, yesterday, now, or an age (90m, 24h, 7d). Local time unless a zone is given.")
    var since: String?
    @Option(help: "Before this time (same forms).")
    var until: String?
    @Option(help: "Only this gate.")
    var gate: String?
    @Option(help: "Only this lane.")
    var lane: String?

    func reader() throws -> RecordReader {
        let path = try Self.storePath(store: store, config: config)
        do { return try RecordReader(path: path) } catch { throw Failure(description: "\(error)") }
    }

    /// The installed service's store.
    static let systemStore = "/var/lib/canthus/" + RecordStore.fileName

    /// `store`, else the store of the configuration `config`, else the system's
    /// (/var/lib/canthus) when it exists, else ./var's.
    static func storePath(store: String?, config: String?) throws -> String {
        if let store { return store }
        if let config {
            do { return try CanthusConfig.load(path: config).records.storePath } catch { throw Failure(description: "\(error)") }
        }
        return FileManager.default.fileExists(atPath: systemStore) ? systemStore : "./var/" + RecordStore.fileName
    }

    func filter(level: String? = nil, limit: Int? = nil) throws -> RecordQueries.Filter {
        do {
            let sinceMs = try since.map { try TimeSpec.parse($0) }
            let untilMs = try until.map { try TimeSpec.parse($0) }
            if let s = sinceMs, let u = untilMs, u <= s {
                throw Failure(description: "--until (\(until!)) is not after --since (\(since!))")
            }
            return RecordQueries.Filter(sinceMs: sinceMs, untilMs: untilMs, level: level, gate: gate, lane: lane, limit: limit)
        } catch let e as RecordsError {
            throw Failure(description: "--since/--until: \(e.message)")
        }
    }
}

/// How a result is printed: a table on a terminal, else the chosen format.
struct OutputArguments: ParsableArguments {
    @Option(help: "table, csv, json or ndjson (default: table on a terminal, ndjson otherwise).")
    var format: String?
    @Flag(help: "CSV with a UTF-8 byte-order mark (spreadsheets then read Chinese text right).")
    var bom = false

    func resolved(default fallback: ResultTable.Format? = nil) throws -> ResultTable.Format {
        if let format {
            guard let f = ResultTable.Format(rawValue: format) else {
                throw Failure(description: "--format: '\(format)' is not one of \(ResultTable.Format.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return f
        }
        return fallback ?? (isatty(STDOUT_FILENO) != 0 ? .table : .ndjson)
    }

    func print(_ table: ResultTable, default fallback: ResultTable.Format? = nil) throws {
        FileHandleOutput.standardOutput.handle.write(Data(table.render(try resolved(default: fallback), bom: bom).utf8))
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decisions from the records store: who was screened, at what reading, when (newest first).")
    @OptionGroup var records: RecordArguments
    @Option(help: "Only this level: alarm, prealarm or normal.")
    var level: String?
    @Option(help: "At most this many.")
    var limit: Int?
    @OptionGroup var output: OutputArguments

    func run() throws {
        if let level, !["alarm", "prealarm", "normal"].contains(level) {
            throw Failure(description: "--level: '\(level)' is not one of alarm, prealarm, normal")
        }
        if let limit, limit < 1 { throw Failure(description: "--limit: \(limit) is not a number of events (≥ 1)") }
        let filter = try records.filter(level: level, limit: limit)
        let reader = try records.reader()
        do { try output.print(try reader.decisions(filter)) } catch let e as Failure { throw e } catch { throw Failure(description: "\(error)") }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Per hour or day and gate: people counted in and out, screened, rejected (and why), pre-alarms, alarms, mean and maximum body temperature.")
    @OptionGroup var records: RecordArguments
    @Option(help: "hour or day (local time).")
    var by: String = "hour"
    @Flag(help: "Print the SQL this runs (for the sqlite3 shell) instead of running it.")
    var printSql = false
    @OptionGroup var output: OutputArguments

    func run() throws {
        guard let interval = RecordQueries.Interval(rawValue: by) else { throw Failure(description: "--by: '\(by)' is not one of hour, day") }
        let filter = try records.filter()
        if printSql { print(RecordQueries.statsSQL(by: interval, filter)); return }
        let reader = try records.reader()
        do { try output.print(try reader.stats(by: interval, filter)) } catch let e as Failure { throw e } catch { throw Failure(description: "\(error)") }
    }
}

struct Tracks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "People's movement tracks from the records store (newest first), and a picture of them over the camera's view.",
        discussion: "In the picture each track runs from a dot where the person appeared to their number where they left: alarms red, pre-alarms amber, normal readings green, rejections blue, the rest grey.")
    @OptionGroup var records: RecordArguments
    @Option(help: "One track: its id (main/gate.cnth/track/7), the id of the decision about it, or its number.")
    var track: String?
    @Option(help: "Only tracks with this outcome: alarm, prealarm, normal, rejected, continued.")
    var level: String?
    @Option(help: "At most this many.")
    var limit: Int?
    @Flag(help: "Also print each track's points ([time_s, x, y, width, height], …).")
    var points = false
    @Option(help: "Draw the tracks over the camera's view into this PNG file.")
    var image: String?
    @OptionGroup var output: OutputArguments

    static let outcomes = ["alarm", "prealarm", "normal", "rejected", "continued"]

    func run() throws {
        if let level, !Self.outcomes.contains(level) {
            throw Failure(description: "--level: '\(level)' is not one of \(Self.outcomes.joined(separator: ", "))")
        }
        if let limit, limit < 1 { throw Failure(description: "--limit: \(limit) is not a number of tracks (≥ 1)") }
        var filter = try records.filter(level: level, limit: limit)
        filter.track = track
        let reader = try records.reader()
        do {
            if let image {
                let paths = try reader.paths(filter)
                guard !paths.isEmpty else { throw Failure(description: "no track matches (canthus tracks without --image lists them)") }
                let lanes = Set(paths.map(\.lane))
                guard lanes.count == 1 else {
                    throw Failure(description: "the tracks are of lanes \(lanes.sorted().joined(separator: ", ")), each its own camera: choose one with --lane")
                }
                let view = try paths.last(where: { $0.viewID != nil }).flatMap { try reader.view($0.viewID!) }
                let picture = try TrackPicture.draw(paths, view: view)
                do { try picture.writePNG(path: image) } catch { throw Failure(description: "--image: \(error)") }
                print("Wrote \(image): \(paths.count) track\(paths.count == 1 ? "" : "s")\(view == nil ? " (no view of the scene kept with them: on a blank ground)" : "").")
                return
            }
            try output.print(try reader.tracks(filter, withPoints: points))
        } catch let e as Failure { throw e } catch { throw Failure(description: "\(error)") }
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export decisions or statistics from the records store as CSV, JSON or NDJSON (docs/records.md lists the columns).")
    @Argument(help: "decisions, tracks or stats.")
    var what: String = "decisions"
    @OptionGroup var records: RecordArguments
    @Option(help: "For stats: hour or day.")
    var by: String = "hour"
    @Option(help: "Only this level (decisions): alarm, prealarm or normal.")
    var level: String?
    @OptionGroup var output: OutputArguments

    func run() throws {
        guard output.format != nil else { throw Failure(description: "--format is needed: csv, json or ndjson") }
        let format = try output.resolved()
        guard format != .table else { throw Failure(description: "--format: export writes csv, json or ndjson (a table is what `canthus events` prints)") }
        let reader: RecordReader
        let table: ResultTable
        switch what {
        case "decisions":
            if let level, !["alarm", "prealarm", "normal"].contains(level) {
                throw Failure(description: "--level: '\(level)' is not one of alarm, prealarm, normal")
            }
            let filter = try records.filter(level: level)
            reader = try records.reader()
            let out = FileHandle.standardOutput
            do {
                try reader.exportDecisions(filter, format: format, bom: output.bom) { out.write(Data($0.utf8)) }
            } catch { throw Failure(description: "\(error)") }
            return
        case "tracks":
            let filter = try records.filter(level: level)
            reader = try records.reader()
            do { table = try reader.tracks(filter, withPoints: true) } catch { throw Failure(description: "\(error)") }
        case "stats":
            guard let interval = RecordQueries.Interval(rawValue: by) else { throw Failure(description: "--by: '\(by)' is not one of hour, day") }
            let filter = try records.filter()
            reader = try records.reader()
            do { table = try reader.stats(by: interval, filter) } catch { throw Failure(description: "\(error)") }
        default:
            throw Failure(description: "export: '\(what)' is not one of decisions, tracks, stats")
        }
        try output.print(table)
    }
}

struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete records older than an age from the records store, in small transactions (the daemon may keep writing).")
    @Option(help: "The records store (default as for `canthus events`).")
    var store: String?
    @Option(help: "The daemon's configuration file: its store, and records.retention_days as the age.")
    var config: String?
    @Option(help: "Delete records older than this: an age (30d, 12h) or a time (ISO 8601).")
    var olderThan: String?

    func run() throws {
        var path = store
        var days: Double?
        if let config {
            do {
                let c = try CanthusConfig.load(path: config)
                if path == nil { path = c.records.storePath }
                days = c.records.retentionDays
            } catch { throw Failure(description: "\(error)") }
        }
        let cutoff: Int64
        if let olderThan {
            do { cutoff = try TimeSpec.parse(olderThan) } catch let e as RecordsError { throw Failure(description: "--older-than: \(e.message)") }
        } else if let days {
            cutoff = EventRecord.nowMs() - Int64(days * 86_400_000)
        } else {
            throw Failure(description: "give --older-than AGE, or --config with records.retention_days")
        }
        let file = try RecordArguments.storePath(store: path, config: nil)
        guard FileManager.default.fileExists(atPath: file) else { throw Failure(description: "\(file): no records database here (give --store)") }
        do {
            _ = try RecordStore.openForReading(path: file)   // refuses what is not canthus's before writing
            let purged = try RecordStore(path: file).purge(olderThanMs: cutoff)
            print("purged \(purged) older than \(RecordStore.utcText(cutoff)) from \(file)")
        } catch let e as Failure { throw e } catch { throw Failure(description: "\(error)") }
    }
}

/// For the store's crash test (RecordsCrashTests), not for operators: writes synthetic decisions
/// in transactions of --batch and prints each transaction's last event id once COMMIT returned.
struct StoreStress: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store-stress", abstract: "Crash-test writer of the records store (tests only).",
                                                    shouldDisplay: false)
    @Option var store: String
    @Option var batch: Int = 50
    @Option var batches: Int = 1_000_000
    @Option(help: "Also each person's track with this many points (0: none), and a view every 1000 tracks.")
    var trackPoints: Int = 0

    func run() throws {
        let db = try RecordStore(path: store)
        var frame = 0
        let view = Thermogram(celsius: [Float](repeating: 22, count: 160 * 120), width: 160, height: 120)
        let viewJPEG = try StorePictures.greyPicture(view).jpeg()
        let (batch, trackPoints) = (self.batch, self.trackPoints)   // not through the property wrappers in the loop
        for _ in 0..<batches {
            var records: [LaneRecord] = []
            for _ in 0..<batch {
                frame += 1
                let d = Decision(track: frame, canthusC: 35 + Double(frame % 300) / 100, temperatureC: 36.4 + Double(frame % 300) / 100, raw: 30000,
                                 level: frame % 50 == 0 ? .alarm : .normal, mode: .absolute, thresholdC: 37.5, frames: 5, reasons: [])
                var e = Event(source: "stress-\(getpid())", frame: frame, timeS: Double(frame) / 30, body: .decision(d))
                e.lane = "stress"
                records.append(.event(EventRecord(event: e, wallMs: EventRecord.nowMs())))
                if frame % 7 == 0 {
                    var c = Event(source: e.source, frame: frame, timeS: e.timeS, body: .count(track: frame, direction: .in))
                    c.lane = "stress"
                    c.ordinal = 1
                    records.append(.event(EventRecord(event: c, wallMs: EventRecord.nowMs())))
                }
                if trackPoints > 0 {
                    // A person walking in from the left and stopping in front of the camera.
                    var points: [TrajectoryPoint] = []
                    for k in 0..<trackPoints {
                        let x: Double = 10 + 70 * Double(k) / Double(trackPoints)
                        let t: Double = e.timeS - Double(trackPoints - k) / 9
                        points.append(TrajectoryPoint(frame: frame - trackPoints + k, timeS: t, x: x, y: 50 + Double(k % 3), width: 20 + k / 2, height: 26 + k / 2))
                    }
                    var t = TrackRecord(id: "\(e.sourceKey)/track/\(frame)", lane: e.lane, gate: e.gate, source: e.source, track: frame,
                                        wallMs: EventRecord.nowMs(), points: points)
                    t.eventID = e.id
                    t.outcome = d.level.rawValue
                    let viewFrame = frame - (frame - 1) % 1000
                    t.viewID = "\(e.sourceKey)/view/\(viewFrame)"
                    if viewFrame == frame { t.view = view; t.viewJPEG = viewJPEG }
                    records.append(.track(t))
                }
            }
            try db.write(records)
            // Unbuffered: the line is out as soon as the commit returned.
            let last = records.last { $0.event != nil }!.event!
            FileHandle.standardOutput.write(Data((last.id + "\n").utf8))
        }
    }
}
