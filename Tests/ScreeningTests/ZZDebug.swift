import Capture
import Foundation
@testable import Screening
import Testing
import TestSupport

@Suite struct ZZDebug {
    @Test func dump() throws {
        guard let name = ProcessInfo.processInfo.environment["DBG"] else { return }
        let source = try openSource(path: RefData.path("feverscreen/\(name).cptv")!, options: .feverscreenKiosk)
        let screener = Screener(header: source.header, config: ScreeningConfig(), sourceName: source.name)
        var frame = Frame.empty
        var i = 0
        var out = ""
        while try source.next(into: &frame) {
            var ev: [String] = []
            screener.process(frame, index: i) { ev.append($0.json) }
            for (di, d) in screener.detections.enumerated() {
                _ = di; guard let t = screener.tracker.tracks.first(where: { $0.lastFrame == i && $0.x == d.x && $0.y == d.y }) else { out += "f\(i) expired-track det x\(Int(d.x)) y\(Int(d.y)) w\(d.faceWidth)\n"; continue }
                out += "f\(i) t\(t.id) x\(Int(d.x)) y\(Int(d.y)) box \(d.minX),\(d.minY)-\(d.maxX),\(d.maxY) w\(d.faceWidth) h\(d.faceHeight) c\(String(format: "%.2f", d.canthusC)) g\(d.glasses) e\(d.touchesEdge) n\(t.readings.count) frag\(t.fragmentOf ?? 0)\n"
            }
            for e in ev where !e.contains("status") { out += "  " + e + "\n" }
            if let dump = ProcessInfo.processInfo.environment["DUMP"], dump.split(separator: ",").contains(Substring(String(i))) {
                let w = screener.upright.width, h = screener.upright.height
                let px = screener.upright.pixels
                let med = px.sorted()[px.count / 2]
                for y in 0..<h {
                    var line = ""
                    for x in 0..<w {
                        let v = (Int(px[y * w + x]) - Int(med)) / 50
                        line += v <= 0 ? "." : v >= 10 ? "#" : String(v)
                    }
                    out += line + "\n"
                }
            }
            i += 1
        }
        try out.write(toFile: "/tmp/dbg/\(name).txt", atomically: true, encoding: .utf8)
    }
}
