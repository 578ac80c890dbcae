import Capture
import Foundation
@testable import Screening
@testable import Simulation
import Testing
import TestSupport

@Suite struct ZZDebug2 {
    @Test func tracks() throws {
        guard let recs = ProcessInfo.processInfo.environment["REC"] else { return }
        var out = ""
        for path in recs.split(separator: " ").map(String.init) {
        let truth = try Truth.load(path: path + ".truth.json")
        let source = try openSource(path: path)
        var config = ScreeningConfig()
        config.countingLine = truth.countingLine
        let screener = Screener(header: source.header, config: config, sourceName: source.name)
        var frame = Frame.empty
        var index = 0
        var log: [Int: [String]] = [:]
        out += "== \(path)\n"
        while try source.next(into: &frame) {
            screener.process(frame, index: index) { e in if case .status = e.body {} else { out += "  \(e.json)\n" } }
            let boxes = index < truth.frames.count ? truth.frames[index].boxes : []
            for t in screener.tracker.tracks where t.lastFrame == index {
                let p = boxes.first(where: { $0.contains(x: t.x, y: t.y) })?.person ?? -1
                log[t.id, default: []].append("\(index):\(p)@\(Int(t.x)),\(Int(t.y))w\(t.faceWidth)")
            }
            index += 1
        }
        for id in log.keys.sorted() {
            let persons = Set(log[id]!.map { $0.split(separator: ":")[1].split(separator: "@")[0] })
            out += "track \(id) persons \(persons.sorted()) n=\(log[id]!.count): \(log[id]!.prefix(3).joined(separator: " ")) … \(log[id]!.suffix(3).joined(separator: " "))\n"
        }
        }
        try out.write(toFile: "/tmp/dbg/tracks.txt", atomically: true, encoding: .utf8)
    }
}
