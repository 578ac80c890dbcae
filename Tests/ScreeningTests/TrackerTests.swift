@testable import Screening
import Testing

@Suite struct TrackerTests {
    func face(x: Double, y: Double, width: Int) -> Detection {
        let h = width * 5 / 4
        return Detection(x: x, y: y, faceWidth: width, faceHeight: h,
                         minX: Int(x) - width / 2, minY: Int(y) - h / 2, maxX: Int(x) + width / 2, maxY: Int(y) + h / 2,
                         canthusC: 35, raw: 0, glasses: false, touchesEdge: false, crownFill: 0.7, crownSplit: 0, skinBalance: 1, canthusReliefK: 1,
                         region: Box(minX: Int(x) - width / 2, minY: Int(y) - h / 2, maxX: Int(x) + width / 2, maxY: Int(y) + h / 2))
    }

    /// A 3 px piece of a chin starts a track of its own; when the face next comes in nearer that
    /// piece than where the face's own track predicted it, the face still goes to the face.
    @Test func aFaceGoesToTheTrackOfItsSizeNotToANearerSpeck() {
        var tracker = Tracker(config: ScreeningConfig())
        tracker.update([face(x: 90, y: 40, width: 34), face(x: 86, y: 52, width: 3)], timeS: 0, frame: 0)
        tracker.update([face(x: 93, y: 40, width: 34), face(x: 86, y: 52, width: 3)], timeS: 0.11, frame: 1)
        // The face moves back and down; the speck is not seen.
        tracker.update([face(x: 88, y: 46, width: 35)], timeS: 0.22, frame: 2)
        let faceTrack = tracker.tracks[tracker.assignment[0]]
        #expect(faceTrack.id == 1 && faceTrack.framesSeen == 3, "taken by track \(faceTrack.id)")
    }

    /// Without a track of its size, a growing face (entering the view) still keeps its track.
    @Test func aGrowingFaceKeepsItsTrack() {
        var tracker = Tracker(config: ScreeningConfig())
        tracker.update([face(x: 2, y: 40, width: 4)], timeS: 0, frame: 0)
        tracker.update([face(x: 6, y: 40, width: 12)], timeS: 0.04, frame: 1)
        #expect(tracker.tracks.count == 1 && tracker.tracks[0].framesSeen == 2)
    }

    /// A track seen for a long time (a lamp, someone waiting) keeps a bounded path from its first
    /// point to its last, thinned, not cut.
    @Test func aLongTrajectoryIsThinnedNotGrown() {
        var tracker = Tracker(config: ScreeningConfig())
        for f in 0..<5000 { tracker.update([face(x: 50 + Double(f % 3), y: 40, width: 30)], timeS: Double(f) / 9, frame: f) }
        let path = tracker.tracks[0].trajectory
        #expect(tracker.tracks.count == 1 && path.count <= Track.maxTrajectoryPoints)
        #expect(path.first?.frame == 0 && path.last?.frame == 4999 && path.count > Track.maxTrajectoryPoints / 2)
        #expect(zip(path, path.dropFirst()).allSatisfy { $0.frame < $1.frame })
    }
}
