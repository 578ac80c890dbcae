import Foundation
@testable import Records
import Screening
import Testing
import TestSupport

@Suite struct EventLogTests {
    func event(_ i: Int) -> Event { Event(source: "cam", frame: i, timeS: Double(i) / 9, body: .count(track: i, direction: .in)) }

    @Test func appendsWholeLinesAndReadsThemBack() throws {
        let path = Project.temporaryDirectory() + "/sub/events.ndjson"
        let log = try EventLog(path: path)
        for i in 0..<5 { try log.append(event(i)) }
        try log.close()
        let again = try EventLog(path: path)          // appending, not truncating
        try again.append(event(5))
        try again.close()
        let (events, damaged) = try EventLog.read(path: path)
        #expect(events.count == 6 && damaged == 0)
        #expect(events.map { $0["frame"] as? Int } == [0, 1, 2, 3, 4, 5])
    }

    @Test func aTornLastLineIsSkippedNotFatal() throws {
        let path = Project.temporaryDirectory() + "/events.ndjson"
        let log = try EventLog(path: path)
        for i in 0..<3 { try log.append(event(i)) }
        try log.close()
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(#"{"type":"count","sou"#.utf8))
        try handle.close()
        let (events, damaged) = try EventLog.read(path: path)
        #expect(events.count == 3 && damaged == 1)
    }

    @Test func unwritableDirectoryIsNamed() {
        do {
            _ = try EventLog(path: "/proc/canthus-test/events.ndjson")
            Issue.record("created a log under /proc")
        } catch {
            #expect("\(error)".hasPrefix("/proc/canthus-test"))
        }
    }

    @Test func headcountRollupPerInterval() {
        var r = HeadcountRollup(intervalS: 60)
        for (t, d) in [(5.0, CountDirection.in), (59.9, .out), (60.0, .in), (130, .pass)] {
            r.add(Event(source: "c", frame: 0, timeS: t, body: .count(track: 1, direction: d)))
        }
        r.add(Event(source: "c", frame: 0, timeS: 1, body: .status(state: .screening, reasons: [])))
        #expect(r.total == 4)
        #expect(r.buckets[0]! == (1, 1, 0) && r.buckets[1]! == (1, 0, 0) && r.buckets[2]! == (0, 0, 1))
    }
}
