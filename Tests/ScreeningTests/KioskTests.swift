import Capture
import Foundation
@testable import Screening
import Testing
import TestSupport

/// The four real Lepton 3.5 kiosk recordings (refdata/feverscreen), replayed with the kiosk
/// import preset (rotated mounting) and the set-point the kiosk project's own tests give their
/// disc, 37.0 °C; the disc is found automatically.
@Suite struct KioskTests {
    /// The disc's centre, upright (x, y): the centroid of the area within half-way from the
    /// surroundings to the disc's plateau in the median frame, as refdata/feverscreen-tko's
    /// README gives it for the same kiosks (by camera name: TKO8 = fs-1220, TKO11 = fs-1228,
    /// tko-0257-2888-4209). The centres upstream published in `derived/*_frames.json` lie
    /// 3.2–3.7 px from it, all on the same side (on the disc's slope, not its middle), so they
    /// are upstream's detector's output rather than the disc's centre.
    static let discCentres: [String: (x: Double, y: Double)] = [
        "20210325-091249": (26, 132), "20210326-110819": (104, 101.5), "20210326-091927": (97, 98), "20210322-141052": (104, 101.5),
    ]

    static let options = ImportOptions(rotation: .cw90, reference: ReferenceSource(radiusPx: 6, setTemperatureC: 37.0))

    @Test(.needsRefData, arguments: RefData.kioskRecordings)
    func referenceDiscIsFoundAndNeverAPerson(name: String) throws {
        guard let path = RefData.path("feverscreen/\(name).cptv") else {
            Issue.record(Comment(rawValue: RefData.absentMessage))
            return
        }
        let source = try openSource(path: path, options: Self.options)
        let config = ScreeningConfig()
        let screener = Screener(header: source.header, config: config, sourceName: source.name)
        let expected = Self.discCentres[name]!
        var frame = Frame.empty
        var index = 0
        var worst = 0.0
        var missing: [Int] = []
        while try source.next(into: &frame) {
            screener.process(frame, index: index) { _ in }
            if let p = screener.reference.position, case .ok = screener.referenceStatus {
                worst = max(worst, ((p.x - expected.x) * (p.x - expected.x) + (p.y - expected.y) * (p.y - expected.y)).squareRoot())
            } else {
                // Unsure is allowed only while look-alikes are told apart in the first second,
                // and only said as such.
                #expect(screener.referenceStatus == .searching && screener.lastTimeS <= config.reference.confirmS,
                        "frame \(index): \(screener.referenceStatus)")
                missing.append(index)
            }
            // No detection may read the disc: faces read 0.6–1.4 K below it (SOURCES.md), so a
            // detection whose hottest pixels include disc pixels would read at least the disc.
            if let disc = screener.reference.lastReadingC {
                for d in screener.detections {
                    #expect(d.canthusC < disc - 0.2, "frame \(index): a detection reads \(d.canthusC) °C, the disc \(disc) °C")
                }
            }
            index += 1
        }
        print("\(name): reference at most \(worst) px from the disc's centre; searching in frames \(missing)")
        #expect(missing.count <= 2)
        #expect(worst <= 2.0, "reference found up to \(worst) px from the disc's centre")
    }
}

/// What the kiosk project's own tests expect, in the event stream's terms.
@Suite struct KioskBehaviourTests {
    func events(_ name: String) throws -> [Event]? {
        guard let path = RefData.path("feverscreen/\(name).cptv") else { return nil }
        let source = try openSource(path: path, options: KioskTests.options)
        var out: [Event] = []
        try Screener(header: source.header, config: DevSetTests.kioskConfig, sourceName: source.name).screenAll(source) { out.append($0) }
        return out
    }

    @Test(.needsRefData) func emptySceneReportsNoOne() throws {
        guard let e = try events("20210326-091927") else { Issue.record(Comment(rawValue: RefData.absentMessage)); return }
        let people = e.filter { if case .status = $0.body { return false } else { return true } }
        #expect(people.isEmpty, "\(people.map(\.json))")
    }

    /// "Measures the person (glasses flagged)": exactly one decision, though cold glasses cut the
    /// face apart for most of the recording and a hand comes up to it — and nothing else: the
    /// person is counted once, when they leave, and no hand, chin or warm spot on the kiosk is
    /// reported as anyone.
    @Test(.needsRefData) func glassesPersonIsMeasuredOnceWithGlassesFlagged() throws {
        guard let e = try events("20210325-091249") else { Issue.record(Comment(rawValue: RefData.absentMessage)); return }
        let decisions = e.compactMap { if case .decision(let d) = $0.body { return d } else { return nil } }
        #expect(decisions.count == 1, "\(decisions)")
        #expect(decisions.allSatisfy { $0.level == .normal && $0.reasons == ["glasses"] && (33...36.5).contains($0.canthusC) }, "\(decisions)")
        let others = e.filter {
            switch $0.body {
            case .status, .decision: return false
            case .count(let track, _): return track != decisions.first?.track
            default: return true
            }
        }
        #expect(others.isEmpty, "\(others.map(\.json))")
        #expect(e.filter { if case .count(let t, _) = $0.body { t == decisions.first?.track } else { false } }.count == 1)
    }

    /// "Person should not measure": the far person's head is too small to measure (rejected
    /// `too_far`), and nothing else in the room is taken for a face: not their hands, not the
    /// warm, chair-shaped object moved about behind them (a seat with a back and posts above
    /// it: the top of its region is no head's crown), nor the lukewarm plate below the disc,
    /// onto which the track of a passer-by's speck hops (it was reported `cold`).
    @Test(.needsRefData) func farPersonIsMeasuredByNoOneAndTheirHeadIsTooFar() throws {
        guard let e = try events("20210326-110819") else { Issue.record(Comment(rawValue: RefData.absentMessage)); return }
        let decisions = e.compactMap { if case .decision(let d) = $0.body { return d } else { return nil } }
        #expect(decisions.isEmpty, "\(decisions)")
        let tooFar = e.filter { if case .rejected(_, let reasons, _) = $0.body { return reasons.contains("too_far") } else { return false } }
        #expect(!tooFar.isEmpty)
        let cold = e.filter { if case .rejected(_, let reasons, _) = $0.body { return reasons.contains("cold") } else { return false } }
        #expect(cold.isEmpty, "\(cold.map(\.json))")
    }

    /// 20210322-141052 (not asserted upstream): a person in a warm shirt walks up to the kiosk
    /// until their face fills the lower half of the view. Their head must be found on top of
    /// their warm torso (the head ends where the shoulders widen), so they are measured while
    /// they approach, never rejected as too far.
    /// The close person in a warm shirt steps up, leaves the view by its left edge for a
    /// moment and comes back: one person, one decision (it was two, 3 s apart).
    @Test(.needsRefData) func closePersonIsMeasuredOnceThoughTheyLeaveTheViewForAMoment() throws {
        guard let e = try events("20210322-141052") else { Issue.record(Comment(rawValue: RefData.absentMessage)); return }
        let decisions = e.filter { if case .decision = $0.body { return true } else { return false } }
        #expect(decisions.count == 1 && decisions[0].frame < 20, "\(decisions.map(\.json))")
        let counts = e.filter { if case .count = $0.body { return true } else { return false } }
        #expect(counts.count == 1, "\(counts.map(\.json))")
        let tooFar = e.filter { if case .rejected(_, let reasons, _) = $0.body { return reasons.contains("too_far") } else { return false } }
        #expect(tooFar.isEmpty, "\(tooFar.map(\.json))")
    }
}
