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

    /// A report is a face's when their boxes overlap by at least a fifth of the smaller one.
    static func matches(_ m: Mark, _ b: [Int]) -> Bool {
        let ix = min(m.maxX, b[2]) - max(m.minX, b[0]) + 1, iy = min(m.maxY, b[3]) - max(m.minY, b[1]) + 1
        guard ix > 0, iy > 0 else { return false }
        let smaller = min((m.maxX - m.minX + 1) * (m.maxY - m.minY + 1), (b[2] - b[0] + 1) * (b[3] - b[1] + 1))
        return ix * iy * 5 >= smaller
    }

    /// Found faces and reports that are no one's, per photo.
    static func score() throws -> [(photo: String, faces: Int, found: [String], missed: [String], stray: [Mark])] {
        let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: Project.path("Fixtures/stills-truth.json"))))
        return try truth.photos.map { photo in
            let path = RefData.path(photo.file)!
            let marks = try screenFile(path: path, config: CanthusConfig(), importOptions: ImportOptions(),
                                       imagePath: Project.temporaryDirectory() + "/" + (photo.file as NSString).lastPathComponent + ".png") { _ in }.marks
            let found = photo.faces.filter { f in marks.contains { Self.matches($0, f.box) } }.map(\.name)
            let missed = photo.faces.map(\.name).filter { !found.contains($0) }
            let stray = marks.filter { m in !photo.faces.contains { Self.matches(m, $0.box) } }
            return (photo.file, photo.faces.count, found, missed, stray)
        }
    }

    /// The goal is every face and no stray report (issue 11). Today the faces that merge with
    /// warm bodies and neighbours in a seated crowd are not separated: the floors below are what
    /// canthus reaches now, so that it does not slip back, and the printed figures say how far
    /// it is from the goal (docs/screening.md, "Photos").
    @Test(.needsRefData) func everyFaceIsReportedAndNoWarmObject() throws {
        guard RefData.root != nil else { Issue.record(Comment(rawValue: RefData.absentMessage)); return }
        let floors: [String: (found: Int, stray: Int)] = [
            "irimage_paper/Infrared_image_of_people_in_the_laboratory.jpg": (4, 0),
            "irimage_paper/Videocamera_Termica.jpg": (9, 2),
            "irimage_paper/BillHotFlashThermography.jpg": (1, 0),
        ]
        for s in try Self.score() {
            print("\(s.photo): \(s.found.count)/\(s.faces) faces reported; missed: \(s.missed); not a face: \(s.stray.map { "\($0.lines.joined(separator: " ")) [\($0.minX),\($0.minY),\($0.maxX),\($0.maxY)]" })")
            let floor = try #require(floors[s.photo])
            #expect(s.found.count >= floor.found, "\(s.photo): \(s.found.count) faces reported")
            #expect(s.stray.count <= floor.stray, "\(s.photo): \(s.stray.count) reports on no face")
        }
    }
}
