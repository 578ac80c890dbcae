import Foundation

/// One person followed across frames.
public struct Track: Sendable {
    public let id: Int
    public var x: Double, y: Double
    public var vx = 0.0, vy = 0.0
    public var firstTimeS: Double
    public var lastTimeS: Double
    public var lastFrame: Int
    public var framesSeen = 1
    /// Positions (frame, time, centre, face width) while seen, first to last: every frame's until
    /// `maxTrajectoryPoints`, then thinned to every other point each time it fills again, so a
    /// track that stays for hours (a warm lamp) holds a bounded path.
    public var trajectory: [TrajectoryPoint] = []
    /// The most points a trajectory holds (reserved when the track starts).
    public static let maxTrajectoryPoints = 512
    /// Readings of the person's good frames (`Sample`): at most `maxSamples`, the best kept
    /// (`Sample.isBetter`).
    public var samples: [Sample] = []
    public static let maxSamples = 32
    /// When the first of them was taken.
    public var firstSampleS: Double?
    /// How often each gate or pause reason stopped a reading.
    public var reasonCounts: [String: Int] = [:]
    /// The ID of the person (decided, then lost for a moment) whose screening this track
    /// continues: it is not decided, rejected or counted again.
    public var continues: Int?
    /// Rejected (`cold`, `not_facing`) before it had moved: reported when it ends, unless it
    /// proved an object (a lukewarm plate, a warm fixture beside the disc).
    public var pendingRejection: ReasonCode?
    /// The median face width of the frames the decision read (px).
    public var decidedWidth: Int?
    /// The level the running estimate holds (`DecisionPolicy.level`, with hysteresis).
    public var level = Level.normal
    public var decided = false
    public var counted = false
    public var startX: Double, startY: Double
    /// The last face box (upright pixels, inclusive), and the one before it when that was the
    /// previous frame's.
    public var box: Box
    public var previousBox: Box?
    /// The last warm region the face topped (`Detection.region`), and whether the frame's edge
    /// cut the last face box.
    public var region: Box
    public var atEdge: Bool
    /// Set when the track appeared with its centre inside the face box of an older person (a
    /// hand at the face, a face splitting for a moment): the ID of that person. A fragment is never
    /// decided, rejected or counted on its own.
    public var fragmentOf: Int?
    /// The furthest it has been from where it was first seen (px).
    public var maxDisplacementPx = 0.0
    /// Its widest face (px) seen whole: where it came closest; 0 when it was only ever partly
    /// hidden behind someone (`Detection.partlyHidden`).
    public var maxFaceWidth: Int

    init(id: Int, detection: Detection, timeS: Double, frame: Int) {
        self.id = id
        x = detection.x
        y = detection.y
        firstTimeS = timeS
        lastTimeS = timeS
        lastFrame = frame
        startX = x
        startY = y
        box = detection.box
        region = detection.region
        atEdge = detection.touchesEdge
        maxFaceWidth = detection.partlyHidden ? 0 : detection.faceWidth
        trajectory.reserveCapacity(Self.maxTrajectoryPoints)
        samples.reserveCapacity(Self.maxSamples)
        trajectory.append(TrajectoryPoint(frame: frame, timeS: timeS, x: x, y: y, width: detection.faceWidth,
                                          height: detection.maxY - detection.minY + 1))
    }

    /// Keeps `sample` if there is room, or in place of the worst one (`Sample.isBetter`).
    mutating func keep(_ sample: Sample) {
        if samples.count < Self.maxSamples { samples.append(sample); return }
        var worst = 0
        for i in samples.indices where samples[worst].isBetter(than: samples[i]) { worst = i }
        if sample.isBetter(than: samples[worst]) { samples[worst] = sample }
    }

    /// The width of the last face box (px).
    public var faceWidth: Int { box.maxX - box.minX + 1 }

    /// Face widths per second.
    public var speedFaceWidthsPerS: Double { (vx * vx + vy * vy).squareRoot() / Double(max(1, faceWidth)) }

    /// How the face moved over at least the last `window` seconds of its trajectory: the
    /// centre's speed in face widths per second and the rate of change of its size,
    /// |ln(w₁/w₀)| per second (a person walking towards the camera at v from distance d grows
    /// at v/d). Nil until the trajectory spans the window. Whether the person stands still.
    public func motion(over window: Double) -> (speed: Double, growth: Double)? {
        guard let now = trajectory.last else { return nil }
        for then in trajectory.reversed().dropFirst() where now.timeS - then.timeS >= window {
            let dt = now.timeS - then.timeS
            let w = Double(now.width + then.width) / 2
            let d = ((now.x - then.x) * (now.x - then.x) + (now.y - then.y) * (now.y - then.y)).squareRoot()
            return (d / w / dt, abs(log(Double(now.width) / Double(then.width))) / dt)
        }
        return nil
    }
}

extension Sample {
    /// A still frame is better than a moving one (no motion blur, the face seen as it settles);
    /// among those, a larger face (more pixels on the canthus).
    func isBetter(than other: Sample) -> Bool {
        still != other.still ? still : width > other.width
    }
}

/// One good frame of a person: the corrected canthus (°C), the raw count there, the face
/// width (px; larger is closer, more pixels on the canthus) and whether glasses were seen.
public struct Sample: Sendable, Equatable {
    public var canthusC: Double
    public var raw: Double
    public var width: Int
    public var glasses: Bool
    /// The person stood still (`ScreeningConfig.settledSpeedFaceWidthsPerS`, `settledGrowthPerS`).
    public var still: Bool
    /// `Detection.skinBalance`: about 1 facing the camera, less in profile.
    public var balance: Double
    /// `Detection.sideContrastK`: a fraction of a kelvin facing the camera, kelvins in profile.
    public var sideContrastK: Double
    /// `Detection.canthusReliefK`.
    public var reliefK: Double
}

public struct TrajectoryPoint: Sendable, Equatable {
    public var frame: Int
    /// Seconds since the source's first frame.
    public var timeS: Double
    /// Face box centre (upright pixels), width and height (px).
    public var x: Double
    public var y: Double
    public var width: Int
    public var height: Int

    public init(frame: Int, timeS: Double, x: Double, y: Double, width: Int, height: Int) {
        self.frame = frame; self.timeS = timeS; self.x = x; self.y = y; self.width = width; self.height = height
    }
}

/// Whether two face widths (px) can be one person's a moment apart: within a factor of two (a
/// face does not halve or double its width between sightings; one may come a step nearer).
func likeSized(_ a: Int, _ b: Int) -> Bool { max(a, b) <= 2 * min(a, b) }

/// Associates detections with tracks: constant-velocity prediction, then greedy matching of the
/// closest pairs within a gate of `matchWithinFaceWidths` face widths (twice that for a track
/// seen once, which has no velocity yet), pairs of like size (widths within a factor of two)
/// before any other. A track unseen for `trackTimeoutS` has left. A younger track whose centre
/// falls inside the face box of a confirmed person is a fragment of that person
/// (`Track.fragmentOf`).
public struct Tracker {
    public let config: ScreeningConfig
    public private(set) var tracks: [Track] = []
    private var nextID = 1
    private var pairs: [(kind: PairKind, distance: Double, track: Int, detection: Int)] = []

    /// How a track and a detection can be one person, in the order pairs are taken.
    enum PairKind: Int, Comparable {
        /// Within the gate, faces of like size.
        case near
        /// Within the gate, faces of unlike size (taken when nothing like-sized claims either).
        case unlikeSized
        /// Beyond the gate, at the frame's edge, one below the other's face on its body: the
        /// head came into view above the shoulders the track followed, or went out of view and
        /// left them.
        case throughBody

        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }
    private var trackTaken: [Bool] = []
    private var detectionTaken: [Bool] = []
    /// For each detection of the last update, the index of its track in `tracks`.
    public private(set) var assignment: [Int] = []

    public init(config: ScreeningConfig) {
        self.config = config
        tracks.reserveCapacity(64)
        pairs.reserveCapacity(256)
        departed.reserveCapacity(Self.maxDeparted)
    }

    /// Matches `detections` to tracks; unmatched detections start tracks.
    public mutating func update(_ detections: [Detection], timeS: Double, frame: Int) {
        pairs.removeAll(keepingCapacity: true)
        for (ti, t) in tracks.enumerated() {
            let dt = timeS - t.lastTimeS
            let px = t.x + t.vx * dt, py = t.y + t.vy * dt
            for (di, d) in detections.enumerated() {
                // A track seen once has no velocity yet to predict with: twice the reach.
                let reach = t.framesSeen == 1 ? 2 * config.matchWithinFaceWidths : config.matchWithinFaceWidths
                let gate = reach * Double(max(t.faceWidth, d.faceWidth)) + 2
                let dist = ((d.x - px) * (d.x - px) + (d.y - py) * (d.y - py)).squareRoot()
                // A face does not halve or double its width between frames: such a pair is
                // only taken when nothing of a like size claims either side.
                if dist <= gate { pairs.append((likeSized(t.faceWidth, d.faceWidth) ? .near : .unlikeSized, dist, ti, di)) }
                // At the frame's edge a person's shoulders come into view before their head
                // and stay after it: the head appears above the shoulders the track followed,
                // or leaves them behind, a face height or more from where the track was.
                else if t.atEdge || d.touchesEdge,
                        (d.region.contains(px, py) && py > Double(d.maxY)) || (t.region.contains(d.x, d.y) && d.y > Double(t.box.maxY)) {
                    pairs.append((.throughBody, dist, ti, di))
                }
            }
        }
        // Insertion sort in place: the standard sort may allocate a merge buffer, and a frame
        // has few candidate pairs (about one or two per person).
        pairs.withUnsafeMutableBufferPointer { p in
            func before(_ a: (kind: PairKind, distance: Double, track: Int, detection: Int),
                        _ b: (kind: PairKind, distance: Double, track: Int, detection: Int)) -> Bool {
                if a.kind != b.kind { return a.kind < b.kind }
                return a.distance < b.distance || (a.distance == b.distance && (a.track, a.detection) < (b.track, b.detection))
            }
            for i in p.indices.dropFirst() {
                let x = p[i]
                var j = i
                while j > 0 && before(x, p[j - 1]) { p[j] = p[j - 1]; j -= 1 }
                p[j] = x
            }
        }
        trackTaken.removeAll(keepingCapacity: true)
        trackTaken.append(contentsOf: repeatElement(false, count: tracks.count))
        detectionTaken.removeAll(keepingCapacity: true)
        detectionTaken.append(contentsOf: repeatElement(false, count: detections.count))
        assignment.removeAll(keepingCapacity: true)
        assignment.append(contentsOf: repeatElement(-1, count: detections.count))
        for p in pairs where !trackTaken[p.track] && !detectionTaken[p.detection] {
            trackTaken[p.track] = true
            detectionTaken[p.detection] = true
            assignment[p.detection] = p.track
            Self.follow(&tracks[p.track], to: detections[p.detection], timeS: timeS, frame: frame)
        }
        for (di, d) in detections.enumerated() where !detectionTaken[di] {
            assignment[di] = tracks.count
            tracks.append(Track(id: nextID, detection: d, timeS: timeS, frame: frame))
            nextID += 1
        }
        markFragments(frame: frame)
    }

    /// A track that appears this frame with its centre inside the face box, this frame's or the
    /// last, of an older confirmed person seen this frame is a piece of that person's face (a
    /// hand at the face, a face split for a moment). Only where it appears: a face followed on
    /// its own that then passes in front of or behind another (people crossing) is a person.
    private mutating func markFragments(frame: Int) {
        for i in tracks.indices where tracks[i].lastFrame == frame && tracks[i].framesSeen == 1 {
            let (id, x, y) = (tracks[i].id, tracks[i].x, tracks[i].y)
            for k in tracks.indices where tracks[k].id < id && tracks[k].lastFrame == frame && tracks[k].fragmentOf == nil
                && tracks[k].framesSeen >= config.minTrackFrames {
                if tracks[k].box.contains(x, y) || tracks[k].previousBox?.contains(x, y) == true {
                    tracks[i].fragmentOf = tracks[k].id
                    break
                }
            }
        }
    }

    /// Decided people who left the view lately: who, when, where they were last seen, and
    /// their face's width when they were measured.
    private var departed: [(id: Int, lastS: Double, x: Double, y: Double, width: Int)] = []
    private static let maxDeparted = 16

    /// Remembers a decided person who has left (their track expired), so that the same person
    /// back within `returnWithinS` is not screened again (`returning`).
    public mutating func depart(_ t: Track) {
        guard t.decided else { return }
        departed.removeAll { t.lastTimeS - $0.lastS > config.returnWithinS }
        if departed.count == Self.maxDeparted { departed.removeFirst() }
        departed.append((t.continues ?? t.id, t.lastTimeS, t.x, t.y, t.decidedWidth ?? t.faceWidth))
    }

    /// The decided person that track `t`, about to be decided with faces `width` px wide, is
    /// back from a moment out of view: one who left no more than `returnWithinS` before `t`
    /// appeared, within 1.5 face widths of where `t` appeared (a face cut by the edge it left
    /// and came back by has its box shifted), measured with a face of like size (within a
    /// factor of 2: they may come back a step nearer). Someone else stepping up comes later,
    /// or from elsewhere, or at another distance. The match is used up.
    public mutating func returning(_ t: Track, width: Int) -> Int? {
        for (k, p) in departed.enumerated() where t.firstTimeS >= p.lastS && t.firstTimeS - p.lastS <= config.returnWithinS {
            let d = ((t.startX - p.x) * (t.startX - p.x) + (t.startY - p.y) * (t.startY - p.y)).squareRoot()
            guard d <= 1.5 * Double(max(width, p.width)), likeSized(width, p.width) else { continue }
            departed.remove(at: k)
            return p.id
        }
        return nil
    }

    /// Moves a track to its new detection, in place (a copy would make its trajectory's
    /// storage shared, and the append below would then copy it: an allocation every frame).
    private static func follow(_ t: inout Track, to d: Detection, timeS: Double, frame: Int) {
        let dt = max(1e-3, timeS - t.lastTimeS)
        let nvx = (d.x - t.x) / dt, nvy = (d.y - t.y) / dt
        t.vx = t.framesSeen == 1 ? nvx : 0.5 * t.vx + 0.5 * nvx
        t.vy = t.framesSeen == 1 ? nvy : 0.5 * t.vy + 0.5 * nvy
        t.x = d.x
        t.y = d.y
        t.previousBox = t.lastFrame == frame - 1 ? t.box : nil
        t.box = d.box
        t.region = d.region
        t.atEdge = d.touchesEdge
        t.lastTimeS = timeS
        t.lastFrame = frame
        t.framesSeen += 1
        if t.trajectory.count == Track.maxTrajectoryPoints {
            // Keep the points at even positions (the first among them), in place.
            let kept = (t.trajectory.count + 1) / 2
            for i in 0..<kept { t.trajectory[i] = t.trajectory[2 * i] }
            t.trajectory.removeLast(t.trajectory.count - kept)
        }
        t.trajectory.append(TrajectoryPoint(frame: frame, timeS: timeS, x: d.x, y: d.y, width: d.faceWidth, height: d.maxY - d.minY + 1))
        if !d.partlyHidden { t.maxFaceWidth = max(t.maxFaceWidth, d.faceWidth) }
        t.maxDisplacementPx = max(t.maxDisplacementPx, ((d.x - t.startX) * (d.x - t.startX) + (d.y - t.startY) * (d.y - t.startY)).squareRoot())
    }

    public mutating func modify(_ index: Int, _ change: (inout Track) -> Void) { change(&tracks[index]) }

    /// Removes and returns tracks unseen for longer than the timeout (all of them when `all`).
    public mutating func expire(timeS: Double, all: Bool = false) -> [Track] {
        var gone: [Track] = []
        tracks.removeAll { t in
            let expired = all || timeS - t.lastTimeS > config.trackTimeoutS
            if expired { gone.append(t) }
            return expired
        }
        return gone
    }
}
