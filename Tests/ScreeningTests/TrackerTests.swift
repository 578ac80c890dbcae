@testable import Screening
import Testing

@Suite struct TrackerTests {
    /// A face `width` px wide centred at (x, y); its warm region reaches `bodyRows` rows below
    /// the face (shoulders and clothing warm enough to join it).
    func face(x: Double, y: Double, width: Int, bodyRows: Int = 0, atEdge: Bool = false) -> Detection {
        let h = width * 5 / 4
        return Detection(x: x, y: y, faceWidth: width, faceHeight: h,
                         minX: Int(x) - width / 2, minY: Int(y) - h / 2, maxX: Int(x) + width / 2, maxY: Int(y) + h / 2,
                         canthusC: 35, raw: 0, glasses: false, touchesEdge: atEdge, crownFill: 0.7, crownSplit: 0, skinBalance: 1, sideContrastK: 0,
                         region: Box(minX: Int(x) - width, minY: Int(y) - h / 2, maxX: Int(x) + width, maxY: Int(y) + h / 2 + bodyRows),
                         canthusReliefK: 1)
    }

    /// A piece that appears inside a person's face box (a hand raised to the face) is that
    /// person's fragment; a face followed on its own that walks across another person's face
    /// (two people crossing, the farther one higher in the view) is a person still.
    @Test func aPieceAppearsInsideAFaceButAPasserByCrossesIt() {
        var tracker = Tracker(config: ScreeningConfig())
        // A near person standing at x 60; a farther one walks in from the right, 9 px a frame.
        for f in 0..<8 {
            tracker.update([face(x: 60, y: 80, width: 32), face(x: 110 - 9 * Double(f), y: 72, width: 18)], timeS: Double(f) / 9, frame: f)
        }
        // The farther face has crossed the near one's box (its centre inside it in frames 4–7)
        // and is past it; a hand appears inside the near face.
        tracker.update([face(x: 60, y: 80, width: 32), face(x: 38, y: 72, width: 18), face(x: 66, y: 88, width: 8)], timeS: 8 / 9, frame: 8)
        let passer = tracker.tracks[tracker.assignment[1]], hand = tracker.tracks[tracker.assignment[2]]
        #expect(passer.id == 2 && passer.fragmentOf == nil, "the passer-by (track \(passer.id)) is a fragment of \(String(describing: passer.fragmentOf))")
        #expect(hand.framesSeen == 1 && hand.fragmentOf == 1)
    }

    /// At the frame's edge a person's shoulders come into view before the head: the track that
    /// followed the shoulders goes on with the head when it appears above them, a face height
    /// away; and when the head leaves, the shoulders left behind carry it on.
    @Test func theShouldersCarryTheTrackAsTheHeadComesAndGoes() {
        var tracker = Tracker(config: ScreeningConfig())
        // Shoulders at the left edge, a warm region 10 px wide.
        tracker.update([face(x: 4, y: 95, width: 8, bodyRows: 10, atEdge: true)], timeS: 0, frame: 0)
        tracker.update([face(x: 7, y: 96, width: 12, bodyRows: 10, atEdge: true)], timeS: 0.11, frame: 1)
        // The head comes in above them: its region reaches down over where the shoulders were.
        tracker.update([face(x: 6, y: 66, width: 12, bodyRows: 40, atEdge: true)], timeS: 0.22, frame: 2)
        #expect(tracker.tracks.count == 1 && tracker.tracks[0].framesSeen == 3, "\(tracker.tracks.map(\.id))")
        // It leaves by the same edge: the head goes, the shoulders below it stay a frame.
        tracker.update([face(x: 3, y: 97, width: 7, bodyRows: 8, atEdge: true)], timeS: 0.33, frame: 3)
        #expect(tracker.tracks.count == 1 && tracker.tracks[0].framesSeen == 4, "\(tracker.tracks.map(\.id))")
        // Away from the edge a region below a face is not taken for it: someone else's.
        var inside = Tracker(config: ScreeningConfig())
        inside.update([face(x: 60, y: 100, width: 10, bodyRows: 10)], timeS: 0, frame: 0)
        inside.update([face(x: 60, y: 100, width: 10, bodyRows: 10)], timeS: 0.11, frame: 1)
        inside.update([face(x: 60, y: 66, width: 12, bodyRows: 50)], timeS: 0.22, frame: 2)
        #expect(inside.tracks.count == 2)
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
