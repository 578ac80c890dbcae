import Capture
import Foundation
import Radiometry
import Screening
import Yams
#if canImport(Glibc)
import Glibc
#endif

/// What a technician's calibration run needs to know.
public struct CalibrationPlan: Sendable, Equatable {
    /// Blackbody set temperatures, °C, in the order they will be shown.
    public var setpointsC: [Double]
    /// The blackbody's region in sensor pixels (x, y, width, height); nil = the central half of
    /// the view (a blackbody filling the view).
    public var region: [Int]?
    /// Frames averaged per set-point, once the reading holds steady.
    public var frames = 20
    /// The reading holds steady when the frame readings of the window span at most this (K).
    public var stabilityK = 0.1
    /// Pass when every residual is within ± this (°C).
    public var toleranceC = 0.3
    /// Also measure a flat field at the last set-point (the blackbody must fill the view).
    public var flatField = false
    /// Successive set-points must read at least this far apart (K): how a recording's next
    /// set-point is recognised without a technician pressing Enter.
    public var minStepK = 1.0
    /// A camera reading further than this from the set temperature is not a calibration error
    /// but a fault (wrong region, blackbody not at temperature, camera needs service) (K).
    public var maxErrorK = 5.0

    public static let setpointRangeC = 15.0...55.0

    public init(setpointsC: [Double], region: [Int]? = nil) {
        self.setpointsC = setpointsC
        self.region = region
    }

    func validate(width: Int, height: Int) throws {
        guard !setpointsC.isEmpty else { throw CalibrationError("give at least one set-point") }
        for s in setpointsC where !Self.setpointRangeC.contains(s) {
            throw CalibrationError("set-point \(s) °C is outside the calibration range \(Self.setpointRangeC.lowerBound)…\(Self.setpointRangeC.upperBound) °C")
        }
        if let r = region {
            guard r.count == 4, r[2] > 0, r[3] > 0, r[0] >= 0, r[1] >= 0, r[0] + r[2] <= width, r[1] + r[3] <= height else {
                throw CalibrationError("region \(r.map(String.init).joined(separator: ",")) lies outside the \(width)×\(height) frame")
            }
            guard r[2] * r[3] >= 9 else { throw CalibrationError("region \(r[2])×\(r[3]) px is too small: at least 3×3 px of blackbody") }
        }
        guard frames >= 3 else { throw CalibrationError("--frames must be at least 3") }
        if flatField && region != nil { throw CalibrationError("a flat field needs the blackbody filling the view: give no --region") }
    }

    func effectiveRegion(width: Int, height: Int) -> [Int] {
        region ?? [width / 4, height / 4, max(1, width / 2), max(1, height / 2)]
    }
}

public struct CalibrationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Reads the blackbody at each set-point from a frame source.
public struct CalibrationCapture {
    public let plan: CalibrationPlan
    /// Called before each set-point with the instruction for the technician; returns when the
    /// technician is ready (interactive), or at once (non-interactive).
    public var prompt: (String) -> Void
    /// Progress lines.
    public var progress: (String) -> Void

    public init(plan: CalibrationPlan, prompt: @escaping (String) -> Void, progress: @escaping (String) -> Void) {
        self.plan = plan
        self.prompt = prompt
        self.progress = progress
    }

    /// Readings before any calibration (the camera model alone).
    public func run(source: FrameSource) throws -> [SetpointReading] {
        let header = source.header
        try plan.validate(width: header.camera.width, height: header.camera.height)
        let r = plan.effectiveRegion(width: header.camera.width, height: header.camera.height)
        let model = header.radiometry
        var readings: [SetpointReading] = []
        var frame = Frame.empty
        var window: [Double] = []
        var index = 0
        for (i, setpoint) in plan.setpointsC.enumerated() {
            prompt(String(format: "Set the blackbody to %.1f °C, let it settle, then press Enter.", setpoint))
            window.removeAll()
            var lastSpread = Double.infinity
            var accepted: SetpointReading?
            while accepted == nil, try source.next(into: &frame) {
                index += 1
                if frame.flags.contains(.shutter) || frame.flags.contains(.frozen) { continue }
                var sum = 0.0
                for y in r[1]..<(r[1] + r[3]) { for x in r[0]..<(r[0] + r[2]) { sum += Double(frame[x, y]) } }
                window.append(model.celsius(count: sum / Double(r[2] * r[3])))
                if window.count > plan.frames { window.removeFirst() }
                guard window.count == plan.frames else { continue }
                let mean = window.reduce(0, +) / Double(window.count)
                lastSpread = window.max()! - window.min()!
                if index % 5 == 0 {
                    progress(String(format: "  set-point %d/%d (%.1f °C): reading %.3f °C, spread %.3f K over %d frames",
                                    i + 1, plan.setpointsC.count, setpoint, mean, lastSpread, window.count))
                }
                let isNewLevel = readings.last.map { abs(mean - $0.readingC) >= plan.minStepK } ?? true
                if lastSpread <= plan.stabilityK && isNewLevel {
                    let sd = (window.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(window.count - 1)).squareRoot()
                    accepted = SetpointReading(setC: setpoint, readingC: mean, stddevK: sd, frames: window.count)
                }
            }
            guard let reading = accepted else {
                let why = lastSpread.isFinite
                    ? String(format: "the reading never held within %.2f K over %d frames (last spread %.2f K): a noisy or drifting blackbody, or the next set-point never came", plan.stabilityK, plan.frames, lastSpread)
                    : "the source ended before \(plan.frames) frames were read"
                throw CalibrationError(String(format: "set-point %.1f °C: ", setpoint) + why)
            }
            progress(String(format: "  set-point %d/%d (%.1f °C): captured %.3f °C ± %.3f K", i + 1, plan.setpointsC.count, setpoint,
                            reading.readingC, reading.stddevK))
            readings.append(reading)
        }
        return readings
    }
}

extension CalibrationCapture {
    /// Reads up to `frames` frames (at least half of them) of a blackbody filling the view (the
    /// source must already show it, steady) and returns the per-pixel correction that makes it
    /// read uniform.
    public func flatField(source: FrameSource, frames: Int) throws -> FlatField {
        let model = source.header.radiometry
        let w = source.header.camera.width, h = source.header.camera.height
        var sums = [Double](repeating: 0, count: w * h)
        var frame = Frame.empty
        var n = 0
        while n < frames, try source.next(into: &frame) {
            if frame.flags.contains(.shutter) || frame.flags.contains(.frozen) { continue }
            for i in 0..<(w * h) { sums[i] += model.celsius(count: Double(frame.pixels[i])) }
            n += 1
        }
        // A recording may end before `frames` more frames; half of them still average the noise.
        guard n >= max(5, frames / 2) else {
            throw CalibrationError("flat field: the source ended after \(n) of \(frames) frames of the blackbody")
        }
        let field = FlatField(width: w, height: h, meanReadingsC: sums.map { $0 / Double(n) })
        progress(String(format: "  flat field from %d frames: pixel spread %.3f K removed", n, field.spreadK))
        return field
    }
}

/// A calibration result, as written to the calibration file.
public struct CalibrationRecord: Codable, Equatable, Sendable {
    public var version = 1
    public var createdUTC: String
    public var cameraModel: String
    public var cameraSerial: String
    public var source: String
    public var gain: Double
    public var offsetC: Double
    public var toleranceC: Double
    public var setpoints: [SetpointReading]
    public var residualsK: [Double]
    public var passed: Bool
    /// The per-pixel correction, when measured (`--flat-field`).
    public var flatField: FlatField?

    enum CodingKeys: String, CodingKey {
        case version, source, gain, setpoints, passed, flatField = "flat_field"
        case createdUTC = "created_utc", cameraModel = "camera_model", cameraSerial = "camera_serial"
        case offsetC = "offset_c", toleranceC = "tolerance_c", residualsK = "residuals_k"
    }

    public var calibration: LinearCalibration { LinearCalibration(gain: gain, offsetC: offsetC) }

    /// Fits and judges: PASS when every residual is within the tolerance and every raw reading
    /// is within `maxErrorK` of its set-point.
    public static func judge(_ readings: [SetpointReading], plan: CalibrationPlan, header: RecordingHeader, source: String,
                             fit: LinearCalibration? = nil, now: Date = Date()) -> (CalibrationRecord, [String]) {
        let calibration = fit ?? CalibrationFit.fit(readings)
        let residuals = CalibrationFit.residuals(readings, calibration)
        var reasons: [String] = []
        for (r, res) in zip(readings, residuals) where abs(res) > plan.toleranceC {
            reasons.append(String(format: "set-point %.1f °C: residual %+.3f K exceeds ±%.2f °C", r.setC, res, plan.toleranceC))
        }
        for r in readings where abs(r.readingC - r.setC) > plan.maxErrorK {
            reasons.append(String(format: "set-point %.1f °C: the camera reads %.2f °C, more than %.0f K off: check the blackbody and the region, or have the camera serviced",
                                  r.setC, r.readingC, plan.maxErrorK))
        }
        if fit == nil && !(0.8...1.25).contains(calibration.gain) {
            reasons.append(String(format: "gain %.4f is implausible (0.8…1.25)", calibration.gain))
        }
        let formatter = ISO8601DateFormatter()
        let record = CalibrationRecord(createdUTC: formatter.string(from: now), cameraModel: header.camera.model,
                                       cameraSerial: header.camera.serial, source: source, gain: calibration.gain,
                                       offsetC: calibration.offsetC, toleranceC: plan.toleranceC, setpoints: readings,
                                       residualsK: residuals, passed: reasons.isEmpty)
        return (record, reasons)
    }

    /// The technician's report.
    public func report(title: String, reasons: [String]) -> String {
        var lines = [title, "  set-point    reading    calibrated   residual   frame σ"]
        for (r, res) in zip(setpoints, residualsK) {
            lines.append(String(format: "  %7.2f °C  %7.3f °C  %7.3f °C  %+7.3f K  %6.3f K", r.setC, r.readingC,
                                calibration.apply(r.readingC), res, r.stddevK))
        }
        lines.append(String(format: "  gain %.5f, offset %+.3f °C, tolerance ±%.2f °C", gain, offsetC, toleranceC))
        if let f = flatField { lines.append(String(format: "  flat field %d×%d: removes a pixel spread of %.3f K", f.width, f.height, f.spreadK)) }
        if setpoints.count == 2 {
            lines.append("  note: two set-points fit exactly; use three or more to check the camera's linearity")
        }
        lines.append(passed ? String(format: "PASS: every residual within ±%.2f °C", toleranceC) : "FAIL")
        for r in reasons { lines.append("  - " + r) }
        return lines.joined(separator: "\n")
    }
}

/// The calibration file (JSON, which the YAML reader also reads): written atomically (temporary
/// file, fsync, rename, fsync of the directory); the file it replaces is kept under `history/`
/// beside it.
public enum CalibrationStore {
    public static func load(path: String) throws -> CalibrationRecord {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CalibrationError("\(path): cannot read the calibration file: \(error.localizedDescription)")
        }
        do {
            let record = try YAMLDecoder().decode(CalibrationRecord.self, from: text)
            guard record.version == 1 else { throw CalibrationError("\(path): calibration file version \(record.version) is not supported") }
            guard record.gain.isFinite, record.offsetC.isFinite, (0.5...2).contains(record.gain), abs(record.offsetC) < 20 else {
                throw CalibrationError("\(path): gain \(record.gain) / offset \(record.offsetC) °C are not a plausible calibration")
            }
            return record
        } catch let e as CalibrationError {
            throw e
        } catch {
            throw CalibrationError("\(path): not a valid calibration file: \(error)")
        }
    }

    /// Returns the path of the previous file in history, if there was one.
    @discardableResult
    public static func write(_ record: CalibrationRecord, to path: String) throws -> String? {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let text: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            text = String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
        } catch {
            throw CalibrationError("cannot encode the calibration: \(error)")
        }
        do { try FileManager.default.createDirectory(atPath: dir + "/history", withIntermediateDirectories: true) } catch {
            throw CalibrationError("\(dir)/history: cannot create: \(error.localizedDescription)")
        }
        var kept: String?
        do {
            try replaceFile(atPath: path, with: Array(text.utf8)) {
                guard FileManager.default.fileExists(atPath: path) else { return }
                let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
                let ext = url.pathExtension.isEmpty ? "" : "." + url.pathExtension
                var history = dir + "/history/\(url.deletingPathExtension().lastPathComponent)-\(stamp)\(ext)"
                var n = 1
                while FileManager.default.fileExists(atPath: history) {
                    history = dir + "/history/\(url.deletingPathExtension().lastPathComponent)-\(stamp)-\(n)\(ext)"
                    n += 1
                }
                // A hard link keeps the old file's bytes under history/ before the rename replaces it.
                if link(path, history) != 0 {
                    throw CalibrationError("\(history): cannot keep the previous calibration: \(errnoDescription(errno))")
                }
                kept = history
            }
        } catch let e as FileWriteError {
            throw CalibrationError(e.description)
        }
        return kept
    }
}
