import ArgumentParser
import Capture
import Daemon
import Foundation
import Screening

@main
struct Canthus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canthus",
        abstract: "Fever screening from thermal cameras: measure everyone at the inner canthus, alarm, count, record.",
        subcommands: [Replay.self])
}

/// Errors printed as one line naming what is wrong, exit status 1.
struct Failure: Error, CustomStringConvertible {
    var description: String
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

    func options(preset fallback: String?) throws -> ImportOptions {
        var o = try (importPreset ?? fallback).map(ImportPreset.named) ?? ImportOptions()
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

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole pipeline on recordings (canthus format or CPTV) and print its events.")

    @Argument(help: "Recordings to replay, in order.")
    var files: [String]
    @Option(help: "Output: text (one readable line per event) or ndjson (the event stream).")
    var format: String = "text"
    @Option(help: "Configuration file (YAML), as for canthus run.")
    var config: String?
    @OptionGroup var importArguments: ImportArguments

    func run() throws {
        guard format == "text" || format == "ndjson" else { throw ValidationError("--format must be text or ndjson") }
        let cfg = try config.map(CanthusConfig.load) ?? CanthusConfig()
        let options = try importArguments.options(preset: cfg.source.importPreset)
        var out = FileHandleOutput.standardOutput
        let summaries = try replay(paths: files, config: cfg, importOptions: options) { event in
            out.write(format == "ndjson" ? event.json : event.text)
        }
        for s in summaries {
            for p in s.problems { FileHandleOutput.standardError.write("warning: \(p)") }
        }
    }
}

/// Line-buffered writer to a file descriptor.
struct FileHandleOutput {
    let handle: FileHandle
    static var standardOutput: FileHandleOutput { FileHandleOutput(handle: .standardOutput) }
    static var standardError: FileHandleOutput { FileHandleOutput(handle: .standardError) }
    func write(_ line: String) { handle.write(Data((line + "\n").utf8)) }
}
