import Foundation
import Frames
import Picture
import Records
import Screening

/// The store's pictures, made on the store writer's thread (never the frame thread): the
/// snapshot of an alarm or pre-alarm — the person's false-colour crop with their box, reading
/// and time, by the one annotated-picture renderer, as a JPEG file written atomically under
/// `snapshots/DAY/` beside the database — and the grey view of the scene kept with the tracks.
public enum StorePictures {
    /// Makes the snapshot file of every record in `records` that carries a crop (and only then
    /// drops the crop: a record that could not get its file keeps it for the next try), and the
    /// JPEG of every view. Throws what stopped a file being written (a full disk).
    public static func prepare(_ records: inout [LaneRecord], directory: String) throws {
        for i in records.indices {
            switch records[i] {
            case .event(var r):
                guard let shot = r.snapshot, r.snapshotPath == nil, case .decision(let d) = r.event.body else { continue }
                let relative = snapshotPath(for: r)
                let path = directory + "/" + relative
                let day = (path as NSString).deletingLastPathComponent
                if !FileManager.default.fileExists(atPath: day) {
                    do { try FileManager.default.createDirectory(atPath: day, withIntermediateDirectories: true) } catch {
                        throw FileWriteError(path: day, reason: "cannot create: \(error.localizedDescription)", code: EIO)
                    }
                }
                do {
                    try replaceFile(atPath: path, with: try snapshotJPEG(d, wallMs: r.wallMs, crop: shot.thermogram, box: shot.box), mode: 0o640)
                } catch let e as FileWriteError where e.code == ENOSPC || e.code == EROFS {
                    // Said as the store says it of its own file.
                    throw FileWriteError(path: path, reason: e.code == ENOSPC ? "the disk is full" : "is read-only", code: e.code)
                }
                r.snapshotPath = relative
                r.snapshot = nil
                records[i] = .event(r)
            case .track(var t):
                guard let view = t.view, t.viewJPEG == nil else { continue }
                t.viewJPEG = try greyPicture(view).jpeg(quality: 85)
                records[i] = .track(t)
            case .acknowledgement:
                continue
            }
        }
    }

    /// `snapshots/2026-11-30/main_gate.cnth_412_0.jpg`: the day (UTC) of the decision and its
    /// id with every character but letters, digits, `.`, `-` and `_` made `_`.
    public static func snapshotPath(for r: EventRecord) -> String {
        let day = String(RecordStore.utcText(r.wallMs).prefix(10))
        let name = String(r.event.id.unicodeScalars.map { s -> Character in
            s.isASCII && (CharacterSet.alphanumerics.contains(s) || s == "." || s == "-" || s == "_") ? Character(s) : "_"
        })
        return "\(RecordStore.snapshotsFolder)/\(day)/\(name).jpg"
    }

    /// The crop in false colour, four times enlarged, with the person's box and the lines
    /// "#7 38.4°C alarm" and the time (UTC).
    static func snapshotJPEG(_ d: Decision, wallMs: Int64, crop: Thermogram, box: Box) throws -> [UInt8] {
        let colour = d.level == .alarm ? Mark.alarm : d.level == .prealarm ? Mark.prealarm : Mark.normal
        let time = RecordStore.utcText(wallMs)
        let lines = ["#\(d.track) " + String(format: "%.1f°C", d.temperatureC) + " " + d.level.rawValue,
                     String(time.prefix(10)) + " " + String(time.dropFirst(11).prefix(8)) + "Z"]
        let scale = max(2, min(6, 320 / max(crop.width, crop.height)))
        let picture = Annotated.render(celsius: crop.celsius, width: crop.width, height: crop.height,
                                       marks: [Mark(minX: box.minX, minY: box.minY, maxX: box.maxX, maxY: box.maxY, lines: lines, colour: colour)],
                                       scale: scale)
        return try picture.jpeg(quality: 90)
    }

    /// The scene in grey (its coolest to its warmest pixel), so coloured tracks stand out on it.
    public static func greyPicture(_ t: Thermogram) -> Picture {
        var lo = Float.infinity, hi = -Float.infinity
        for c in t.celsius where c.isFinite { lo = min(lo, c); hi = max(hi, c) }
        let span = max(1e-3, hi - lo)
        var p = Picture(width: t.width, height: t.height)
        for y in 0..<t.height {
            for x in 0..<t.width {
                let c = t.celsius[y * t.width + x]
                let v = UInt8(c.isFinite ? 30 + 190 * max(0, min(1, (c - lo) / span)) : 0)
                p.set(x, y, RGB(v, v, v))
            }
        }
        return p
    }
}
