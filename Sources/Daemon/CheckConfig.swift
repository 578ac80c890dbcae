import Capture
import Foundation
import Screening
#if canImport(Glibc)
import Glibc
#endif

/// `canthus check-config`: the file parsed and validated as `canthus run` would, plus what only
/// the machine can say — the records directory can be written, each lane's recordings can be
/// read — and the effective settings with each lane's maximum screening distance. Every
/// mistake is one line naming the file, the line and the key (`ConfigFileError`).
public struct ConfigCheck {
    public var config: CanthusConfig
    /// Things that may be fine later (a camera not plugged in yet).
    public var warnings: [String]
    /// The effective settings, defaults filled in, as JSON (which is YAML too: it can be used
    /// as a configuration file as it is).
    public var effective: String
    /// Per lane: its name, gate, what it reads and how far it screens.
    public var lanes: [String]

    public static func run(path: String) throws -> ConfigCheck {
        let config = try CanthusConfig.load(path: path)
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        func fail(_ key: String, _ message: String) -> ConfigFileError {
            ConfigFileError(path: path, line: ConfigLocator.line(of: key, in: text), message: "\(key): \(message)")
        }
        // The records directory: created if missing (the service would create it), then a file
        // made and removed in it — permissions alone do not tell root about a read-only mount.
        let dir = config.records.directory
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw fail("records.directory", "\(dir) cannot be written (cannot create it: \(error.localizedDescription)); give a directory the service's user may write")
        }
        let probe = (dir as NSString).appendingPathComponent(".canthus-check-\(getpid())-\(UUID().uuidString)")
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            throw fail("records.directory", "\(dir) cannot be written (\(errnoDescription(errno))); give a directory the service's user may write")
        }
        close(fd)
        unlink(probe)
        var warnings = config.notices
        var lanes: [String] = []
        let screening = config.screening
        for (i, lane) in config.effectiveLanes.enumerated() {
            let key = config.lanes.isEmpty ? "source" : "lanes[\(i)]"
            var line = "lane \(lane.name)" + (lane.gate.isEmpty ? "" : " (\(lane.gate))") + ": "
            var geometry: CameraGeometry?
            if let camera = lane.source.camera {
                let preset = try CameraPreset.named(camera.model)
                geometry = CameraGeometry(hfovDeg: preset.hfovDeg, widthPx: preset.width)
                line += "camera \(camera.device) (\(camera.model))"
                if !FileManager.default.fileExists(atPath: camera.device) {
                    warnings.append("\(path):\(ConfigLocator.line(of: key + ".camera.device", in: text).map(String.init) ?? "?"): \(key).camera.device: \(camera.device) does not exist now (not plugged in?); the lane will wait for it")
                }
            } else if lane.source.replay.isEmpty {
                throw fail(key, "has neither a camera nor recordings to replay")
            } else {
                line += "\(lane.source.replay.count) recording\(lane.source.replay.count == 1 ? "" : "s")"
                for (k, file) in lane.source.replay.enumerated() {
                    do {
                        let options = try ImportPreset.options(for: lane.source)
                        let source = try openSource(path: file, options: options)
                        if k == 0 { geometry = CameraGeometry(camera: source.header.camera) }
                    } catch {
                        throw fail("\(key).replay[\(k)]", "\(error)")
                    }
                }
            }
            if let g = geometry {
                line += String(format: "; screens people to %.1f m (a %.2f m face spans %d px there)",
                               g.maxScreeningDistanceM(minFaceWidthPx: screening.minFaceWidthPx, faceWidthM: screening.faceWidthM),
                               screening.faceWidthM, screening.minFaceWidthPx)
            } else {
                line += "; screening distance unknown (the camera's field of view is not known)"
            }
            lanes.append(line)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(config)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return ConfigCheck(config: config, warnings: warnings, effective: json + "\n", lanes: lanes)
    }
}
