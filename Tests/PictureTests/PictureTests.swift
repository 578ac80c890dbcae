import Foundation
@testable import Picture
import Testing

@Suite struct BitmapFontTests {
    /// Every glyph the font knows, drawn and read back pixel by pixel: it is drawn where asked,
    /// exactly as its rows say, inside its 5×7 cell.
    @Test func everyGlyphRendersAsItsRowsSay() {
        let chars = BitmapFont.glyphs.keys.sorted()
        let text = String(chars)
        for scale in [1, 2] {
            var p = Picture(width: BitmapFont.width(text, scale: scale) + 4, height: 12 * scale, background: RGB(0, 0, 0))
            p.text(text, x: 2, y: 2, scale: scale, RGB(255, 255, 255))
            for (k, ch) in chars.enumerated() {
                let rows = BitmapFont.rows(ch)
                for cy in 0..<(BitmapFont.lineHeight * scale) {
                    for cx in 0..<(BitmapFont.advance * scale) {
                        let r = cy / scale, c = cx / scale
                        let on = r < 7 && c < 5 && rows[r] & (0x10 >> UInt8(c)) != 0
                        let px = p[2 + k * BitmapFont.advance * scale + cx, 2 + cy]
                        #expect((px == RGB(255, 255, 255)) == on, "glyph '\(ch)' at scale \(scale), cell pixel (\(cx), \(cy))")
                    }
                }
            }
        }
    }

    /// Readable: every glyph is 7 rows of 5 bits, only the space is blank, and no two look alike
    /// (a reading's digits and a reason's letters cannot be mistaken for one another).
    @Test func glyphsAreWellFormedAndDistinct() {
        var seen: [[UInt8]: Character] = [:]
        for (ch, rows) in BitmapFont.glyphs {
            #expect(rows.count == BitmapFont.glyphHeight, "'\(ch)'")
            #expect(rows.allSatisfy { $0 < 0x20 }, "'\(ch)' is wider than 5 pixels")
            #expect((rows.allSatisfy { $0 == 0 }) == (ch == " "), "'\(ch)'")
            if let other = seen[rows] { Issue.record("'\(ch)' and '\(other)' are drawn alike") }
            seen[rows] = ch
        }
        // Printable ASCII, the degree sign and plus-minus: what readings, reasons and times need.
        for v in 32...126 { #expect(BitmapFont.glyphs[Character(UnicodeScalar(UInt8(v)))] != nil, "ASCII \(v)") }
        #expect(BitmapFont.glyphs["°"] != nil && BitmapFont.glyphs["±"] != nil)
        #expect(BitmapFont.rows("€") == BitmapFont.rows("?"))
    }
}

@Suite struct AnnotatedTests {
    /// A warm square on a cool frame, marked: the box is drawn on the square's pixels (scaled),
    /// its text above it, and the scale bar runs from the hottest colour at the top to the
    /// coolest at the bottom.
    @Test func boxesSitWhereTheMarksSay() {
        let w = 40, h = 30
        var c = [Float](repeating: 20, count: w * h)
        for y in 12...21 { for x in 10...17 { c[y * w + x] = 35 } }
        let mark = Mark(minX: 10, minY: 12, maxX: 17, maxY: 21, lines: ["#1 36.8°C"], colour: Mark.normal)
        let p = Annotated.render(celsius: c, width: w, height: h, marks: [mark], scale: 3)
        #expect(p[30, 36] == Mark.normal && p[53, 65] == Mark.normal && p[30, 65] == Mark.normal && p[53, 36] == Mark.normal)
        #expect(p[40, 50] != Mark.normal, "inside the box is the frame")
        #expect(p[5, 5] != Mark.normal, "away from the box is the frame")
        // The text sits above the box, on its backing.
        var textPixels = 0
        for y in 20..<36 { for x in 30..<90 where p[x, y] == Mark.normal { textPixels += 1 } }
        #expect(textPixels > 20)
        let bar = w * 3 + Annotated.margin + 2
        let top = p[bar, 0], bottom = p[bar, h * 3 - 1]
        #expect(Int(top.r) + Int(top.g) + Int(top.b) > 700, "hottest at the top: \(top)")
        #expect(Int(bottom.r) + Int(bottom.g) + Int(bottom.b) < 30, "coolest at the bottom: \(bottom)")
    }

    @Test func writesAPNGAndNamesTheFileWhenItCannot() throws {
        let p = Annotated.render(celsius: [Float](repeating: 30, count: 16 * 12), width: 16, height: 12)
        let path = NSTemporaryDirectory() + "picture-\(getpid()).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try p.writePNG(path: path)
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(d.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let be = { (o: Int) in Int(d[o]) << 24 | Int(d[o + 1]) << 16 | Int(d[o + 2]) << 8 | Int(d[o + 3]) }
        #expect(be(16) == p.width && be(20) == p.height)
        #expect(throws: PictureError.self) { try p.writePNG(path: "/nonexistent-dir/x.png") }
        do { try p.writePNG(path: "/nonexistent-dir/x.png") } catch {
            #expect("\(error)".contains("/nonexistent-dir/x.png") && "\(error)".contains("No such file"))
        }
    }
}

@Suite struct LabelPlacementTests {
    /// Faces side by side: no text covers another.
    @Test func textsOfNeighbouringMarksDoNotOverlap() {
        let marks = (0..<6).map { k in
            Mark(minX: 10 + 9 * k, minY: 30 + (k % 2) * 3, maxX: 17 + 9 * k, maxY: 40 + (k % 2) * 3,
                 lines: ["#\(k + 1) too_far", "6.8m"], colour: Mark.rejected)
        }
        var placed: [(x: Int, y: Int, w: Int, h: Int)] = []
        for m in marks {
            let r = Annotated.labelRect(for: m, scale: 4, textScale: 2, thickness: 2, imageWidth: 640, imageHeight: 480, avoiding: placed)
            #expect(!placed.contains { r.x < $0.x + $0.w && $0.x < r.x + r.w && r.y < $0.y + $0.h && $0.y < r.y + r.h }, "\(r) over \(placed)")
            #expect(r.x >= 0 && r.y >= 0 && r.x + r.w <= 640 + 2)
            placed.append(r)
        }
    }
}
