import Capture
import Foundation
import Radiometry
import Screening

/// Scores the pipeline against simulator truth.
///
/// Tracks are matched to people by their positions: each frame a track is seen, the truth face
/// box containing it votes for that person; a track belongs to the person with most votes.
/// A decision is correct when its track belongs to a measurable person not decided before.
/// Only confirmed tracks (seen at least `min_track_frames` times, not fragments: the ones events
/// can name) count.
public struct Evaluation: Codable, Equatable, Sendable {
    public var recordings = 0
    public var people = 0
    public var measurable = 0
    public var decisions = 0
    public var correctDecisions = 0
    /// Measurable people with a decision / measurable people.
    public var recall = 0.0
    /// Correct decisions / all decisions.
    public var precision = 0.0
    /// |canthus_c − true canthus| over correct decisions (°C).
    public var canthusMAE = 0.0
    public var canthusP95 = 0.0
    public var canthusBias = 0.0
    /// Fever detection over decided people: truth = true canthus + offset ≥ alarm threshold;
    /// predicted = level alarm. `…Margin` excludes people within 0.3 °C of the threshold.
    public var feverPositives = 0
    public var feverSensitivity: Double?
    public var feverSpecificity: Double?
    public var feverSensitivityMargin: Double?
    public var feverSpecificityMargin: Double?
    /// Sum over recordings of |counted − true count|, and recordings counted exactly.
    public var headcountError = 0
    public var headcountExact = 0
    /// Extra tracks on one person plus tracks spanning two people.
    public var idSwitches = 0
    public var tracks = 0
    /// Decided people wearing glasses whose decision says `glasses`, those whose decision does
    /// not, and decisions flagged `glasses` for people without.
    public var glassesFlagged = 0
    public var glassesMissed = 0
    public var glassesFalse = 0
    /// Correct decisions that carry a distance, and those within 15 % of the true distance;
    /// the largest relative error (|measured − true| / true).
    public var distancesMeasured = 0
    public var distancesWithin15Percent = 0
    public var distanceMaxError = 0.0
    /// One row per person who got a correct decision.
    public var details: [PersonOutcome] = []

    enum CodingKeys: String, CodingKey {
        case recordings, people, measurable, decisions, recall, precision, tracks
        case correctDecisions = "correct_decisions", canthusMAE = "canthus_mae_c", canthusP95 = "canthus_p95_c"
        case canthusBias = "canthus_bias_c", feverPositives = "fever_positives"
        case feverSensitivity = "fever_sensitivity", feverSpecificity = "fever_specificity"
        case feverSensitivityMargin = "fever_sensitivity_margin", feverSpecificityMargin = "fever_specificity_margin"
        case headcountError = "headcount_error", headcountExact = "headcount_exact", idSwitches = "id_switches"
        case glassesFlagged = "glasses_flagged", glassesMissed = "glasses_missed", glassesFalse = "glasses_false"
        case distancesMeasured = "distances_measured", distancesWithin15Percent = "distances_within_15_percent"
        case distanceMaxError = "distance_max_error"
        case details
    }

    public init() {}

    /// The table `canthus eval` prints.
    public var table: String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
        let rows: [(String, String)] = [
            ("recordings", "\(recordings)"),
            ("people (measurable)", "\(people) (\(measurable))"),
            ("decisions (correct)", "\(decisions) (\(correctDecisions))"),
            ("recall", pct(recall)),
            ("precision", pct(precision)),
            ("canthus MAE °C", String(format: "%.3f", canthusMAE)),
            ("canthus p95 error °C", String(format: "%.3f", canthusP95)),
            ("canthus bias °C", String(format: "%+.3f", canthusBias)),
            ("febrile by truth", "\(feverPositives)"),
            ("fever sensitivity", pct(feverSensitivity)),
            ("fever specificity", pct(feverSpecificity)),
            ("sensitivity (≥0.3 °C margin)", pct(feverSensitivityMargin)),
            ("specificity (≥0.3 °C margin)", pct(feverSpecificityMargin)),
            ("headcount error (exact runs)", "\(headcountError) (\(headcountExact)/\(recordings))"),
            ("tracks (ID switches)", "\(tracks) (\(idSwitches))"),
            ("glasses flagged (missed, false)", "\(glassesFlagged) (\(glassesMissed), \(glassesFalse))"),
            ("distance within 15 % (worst)", "\(distancesWithin15Percent)/\(distancesMeasured) (\(String(format: "%.1f", distanceMaxError * 100)) %)"),
        ]
        let width = rows.map(\.0.count).max()!
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}

/// A decided person: what the truth says and what canthus said.
public struct PersonOutcome: Codable, Equatable, Sendable {
    public var recording: String
    public var person: Int
    public var track: Int
    public var trueCanthusC: Double
    public var measuredCanthusC: Double
    public var level: String
    public var glasses: Bool
    public var distanceM: Double
    /// How far the decision says they stood (m), when the camera's field of view is known.
    public var measuredDistanceM: Double?
    /// The decision's flags (`glasses`, …).
    public var reasons: [String]

    enum CodingKeys: String, CodingKey {
        case recording, person, track, level, glasses, reasons
        case trueCanthusC = "true_canthus_c", measuredCanthusC = "measured_canthus_c", distanceM = "distance_m"
        case measuredDistanceM = "measured_distance_m"
    }
}

/// Per-recording material for the evaluation.
struct RecordingOutcome {
    var truth: Truth
    var events: [Event]
    var trackVotes: [Int: [Int: Int]]   // track id → person id → frames
}

public enum Evaluator {
    /// Replays `recordings` (each with its truth) through a fresh screener per recording.
    public static func evaluate(recordings: [String], truths: [String], config: ScreeningConfig,
                                calibration: LinearCalibration = .identity, flatField: FlatField? = nil) throws -> Evaluation {
        precondition(recordings.count == truths.count)
        var outcomes: [RecordingOutcome] = []
        var table: CountTable?
        for (path, truthPath) in zip(recordings, truths) {
            let truth = try Truth.load(path: truthPath)
            let source = try openSource(path: path)
            // The scene's counting line applies unless the configuration sets its own.
            var config = config
            if config.countingLine == nil { config.countingLine = truth.countingLine }
            let screener = Screener(header: source.header, config: config, calibration: calibration, flatField: flatField,
                                    sourceName: source.name, table: table)
            table = screener.table
            var events: [Event] = []
            var votes: [Int: [Int: Int]] = [:]
            var seen: [Int: Int] = [:]
            var frame = Frame.empty
            var index = 0
            while try source.next(into: &frame) {
                screener.process(frame, index: index) { events.append($0) }
                let boxes = index < truth.frames.count ? truth.frames[index].boxes : []
                for t in screener.tracker.tracks where t.lastFrame == index {
                    if let box = boxes.first(where: { $0.contains(x: t.x, y: t.y) }) {
                        votes[t.id, default: [:]][box.person, default: 0] += 1
                    }
                    seen[t.id] = t.fragmentOf == nil ? t.framesSeen : 0
                }
                index += 1
            }
            screener.finish { events.append($0) }
            // Tracks seen fewer than min_track_frames times are tentative (a sliver of a face at
            // the frame's edge for one frame), fragments are part of a person already followed:
            // no event ever names either, so they are no one's ID.
            votes = votes.filter { seen[$0.key, default: 0] >= config.minTrackFrames }
            outcomes.append(RecordingOutcome(truth: truth, events: events, trackVotes: votes))
        }
        return score(outcomes, config: config)
    }

    static func score(_ outcomes: [RecordingOutcome], config: ScreeningConfig) -> Evaluation {
        var e = Evaluation()
        var errors: [Double] = []
        var tp = 0, fn = 0, tn = 0, fp = 0, tpM = 0, fnM = 0, tnM = 0, fpM = 0
        let threshold = config.decision.alarmC
        for o in outcomes {
            e.recordings += 1
            e.people += o.truth.people.count
            let measurable = Set(o.truth.people.filter(\.measurable).map(\.id))
            e.measurable += measurable.count
            let person = o.trackVotes.mapValues { votes in
                votes.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
            }
            e.tracks += o.trackVotes.count
            // ID switches: a person followed by several tracks, or a track over several people.
            var tracksPerPerson: [Int: Int] = [:]
            for (_, p) in person { tracksPerPerson[p, default: 0] += 1 }
            e.idSwitches += tracksPerPerson.values.reduce(0) { $0 + max(0, $1 - 1) }
            e.idSwitches += o.trackVotes.values.filter { $0.count > 1 }.count
            var decided = Set<Int>()
            var counted = 0
            for event in o.events {
                switch event.body {
                case .decision(let d):
                    e.decisions += 1
                    guard let pid = person[d.track], measurable.contains(pid), !decided.contains(pid),
                          let truthPerson = o.truth.people.first(where: { $0.id == pid }) else { continue }
                    decided.insert(pid)
                    e.correctDecisions += 1
                    errors.append(d.canthusC - truthPerson.canthusC)
                    e.details.append(PersonOutcome(recording: o.truth.recording, person: pid, track: d.track,
                                                   trueCanthusC: truthPerson.canthusC, measuredCanthusC: d.canthusC,
                                                   level: d.level.rawValue, glasses: truthPerson.glasses, distanceM: truthPerson.distanceM,
                                                   measuredDistanceM: d.distanceM, reasons: d.reasons))
                    if let m = d.distanceM {
                        let error = abs(m - truthPerson.distanceM) / truthPerson.distanceM
                        e.distancesMeasured += 1
                        if error <= 0.15 { e.distancesWithin15Percent += 1 }
                        e.distanceMaxError = max(e.distanceMaxError, error)
                    }
                    switch (truthPerson.glasses, d.reasons.contains("glasses")) {
                    case (true, true): e.glassesFlagged += 1
                    case (true, false): e.glassesMissed += 1
                    case (false, true): e.glassesFalse += 1
                    case (false, false): break
                    }
                    // A perfect canthus reading, with the offset the decision used (the room's).
                    let trueBody = truthPerson.canthusC + (d.temperatureC - d.canthusC)
                    let febrile = trueBody >= threshold
                    let alarmed = d.level == .alarm
                    switch (febrile, alarmed) {
                    case (true, true): tp += 1
                    case (true, false): fn += 1
                    case (false, true): fp += 1
                    case (false, false): tn += 1
                    }
                    if abs(trueBody - threshold) >= 0.3 {
                        switch (febrile, alarmed) {
                        case (true, true): tpM += 1
                        case (true, false): fnM += 1
                        case (false, true): fpM += 1
                        case (false, false): tnM += 1
                        }
                    }
                case .count: counted += 1
                default: break
                }
            }
            let trueCount = (config.countingLine ?? o.truth.countingLine) == nil
                ? o.truth.people.filter { $0.firstFrame != nil }.count
                : o.truth.people.filter(\.crossedLine).count
            e.headcountError += abs(counted - trueCount)
            if counted == trueCount { e.headcountExact += 1 }
        }
        e.feverPositives = tp + fn
        e.recall = e.measurable > 0 ? Double(e.correctDecisions) / Double(e.measurable) : 1
        e.precision = e.decisions > 0 ? Double(e.correctDecisions) / Double(e.decisions) : 1
        if !errors.isEmpty {
            let abs = errors.map { Swift.abs($0) }.sorted()
            e.canthusMAE = abs.reduce(0, +) / Double(abs.count)
            e.canthusP95 = abs[min(abs.count - 1, Int((Double(abs.count) * 0.95).rounded(.up)) - 1)]
            e.canthusBias = errors.reduce(0, +) / Double(errors.count)
        }
        func ratio(_ a: Int, _ b: Int) -> Double? { a + b > 0 ? Double(a) / Double(a + b) : nil }
        e.feverSensitivity = ratio(tp, fn)
        e.feverSpecificity = ratio(tn, fp)
        e.feverSensitivityMargin = ratio(tpM, fnM)
        e.feverSpecificityMargin = ratio(tnM, fpM)
        return e
    }
}
