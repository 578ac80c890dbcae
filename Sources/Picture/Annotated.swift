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
        for m in marks {
            let x0 = m.minX * scale, y0 = m.minY * scale
            let w = (m.maxX - m.minX + 1) * scale, h = (m.maxY - m.minY + 1) * scale
            picture.outline(x: x0, y: y0, width: w, height: h, thickness: thickness, m.colour)
            // The text above the box where it fits, else inside its top.
            let lineH = BitmapFont.lineHeight * textScale + 2
            let block = m.lines.count * lineH
            var ty = y0 - block - 1 >= 0 ? y0 - block - 1 : y0 + thickness + 2
            let tx = min(max(textScale, x0), max(textScale, imgW - (m.lines.map(\.count).max() ?? 0) * BitmapFont.advance * textScale))
            for line in m.lines {
                picture.text(line, x: tx, y: ty + textScale, scale: textScale, m.colour, background: Mark.backing)
                ty += lineH
            }
        }
        return picture
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
