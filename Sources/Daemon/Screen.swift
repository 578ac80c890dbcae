import Capture
import Foundation
import Picture
import Radiometry
import Screening

/// What `canthus screen` made of one file: its events and, when asked, its annotated picture.
public struct ScreenedFile: Sendable {
    public var name: String
    public var events: [Event]
    /// The last frame's people, as drawn (`marks`).
    public var marks: [Mark]
}

/// Screens one file — a still (a FLIR JPEG, a radiometric TIFF, a temperature table, a TC001
/// frame: `ScreeningConfig.forStills`) or a recording — and, with `imagePath`, draws its last
/// frame with a box, id and reading or reason for every person reported (`Annotated`).
public func screenFile(path: String, config: CanthusConfig, importOptions: ImportOptions, imagePath: String?,
                       emit: (Event) -> Void) throws -> ScreenedFile {
    var events: [Event] = []
    // Each track's last box; the last frame as screened (upright), its table and reference
    // offset — turned into °C once, at the end.
    var boxes: [Int: Box] = [:]
    var last: (view: Frame, table: CountTable, offsetK: Double)?
    var name = (path as NSString).lastPathComponent
    _ = try replay(paths: [path], config: config, importOptions: importOptions, observe: { screener, frame, _ in
        name = screener.sourceName
        guard imagePath != nil else { return }
        for t in screener.tracker.tracks where t.lastFrame == screener.lastFrame { boxes[t.id] = t.box }
        var offset = 0.0
        if case .ok(let o) = screener.referenceStatus { offset = o }
        last = (screener.screened(frame), screener.table, offset)
    }, emit: { event in
        events.append(event)
        emit(event)
    })
    var marks: [Mark] = []
    for e in events {
        switch e.body {
        case .decision(let d):
            guard let b = boxes[d.track] else { continue }
            let colour = d.level == .alarm ? Mark.alarm : d.level == .prealarm ? Mark.prealarm : Mark.normal
            var lines = ["#\(d.track) " + String(format: "%.1f°C", d.temperatureC)]
            var second = d.reasons
            if let m = d.distanceM { second.append(String(format: "%.1fm", m)) }
            if !second.isEmpty { lines.append(second.joined(separator: " ")) }
            marks.append(Mark(minX: b.minX, minY: b.minY, maxX: b.maxX, maxY: b.maxY, lines: lines, colour: colour))
        case .rejected(let track, let reasons, let distanceM):
            guard let b = boxes[track] else { continue }
            var lines = ["#\(track) " + (reasons.first ?? "rejected")]
            if let m = distanceM { lines.append(String(format: "%.1fm", m)) }
            marks.append(Mark(minX: b.minX, minY: b.minY, maxX: b.maxX, maxY: b.maxY, lines: lines, colour: Mark.rejected))
        default: break
        }
    }
    if let imagePath {
        guard let last else { throw ConvertError("\(path): has no frame to draw") }
        let celsius = last.view.pixels.map { last.table[$0] + Float(last.offsetK) }
        let (w, h) = (last.view.width, last.view.height)
        let scale = max(1, min(6, 640 / max(w, h)))
        let picture = Annotated.render(celsius: celsius, width: w, height: h, marks: marks, scale: scale)
        do { try picture.writePNG(path: imagePath) } catch { throw ConvertError("\(error)") }
    }
    return ScreenedFile(name: name, events: events, marks: marks)
}
