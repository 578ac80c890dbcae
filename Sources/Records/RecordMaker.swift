import Frames
import Radiometry
import Screening

/// Turns one lane's events and ended tracks (`ScreeningTap`) into what its consumers get
/// (`LaneRecord`): each event with the wall clock, the calibration in force, the person's face
/// box and the reference's reading; an alarm's or pre-alarm's crop for its snapshot; each
/// person's track linked to the decision or rejection about them, and every `viewEveryS` seconds
/// of the source a view of the scene kept with the tracks. On the frame thread: it copies
/// pixels only for an alarm, a pre-alarm or a view, never per frame.
public struct RecordMaker {
    public var lane: String, gate: String
    public var calibrationGain: Double?
    public var calibrationOffsetC: Double?
    /// Snapshots and views (`records.pictures`); false keeps temperatures, counts and tracks.
    public var pictures: Bool
    public var viewEveryS: Double
    /// The source run (`Event.sourceKey`) the state below belongs to.
    private var sourceKey = ""
    /// The decision or rejection made about each person of the source still in view, and its outcome.
    private var outcomes: [Int: (id: String, outcome: String)] = [:]
    private var view: (id: String, timeS: Double)?

    public init(lane: String = "main", gate: String = "", calibrationGain: Double? = nil, calibrationOffsetC: Double? = nil,
                pictures: Bool = true, viewEveryS: Double = 600) {
        self.lane = lane
        self.gate = gate
        self.calibrationGain = calibrationGain
        self.calibrationOffsetC = calibrationOffsetC
        self.pictures = pictures
        self.viewEveryS = viewEveryS
    }

    /// Margin of a snapshot's crop around the face box, in face widths on each side.
    static let snapshotMargin = 1.0

    private mutating func enter(_ key: String) {
        guard key != sourceKey else { return }
        sourceKey = key
        outcomes.removeAll()
        view = nil
    }

    /// `event` (stamped) as the store keeps it; `screener` and `frame` are those it came from.
    public mutating func record(_ event: Event, screener: Screener, frame: Frame, wallMs: Int64 = EventRecord.nowMs()) -> EventRecord {
        enter(event.sourceKey)
        var r = EventRecord(event: event, wallMs: wallMs, calibrationGain: calibrationGain, calibrationOffsetC: calibrationOffsetC)
        let box = screener.subject?.box
        switch event.body {
        case .decision(let d):
            r.faceBox = box
            outcomes[d.track] = (event.id, d.level.rawValue)
            if screener.referenceStatus != .notConfigured {
                r.referenceC = screener.reference.lastReadingC
                if case .ok(let offset) = screener.referenceStatus { r.referenceOffsetK = offset }
            }
            if pictures, d.level != .normal, let box {
                r.snapshot = Self.crop(screener.screened(frame), around: box, table: screener.table, offsetK: Self.offset(screener))
            }
        case .rejected(let track, _, _):
            r.faceBox = box
            outcomes[track] = (event.id, "rejected")
        default: break
        }
        return r
    }

    /// Person `t`'s track, ended, as the store keeps it; `sourceKey` its source run's.
    public mutating func record(track t: Track, sourceKey key: String, screener: Screener, frame: Frame,
                                wallMs: Int64 = EventRecord.nowMs()) -> TrackRecord {
        enter(key)
        var r = TrackRecord(id: "\(key)/track/\(t.id)", lane: lane, gate: gate, source: screener.sourceName, track: t.id, wallMs: wallMs,
                            points: t.trajectory)
        if let c = t.continues {
            r.continues = c
            r.eventID = outcomes[c]?.id
            r.outcome = "continued"
        } else if let o = outcomes.removeValue(forKey: t.id) {
            r.eventID = o.id
            r.outcome = o.outcome
        }
        if pictures {
            if view == nil || screener.lastTimeS - view!.timeS >= viewEveryS {
                let id = "\(key)/view/\(max(0, screener.lastFrame))"
                view = (id, screener.lastTimeS)
                let whole = screener.screened(frame)
                r.view = Self.thermogram(whole, minX: 0, minY: 0, maxX: whole.width - 1, maxY: whole.height - 1,
                                         table: screener.table, offsetK: Self.offset(screener))
            }
            r.viewID = view?.id
        }
        return r
    }

    static func offset(_ s: Screener) -> Double {
        if case .ok(let o) = s.referenceStatus { return o }
        return 0
    }

    /// The part of `frame` around `box` (a face width each side), in °C, and the box within it.
    static func crop(_ frame: Frame, around box: Box, table: CountTable, offsetK: Double) -> (thermogram: Thermogram, box: Box)? {
        guard frame.width > 0, frame.height > 0 else { return nil }
        let m = Int((Double(box.width) * snapshotMargin).rounded())
        let minX = max(0, box.minX - m), minY = max(0, box.minY - m)
        let maxX = min(frame.width - 1, box.maxX + m), maxY = min(frame.height - 1, box.maxY + m)
        guard minX <= maxX, minY <= maxY else { return nil }
        let t = thermogram(frame, minX: minX, minY: minY, maxX: maxX, maxY: maxY, table: table, offsetK: offsetK)
        return (t, Box(minX: box.minX - minX, minY: box.minY - minY, maxX: box.maxX - minX, maxY: box.maxY - minY))
    }

    static func thermogram(_ frame: Frame, minX: Int, minY: Int, maxX: Int, maxY: Int, table: CountTable, offsetK: Double) -> Thermogram {
        let w = maxX - minX + 1, h = maxY - minY + 1
        var celsius = [Float](repeating: 0, count: w * h)
        let offset = Float(offsetK)
        for y in 0..<h {
            for x in 0..<w { celsius[y * w + x] = table[frame.pixels[(minY + y) * frame.width + minX + x]] + offset }
        }
        return Thermogram(celsius: celsius, width: w, height: h)
    }
}
