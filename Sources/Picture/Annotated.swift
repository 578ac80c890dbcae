/// One thing to mark on a thermal picture: a box in frame pixels (inclusive bounds) and the
/// lines of text beside it (track id, reading or reason, distance).
public struct Mark: Equatable, Sendable {
    public var minX: Int, minY: Int, maxX: Int, maxY: Int
    public var lines: [String]
    public var colour: RGB

    public init(minX: Int, minY: Int, maxX: Int, maxY: Int, lines: [String], colour: RGB) {
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
        self.lines = lines
        self.colour = colour
    }

    /// A decision's colour by level, a rejection's, and the text's backing.
    public static let normal = RGB(70, 230, 100), prealarm = RGB(255, 190, 0), alarm = RGB(255, 60, 60)
    public static let rejected = RGB(120, 200, 255), backing = RGB(0, 0, 0)
}

/// The one annotated-picture renderer (`screen --image`, `convert --image`; later snapshots,
/// track pictures and the dashboard): the frame in false colour, each pixel `scale`×`scale`,
/// a box and its text per mark, and the temperature scale with its °C at the right.
public enum Annotated {
    /// Pixels between the frame and the scale bar, and the bar's width.
    public static let margin = 8, barWidth = 12

    /// `celsius` is the frame, row-major, `width`×`height`; `range` the scale's ends (default:
    /// the frame's finite minimum and maximum).
    public static func render(celsius: [Float], width: Int, height: Int, marks: [Mark] = [], scale: Int = 3,
                              range: ClosedRange<Double>? = nil) -> Picture {
        precondition(celsius.count == width * height && scale >= 1)
        let (lo, hi) = range.map { ($0.lowerBound, $0.upperBound) } ?? finiteRange(celsius)
        let textScale = scale >= 4 ? 2 : 1
        let label = BitmapFont.width("-00.0°C", scale: textScale)
        let imgW = width * scale, imgH = height * scale
        var picture = Picture(width: imgW + margin + barWidth + 4 + label + 2,
                              height: max(imgH, 3 * BitmapFont.lineHeight * textScale + 4))
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = FalseColour.rgb(Double(celsius[y * width + x]), lo: lo, hi: hi)
                picture.fill(x: x * scale, y: y * scale, width: scale, height: scale, RGB(r, g, b))
            }
        }
        let barX = imgW + margin
        for y in 0..<imgH {
            let t = hi - (hi - lo) * Double(y) / Double(max(1, imgH - 1))
            let (r, g, b) = FalseColour.rgb(t, lo: lo, hi: hi)
            picture.fill(x: barX, y: y, width: barWidth, height: 1, RGB(r, g, b))
        }
        let glyphH = BitmapFont.glyphHeight * textScale
        for (y, t) in [(0, hi), (imgH / 2 - glyphH / 2, (hi + lo) / 2), (imgH - glyphH, lo)] {
            picture.text(format1(t) + "°C", x: barX + barWidth + 4, y: max(0, y), scale: textScale, RGB(235, 235, 235))
        }
        let thickness = scale >= 3 ? 2 : 1
        // Every box first, then the texts, each where it overlaps no text placed before it.
        for m in marks {
            picture.outline(x: m.minX * scale, y: m.minY * scale, width: (m.maxX - m.minX + 1) * scale,
                            height: (m.maxY - m.minY + 1) * scale, thickness: thickness, m.colour)
        }
        var placed: [(x: Int, y: Int, w: Int, h: Int)] = []
        for m in marks {
            let r = labelRect(for: m, scale: scale, textScale: textScale, thickness: thickness, imageWidth: imgW,
                              imageHeight: imgH, avoiding: placed)
            placed.append(r)
            let lineH = BitmapFont.lineHeight * textScale + 2
            for (k, line) in m.lines.enumerated() {
                picture.text(line, x: r.x, y: r.y + k * lineH + textScale, scale: textScale, m.colour, background: Mark.backing)
            }
        }
        return picture
    }

    /// Where a mark's text goes: above its box, else below it, else inside its top — the first
    /// of these that overlaps no text placed before; failing all, moved down past the texts it
    /// would cover. Kept inside the frame.
    static func labelRect(for m: Mark, scale: Int, textScale: Int, thickness: Int, imageWidth: Int, imageHeight: Int,
                          avoiding placed: [(x: Int, y: Int, w: Int, h: Int)]) -> (x: Int, y: Int, w: Int, h: Int) {
        let lineH = BitmapFont.lineHeight * textScale + 2
        let w = (m.lines.map(\.count).max() ?? 0) * BitmapFont.advance * textScale + textScale
        let h = m.lines.count * lineH
        let x = min(max(textScale, m.minX * scale), max(textScale, imageWidth - w))
        let top = m.minY * scale, bottom = (m.maxY + 1) * scale
        func overlaps(_ y: Int) -> Bool {
            placed.contains { x < $0.x + $0.w && $0.x < x + w && y < $0.y + $0.h && $0.y < y + h }
        }
        let candidates = [top - h - 1, bottom + 1, top + thickness + 2].filter { $0 >= 0 && $0 + h <= max(imageHeight, h) }
        if let y = candidates.first(where: { !overlaps($0) }) { return (x, y, w, h) }
        var y = candidates.first ?? 0
        while overlaps(y) && y + h < imageHeight { y += lineH }
        return (x, y, w, h)
    }

    static func finiteRange(_ v: [Float]) -> (Double, Double) {
        var lo = Float.infinity, hi = -Float.infinity
        for t in v where t.isFinite { lo = min(lo, t); hi = max(hi, t) }
        return lo <= hi ? (Double(lo), Double(hi)) : (0, 1)
    }

    /// One decimal, no locale ("36.8", "-0.4").
    static func format1(_ t: Double) -> String {
        let tenths = Int((t * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}
