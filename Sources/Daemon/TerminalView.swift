import Picture
import Capture
import Foundation
import Radiometry
import Screening

/// A live terminal picture of what canthus sees: the upright IR frame in false colour (two
/// pixel rows per character cell with "▀"), face boxes with track numbers, the status line, the
/// latest decisions, and a red banner when an alarm comes.
public struct TerminalView {
    public var maxColumns: Int
    private var recent: [String] = []
    private var banner: String?
    private var bannerUntilS = 0.0
    private var drawnOnce = false
    /// What each recently decided person read, for the label beside their track number.
    private var decided: [Int: String] = [:]

    public init(maxColumns: Int = 100) { self.maxColumns = maxColumns }

    public mutating func note(_ event: Event) {
        switch event.body {
        case .decision(let d):
            if decided.count > 200 { decided.removeAll() }
            decided[d.track] = String(format: "%.2f °C %@", d.temperatureC, d.level.rawValue)
            if d.level == .alarm {
                banner = String(format: " ALARM  person %d  %.2f °C (threshold %.2f °C) ", d.track, d.temperatureC, d.thresholdC)
                bannerUntilS = event.timeS + 4
            }
            fallthrough
        case .rejected, .status, .count:
            recent.append(event.text)
            if recent.count > 6 { recent.removeFirst() }
        }
    }

    /// Draws `frame` as the screener saw it. Returns the text to write to the terminal.
    public mutating func render(_ screener: Screener, frame source: Frame, frameIndex: Int) -> String {
        let frame = screener.screened(source)
        let step = max(1, (frame.width + maxColumns - 1) / maxColumns)
        let cols = frame.width / step, rows = frame.height / (2 * step)
        let table = screener.table
        // Colour scale: 5th percentile … max of a sparse sample, at least 6 K wide.
        var sample: [Float] = []
        for i in stride(from: 0, to: frame.pixels.count, by: 7) { sample.append(table[frame.pixels[i]]) }
        sample.sort()
        let lo = sample.isEmpty ? 20 : sample[sample.count / 20]
        let hi = max(lo + 6, sample.last ?? 40)
        var boxes: [(Int, Int, Int, Int, Int)] = []   // minX, minY, maxX, maxY, track id
        for (di, d) in screener.detections.enumerated() where di < screener.tracker.assignment.count {
            let ti = screener.tracker.assignment[di]
            if ti >= 0 && ti < screener.tracker.tracks.count {
                boxes.append((d.minX / step, d.minY / step, d.maxX / step, d.maxY / step, screener.tracker.tracks[ti].id))
            }
        }
        var out = drawnOnce ? "\u{1B}[H" : "\u{1B}[2J\u{1B}[H"
        drawnOnce = true
        for r in 0..<rows {
            for c in 0..<cols {
                let top = colour(table[frame[c * step, 2 * r * step]], lo, hi)
                let bottom = colour(table[frame[c * step, (2 * r + 1) * step]], lo, hi)
                // Box outlines in white: a pixel row of the cell is white when it lies on an edge.
                var topWhite = false, bottomWhite = false
                for b in boxes {
                    for (half, y) in [(0, 2 * r), (1, 2 * r + 1)] {
                        let onVertical = (c == b.0 || c == b.2) && y >= b.1 && y <= b.3
                        let onHorizontal = (y == b.1 || y == b.3) && c >= b.0 && c <= b.2
                        if onVertical || onHorizontal { if half == 0 { topWhite = true } else { bottomWhite = true } }
                    }
                }
                let t = topWhite ? (255, 255, 255) : top, u = bottomWhite ? (255, 255, 255) : bottom
                out += "\u{1B}[38;2;\(t.0);\(t.1);\(t.2);48;2;\(u.0);\(u.1);\(u.2)m▀"
            }
            out += "\u{1B}[0m\u{1B}[K\n"
        }
        let labels = boxes.map { b in decided[b.4].map { "#\(b.4) \($0)" } ?? "#\(b.4)" }.joined(separator: ", ")
        let status = screener.lastStatus.map { $0.state == .screening ? "screening" : "PAUSED (\($0.reasons.joined(separator: ", ")))" } ?? "starting"
        out += String(format: "%@  frame %d  t=%.1fs  scale %.1f…%.1f °C  people in view: %@\u{1B}[K\n",
                      status, frameIndex, screener.lastTimeS, lo, hi, labels.isEmpty ? "none" : labels)
        if let banner, screener.lastTimeS <= bannerUntilS {
            out += "\u{1B}[1;97;41m\(banner)\u{1B}[0m\u{1B}[K\n"
        } else {
            out += "\u{1B}[K\n"
        }
        for line in recent { out += line + "\u{1B}[K\n" }
        for _ in recent.count..<6 { out += "\u{1B}[K\n" }
        return out
    }

    private func colour(_ t: Float, _ lo: Float, _ hi: Float) -> (Int, Int, Int) {
        let c = FalseColour.rgb(Double(t), lo: Double(lo), hi: Double(hi))
        return (Int(c.0), Int(c.1), Int(c.2))
    }
}
