@testable import Daemon
import Foundation
import Screening
import Testing
import TestSupport

@Suite struct ConfigTests {
    @Test func emptyFileMeansDefaults() throws {
        let c = try CanthusConfig.parse("", path: "x.yaml")
        #expect(c == CanthusConfig())
        #expect(c.screening.decision.alarmC == 37.5 && c.screening.decision.prealarmC == 37.2 && c.screening.decision.hysteresisC == 0.2)
        #expect(c.screening.decision.relativeWindow == 10 && c.screening.decision.relativeDeviationC == 1.0)
    }

    @Test func fieldsAreRead() throws {
        let c = try CanthusConfig.parse("""
            screening:
              counting_line: {axis: horizontal, position: 0.4, in_towards_positive: false}
              decision: {mode: relative, alarm_c: 38.0}
            calibration: {gain: 1.01, offset_c: -0.2}
            records: {directory: /tmp/x}
            """, path: "site.yaml")
        #expect(c.screening.countingLine == CountingLine(axis: .horizontal, position: 0.4, inTowardsPositive: false))
        #expect(c.screening.decision.mode == .relative && c.screening.decision.alarmC == 38.0)
        #expect(c.calibration.gain == 1.01 && c.records.directory == "/tmp/x")
    }

    /// An upgrade keeps an operator's file working: a renamed setting's old name is read as the
    /// new one, with a notice naming the file, its line and the new key; both names is an error.
    @Test func renamedSettingsAreStillReadWithANotice() throws {
        let old = try CanthusConfig.parse("""
            records: {directory: /tmp/x}
            screening:
              skin_margin_k: 2.5
              association_face_widths: 2.25
            """, path: "/etc/canthus/canthus.yaml")
        #expect(old.screening.matchWithinFaceWidths == 2.25 && old.screening.skinMarginK == 2.5)
        #expect(old.notices == ["/etc/canthus/canthus.yaml:4: screening.association_face_widths is now called screening.match_within_face_widths (renamed in 0.2); it is read as such, but the old name will stop working in a later release"])
        let new = try CanthusConfig.parse("records: {directory: /tmp/x}\nscreening: {skin_margin_k: 2.5, match_within_face_widths: 2.25}", path: "a.yaml")
        #expect(new.screening.matchWithinFaceWidths == 2.25 && new.notices.isEmpty)
        #expect(new.screening == old.screening)
        #expect(throws: ConfigFileError.self) { try CanthusConfig.parse("screening: {match_within_face_widths: 2, association_face_widths: 2}", path: "a.yaml") }
        do {
            _ = try CanthusConfig.parse("screening:\n  match_within_face_widths: 2\n  association_face_widths: 2\n", path: "a.yaml")
        } catch {
            #expect("\(error)" == "a.yaml:3: screening.association_face_widths and screening.match_within_face_widths are the same setting (renamed in 0.2); keep screening.match_within_face_widths only")
        }
        // An error after a rename still names the line.
        #expect(throws: ConfigFileError.self) { try CanthusConfig.parse("screening:\n  association_face_widths: wide\n", path: "a.yaml") }
    }

    /// Table of bad configurations: each error names the file, the line and the field.
    @Test(arguments: [
        ("screening: {skin_margn_k: 2}", "site.yaml:1: ", "unknown setting 'skin_margn_k'"),
        ("screening: {decision: {alarm_c: 99}}", "site.yaml:1: ", "decision.alarm_c"),
        ("screening: {decision: {prealarm_c: 38, alarm_c: 37.5}}", "site.yaml:1: ", "decision.prealarm_c"),
        ("screening: {decision: {mode: sometimes}}", "site.yaml:1: ", "screening.decision.mode"),
        ("screening: {counting_line: {axis: vertical, position: 1.5}}", "site.yaml:1: ", "counting_line.position"),
        ("screening: {min_face_width_px: fourteen}", "site.yaml:1: ", "screening.min_face_width_px"),
        ("recrds: {}", "site.yaml:1: ", "unknown setting 'recrds'"),
    ])
    func badConfigurationsNameTheField(text: String, prefix: String, mention: String) {
        do {
            _ = try CanthusConfig.parse(text, path: "site.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            let message = "\(error)"
            #expect(message.hasPrefix(prefix), "\(message)")
            #expect(message.contains(mention), "\(message)")
        }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: ConfigFileError.self) { try CanthusConfig.load(path: "/nonexistent/canthus.yaml") }
    }

    @Test func demoConfigurationLoads() throws {
        let c = try CanthusConfig.load(path: Project.path("examples/demo.yaml"))
        #expect(c.source.replay == ["Fixtures/demo.canthus"])
        #expect(c.screening.countingLine?.axis == .vertical)
    }
}

@Suite struct ServiceTests {
    @Test func runWritesTheEventStreamThatReplayPrints() async throws {
        let dir = Project.temporaryDirectory()
        var config = CanthusConfig()
        config.source.replay = [Project.path("Fixtures/demo.canthus")]
        config.records.directory = dir + "/var"
        config.screening.countingLine = CountingLine(axis: .vertical, position: 0.5)
        let terminalText = Locked("")
        let summary = try await ScreeningService(config: config, importOptions: .init(), live: false).run { s in terminalText.mutate { $0 += s } }
        let terminal = terminalText.value
        #expect(summary.frames == 126 && summary.decisions == 3 && summary.alarms == 1 && summary.counted == 3)
        let logged = try String(contentsOfFile: dir + "/var/events.ndjson", encoding: .utf8)
        var replayed = ""
        _ = try replay(paths: config.source.replay, config: config, importOptions: .init()) { replayed += $0.json + "\n" }
        #expect(logged == replayed)
        #expect(terminal.contains("ALARM    person 2"))
        // The live view draws frames and the alarm banner.
        let liveText = Locked("")
        _ = try await ScreeningService(config: config, importOptions: .init(), live: true).run { s in liveText.mutate { $0 += s } }
        let live = liveText.value
        // Booleans, not the 9 MB string, go into the expectation (its description would be huge).
        let drawsFrames = live.contains("▀"), showsBanner = live.contains(" ALARM  person 2")
        #expect(drawsFrames && showsBanner)
    }

    @Test func runWithoutSourcesSaysWhy() async {
        await #expect(throws: ConfigError.self) { try await ScreeningService(config: CanthusConfig(), importOptions: .init(), live: false).run { _ in } }
    }
}
