import Picture
import Records

/// `canthus tracks --image`: people's paths over the camera's view (the grey view kept with
/// the tracks, enlarged), each from a dot where the person appeared to their number where
/// they left, coloured by outcome as the annotated pictures colour readings — alarms drawn
/// last, on top.
public enum TrackPicture {
    public static func colour(_ outcome: String?) -> RGB {
        switch outcome {
        case "alarm": return Mark.alarm
        case "prealarm": return Mark.prealarm
        case "normal": return Mark.normal
        case "rejected": return Mark.rejected
        default: return RGB(200, 200, 200)
        }
    }

    /// `view`: the scene's size and JPEG; without one, the paths on a blank ground as large as
    /// they reach.
    public static func draw(_ paths: [RecordReader.Path], view: (width: Int, height: Int, jpeg: [UInt8])?) throws -> Picture {
        let ground = try view.map { try Picture(jpeg: $0.jpeg) }
        let width = ground?.width ?? max(160, Int((paths.flatMap { $0.points.map(\.x) }.max() ?? 0).rounded(.up)) + 8)
        let height = ground?.height ?? max(120, Int((paths.flatMap { $0.points.map(\.y) }.max() ?? 0).rounded(.up)) + 8)
        let scale = max(1, min(6, 960 / max(width, height)))
        var picture = Picture(width: width * scale, height: height * scale)
        if let ground { picture.draw(ground, x: 0, y: 0, scale: scale) }
        func rank(_ outcome: String?) -> Int { outcome == "alarm" ? 2 : outcome == "prealarm" ? 1 : 0 }
        let ordered = paths.enumerated().sorted { (rank($0.element.outcome), $0.offset) < (rank($1.element.outcome), $1.offset) }.map(\.element)
        let thickness = max(2, scale / 2)
        for p in ordered {
            let c = colour(p.outcome)
            let px = p.points.map { (Int(($0.x + 0.5) * Double(scale)), Int(($0.y + 0.5) * Double(scale))) }
            guard let first = px.first, let last = px.last else { continue }
            for (a, b) in zip(px, px.dropFirst()) { picture.line(a.0, a.1, b.0, b.1, thickness: thickness, c) }
            let dot = thickness * 2 + 1
            picture.fill(x: first.0 - dot / 2, y: first.1 - dot / 2, width: dot, height: dot, c)
            picture.text("#\(p.track)", x: last.0 + thickness + 1, y: last.1 - BitmapFont.glyphHeight, scale: scale >= 4 ? 2 : 1, c,
                         background: Mark.backing)
        }
        return picture
    }
}
