import Radiometry
@testable import Screening
import Testing

/// The face measurer on drawn shapes: a head's crown fills the top of its box; a warm chair (a
/// seat with posts standing above it) does not, and the screener takes no chair for a face.
@Suite struct FaceTests {
    static let w = 64, h = 64
    static let table = CountTable(model: .leptonTLinearHigh)
    static func count(_ c: Double) -> UInt16 { UInt16((c + 273.15) * 100) }

    /// 22 °C background, `warm` pixels at 34 °C.
    static func frame(_ warm: (Int, Int) -> Bool) -> [UInt16] {
        var px = [UInt16](repeating: count(22), count: w * h)
        for y in 0..<h { for x in 0..<w where warm(x, y) { px[y * w + x] = count(34) } }
        return px
    }

    static func head(_ x: Int, _ y: Int) -> Bool {
        let dx = Double(x - 32) / 10.5, dy = Double(y - 30) / 13.5
        return dx * dx + dy * dy <= 1
    }

    /// A 24 px seat, 8 rows deep, with 3 px posts at both ends rising 16 rows above it.
    static func chair(_ x: Int, _ y: Int) -> Bool {
        let seat = (20...43).contains(x) && (30...37).contains(y)
        let posts = ((20...22).contains(x) || (41...43).contains(x)) && (14...29).contains(y)
        return seat || posts
    }

    func measured(_ px: [UInt16]) -> Detection {
        var labeler = BlobLabeler(width: Self.w, height: Self.h)
        var grouper = FaceGrouper(maxLabels: BlobLabeler.labelBound(width: Self.w, height: Self.h))
        var faces = FaceMeasurer()
        px.withUnsafeBufferPointer { labeler.label($0, threshold: Self.count(30)) }
        grouper.group(labeler.blobs, minPieceArea: 6)
        let region = grouper.regions.max { $0.area < $1.area }!
        return px.withUnsafeBufferPointer { p in
            labeler.labels.withUnsafeBufferPointer { labels in
                grouper.group.withUnsafeBufferPointer { group in
                    faces.measure(blob: region, labels: labels, group: group, pixels: p, width: Self.w, height: Self.h,
                                  table: Self.table, k: 16, band: 0.3)
                }
            }
        }
    }

    @Test func aHeadsCrownFillsTheTopOfItsBox() {
        let d = measured(Self.frame(Self.head))
        #expect(d.faceWidth == 21 && !d.touchesEdge)
        // An ellipse fills 69 % of the top third of its box (fewer on a pixel grid this small).
        #expect((0.6...0.75).contains(d.crownFill), "\(d.crownFill)")
    }

    @Test func aChairsPostsAreNoCrown() {
        let d = measured(Self.frame(Self.chair))
        #expect(d.faceWidth == 24 && !d.touchesEdge)
        #expect(d.crownFill < 0.4, "\(d.crownFill)")
    }
}
