import Capture
@testable import Daemon
import Foundation
import Picture
import Testing
import TestSupport

/// Every person in real FLIR photos of groups (`Fixtures/stills-truth.json`: faces drawn by eye)
/// is reported — decided, or rejected with a reason — and no warm object is.
@Suite struct GroupPhotoTests {
    struct Truth: Decodable {
        struct Photo: Decodable { var file: String; var faces: [Face] }
        struct Face: Decodable { var name: String; var box: [Int]; var edge: Bool? }
        var photos: [Photo]
    }

    /// How much a report's box and a face's overlap, over the smaller of the two; a report is
    /// a face's when it is at least a fifth.
    static func overlap(_ m: Mark, _ b: [Int]) -> Double {
        let ix = min(m.maxX, b[2]) - max(m.minX, b[0]) + 1, iy = min(m.maxY, b[3]) - max(m.minY, b[1]) + 1
        guard ix > 0, iy > 0 else { return 0 }
        let smaller = min((m.maxX - m.minX + 1) * (m.maxY - m.minY + 1), (b[2] - b[0] + 1) * (b[3] - b[1] + 1))
        return Double(ix * iy) / Double(smaller)
    }

    /// Per photo: the faces found (each by a report of its own: one box over two faces finds
    /// one), the faces missed, reports on no face, and second reports on a face already found.
    static func score() throws -> [(photo: String, faces: Int, found: [String], missed: [String], stray: [Mark], doubled: [Mark])] {
        let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: Project.path("Fixtures/stills-truth.json"))))
        return try truth.photos.map { photo in
            let path = RefData.path(photo.file)!
            let marks = try screenFile(path: path, config: CanthusConfig(), importOptions: ImportOptions(),
                                       imagePath: Project.temporaryDirectory() + "/" + (photo.file as NSString).lastPathComponent + ".png") { _ in }.marks
            // One report to one face, the best-overlapping pairs first.
            var pairs: [(o: Double, m: Int, f: Int)] = []
            for (mi, m) in marks.enumerated() {
                for (fi, f) in photo.faces.enumerated() where overlap(m, f.box) >= 0.2 { pairs.append((overlap(m, f.box), mi, fi)) }
            }
            var markOf = [Int: Int](), faceOf = [Int: Int]()
            for p in pairs.sorted(by: { ($0.o, -$0.m, -$0.f) > ($1.o, -$1.m, -$1.f) }) where markOf[p.f] == nil && faceOf[p.m] == nil {
                markOf[p.f] = p.m
                faceOf[p.m] = p.f
            }
            let found = photo.faces.indices.filter { markOf[$0] != nil }.map { photo.faces[$0].name }
            let missed = photo.faces.indices.filter { markOf[$0] == nil }.map { photo.faces[$0].name }
            let unmatched = marks.indices.filter { faceOf[$0] == nil }
            let stray = unmatched.filter { mi in !pairs.contains { $0.m == mi } }.map { marks[$0] }
            let doubled = unmatched.filter { mi in pairs.contains { $0.m == mi } }.map { marks[$0] }
            return (photo.file, photo.faces.count, found, missed, stray, doubled)
        }
    }

    /// Every face in the truth is reported, once, and nothing else (docs/screening.md, "Photos").
    @Test(.needsRefData) func everyFaceIsReportedAndNoWarmObject() throws {
        guard RefData.root != nil else { Issue.record(Comment(rawValue: RefData.absentMessage)); return }
        func boxes(_ marks: [Mark]) -> [String] { marks.map { "\($0.lines.joined(separator: " ")) [\($0.minX),\($0.minY),\($0.maxX),\($0.maxY)]" } }
        for s in try Self.score() {
            print("\(s.photo): \(s.found.count)/\(s.faces) faces reported; missed: \(s.missed); not a face: \(boxes(s.stray)); a face reported twice: \(boxes(s.doubled))")
            #expect(s.missed.isEmpty, "\(s.photo): \(s.found.count) of \(s.faces) faces reported")
            #expect(s.stray.isEmpty, "\(s.photo): \(s.stray.count) reports on no face")
            #expect(s.doubled.isEmpty, "\(s.photo): \(s.doubled.count) faces reported twice")
        }
    }
}
