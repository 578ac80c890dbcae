import Capture
import Radiometry

/// What the blackbody reference says this frame.
public enum ReferenceStatus: Equatable, Sendable {
    /// No reference is configured: readings are uncorrected.
    case notConfigured
    /// Present and stable; `offsetK` is the smoothed drift correction to add to readings.
    case ok(offsetK: Double)
    case missing
    case unstable
    /// Present, but no estimate yet (first frames, or right after a shutter).
    case warmingUp
}

/// Finds, follows and reads the in-scene blackbody, and turns its readings into a drift
/// correction (`DriftCorrector`). Works in upright frame coordinates.
///
/// Found automatically as the position of largest contrast between a small central square and a
/// surrounding ring (box sums over an integral image) among places reading within `maxDriftK`
/// of the set temperature — so a 60 °C cup never passes for it — then centred on its rim
/// (`refine`), or taken from the configuration.
public struct ReferenceMonitor {
    public let source: ReferenceSource?
    public let config: ReferenceConfig
    public let width: Int
    public let height: Int
    /// Where the reference is (upright pixels), once located.
    public private(set) var position: (x: Double, y: Double)?
    public private(set) var lastReadingC: Double?
    public private(set) var drift: DriftCorrector?
    private let fixedPosition: (x: Double, y: Double)?
    private var missingFrames = 0
    private var scratch: [UInt16]
    /// Counts per value for `median(_:histogram:)`.
    private var histogram = [Int32](repeating: 0, count: 4096)
    private var integral: [Int64]

    /// `source` positions are in sensor pixels; `rotation` maps them upright.
    public init(source: ReferenceSource?, rotation: Rotation, sensorWidth: Int, sensorHeight: Int, config: ReferenceConfig) {
        self.source = source
        self.config = config
        let size = rotation.size(width: sensorWidth, height: sensorHeight)
        width = size.width
        height = size.height
        if let s = source, let x = s.x, let y = s.y {
            let p = rotation.map(x: x, y: y, width: sensorWidth, height: sensorHeight)
            fixedPosition = (p.x, p.y)
            position = fixedPosition
        } else {
            fixedPosition = nil
        }
        drift = source.map { DriftCorrector(setTemperatureC: $0.setTemperatureC, timeConstantS: config.timeConstantS) }
        let r = Int((source?.radiusPx ?? 1) * 2.6) + 2
        scratch = [UInt16](repeating: 0, count: (2 * r + 1) * (2 * r + 1))
        integral = [Int64](repeating: 0, count: (width + 1) * (height + 1))
    }

    /// The area to keep out of person detection: the reference and its mount (twice its radius).
    public var exclusion: (x: Double, y: Double, r: Double)? {
        guard let p = position, let s = source else { return nil }
        return (p.x, p.y, s.radiusPx * 2.0)
    }

    public mutating func update(_ pixels: UnsafeBufferPointer<UInt16>, table: CountTable, timeS: Double, shutter: Bool) -> ReferenceStatus {
        guard let source else { return .notConfigured }
        if shutter { return drift?.offsetK.map { .ok(offsetK: $0) } ?? .warmingUp }
        if position == nil { position = locate(pixels, table: table, source: source) }
        guard let p = position else { return .missing }
        let (disc, ring) = measure(pixels, at: p, radius: source.radiusPx)
        let discC = Double(table[disc]), ringC = Double(table[ring])
        let plausible = abs(discC - source.setTemperatureC) <= config.maxDriftK
        guard discC - ringC >= config.minContrastK, plausible else {
            missingFrames += 1
            // A reference that stays missing may have moved: search again (unless configured).
            if missingFrames >= 3, fixedPosition == nil { position = nil; drift?.reset() }
            lastReadingC = nil
            return .missing
        }
        missingFrames = 0
        lastReadingC = discC
        if let expected = drift?.predicted(at: timeS), abs((source.setTemperatureC - discC) - expected) > config.maxJumpK {
            return .unstable
        }
        drift?.update(measuredC: discC, timeS: timeS)
        return .ok(offsetK: drift!.offsetK!)
    }

    /// The disc's reading and its surroundings, in counts: the median of the central disc
    /// (radius 0.6 r) around the centroid of the disc's plateau, and the median of the ring
    /// 1.8 r … 2.6 r around `p`. The plateau is the pixels within r of `p` that reach 80 % of the
    /// way from the ring's median to the median within r, so the reading stays on the disc's
    /// flat centre — away from its blurred edge — wherever within the disc `p` falls.
    mutating func measure(_ pixels: UnsafeBufferPointer<UInt16>, at p: (x: Double, y: Double), radius: Double) -> (UInt16, UInt16) {
        let r = max(0.75, radius)
        let (disc, ring) = medians(pixels, at: p, inner: r, ring: (radius * 1.8)...(radius * 2.6))
        guard disc > ring else { return (disc, ring) }
        let level = Int(ring) + (Int(disc - ring) * 4 + 4) / 5
        let cx = Int(p.x.rounded()), cy = Int(p.y.rounded()), reach = Int(r.rounded(.up))
        var sx = 0.0, sy = 0.0, n = 0.0
        for y in max(0, cy - reach)...min(height - 1, cy + reach) {
            for x in max(0, cx - reach)...min(width - 1, cx + reach) where Int(pixels[y * width + x]) >= level {
                let dx = Double(x) - p.x, dy = Double(y) - p.y
                if dx * dx + dy * dy <= r * r { sx += Double(x); sy += Double(y); n += 1 }
            }
        }
        guard n > 0 else { return (disc, ring) }
        return (medians(pixels, at: (sx / n, sy / n), inner: max(0.75, radius * 0.6), ring: nil).0, ring)
    }

    /// Medians of the pixels within `inner` of `p` and of those whose distance lies in `ring`
    /// (0 when there is no ring).
    private mutating func medians(_ pixels: UnsafeBufferPointer<UInt16>, at p: (x: Double, y: Double),
                                  inner: Double, ring: ClosedRange<Double>?) -> (UInt16, UInt16) {
        let ringIn = ring?.lowerBound ?? 0, ringOut = ring?.upperBound ?? 0
        let reach = Int(max(inner, ringOut).rounded(.up))
        let cy = Int(p.y.rounded())
        var nIn = 0
        var nRing = 0
        let cap = scratch.count
        let inner2 = inner * inner, ringIn2 = ringIn * ringIn, ringOut2 = ring == nil ? -1 : ringOut * ringOut
        // A wide ring is read on every other pixel (a checkerboard): hundreds of values are
        // plenty for a median.
        let ringStep = ringOut > 8 ? 2 : 1
        return scratch.withUnsafeMutableBufferPointer { buf -> (UInt16, UInt16) in
            // Disc values fill the buffer from the front, ring values from the back. Each row
            // visits only the columns within the outer circle.
            for y in max(0, cy - reach)...min(height - 1, cy + reach) {
                let dy = Double(y) - p.y
                let halfWidth = (max(inner2, ringOut2) - dy * dy)
                guard halfWidth >= 0 else { continue }
                let span = halfWidth.squareRoot()
                let x0 = max(0, Int((p.x - span).rounded(.up))), x1 = min(width - 1, Int((p.x + span).rounded(.down)))
                guard x0 <= x1 else { continue }
                for x in x0...x1 {
                    let dx = Double(x) - p.x
                    let d2 = dx * dx + dy * dy
                    if d2 <= inner2 {
                        if nIn + nRing < cap { buf[nIn] = pixels[y * width + x]; nIn += 1 }
                    } else if d2 >= ringIn2 && d2 <= ringOut2 && (x + y) % ringStep == 0, nIn + nRing < cap {
                        nRing += 1
                        buf[cap - nRing] = pixels[y * width + x]
                    }
                }
            }
            return histogram.withUnsafeMutableBufferPointer { hist in
                let disc = nIn > 0 ? median(UnsafeMutableBufferPointer(rebasing: buf[0..<nIn]), histogram: hist) : 0
                let ring = nRing > 0 ? median(UnsafeMutableBufferPointer(rebasing: buf[(cap - nRing)..<cap]), histogram: hist) : 0
                return (disc, ring)
            }
        }
    }

    mutating func locate(_ pixels: UnsafeBufferPointer<UInt16>, table: CountTable, source: ReferenceSource) -> (x: Double, y: Double)? {
        let w = width, h = height, stride = w + 1
        let a = max(1, Int((source.radiusPx * 0.6).rounded()))
        let b = max(a + 2, Int((source.radiusPx * 2.2).rounded()))
        let lowCount = table.firstCount(atLeast: source.setTemperatureC - config.maxDriftK)
        let highCount = table.firstCount(atLeast: source.setTemperatureC + config.maxDriftK)
        var best: (x: Int, y: Int, contrast: Double)?
        integral.withUnsafeMutableBufferPointer { ii in
            for y in 0..<h {
                var rowSum: Int64 = 0
                for x in 0..<w {
                    rowSum += Int64(pixels[y * w + x])
                    ii[(y + 1) * stride + x + 1] = ii[y * stride + x + 1] + rowSum
                }
            }
            func box(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> Int64 {   // inclusive
                ii[(y1 + 1) * stride + x1 + 1] - ii[y0 * stride + x1 + 1] - ii[(y1 + 1) * stride + x0] + ii[y0 * stride + x0]
            }
            if h > 2 * b, w > 2 * b {
                for y in b..<(h - b) {
                    for x in b..<(w - b) {
                        let v = pixels[y * w + x]
                        guard v >= lowCount, v < highCount else { continue }
                        let innerSum = box(x - a, y - a, x + a, y + a)
                        let innerN = Int64((2 * a + 1) * (2 * a + 1))
                        let outerSum = box(x - b, y - b, x + b, y + b)
                        let outerN = Int64((2 * b + 1) * (2 * b + 1))
                        let contrast = Double(innerSum) / Double(innerN) - Double(outerSum - innerSum) / Double(outerN - innerN)
                        if best == nil || contrast > best!.contrast { best = (x, y, contrast) }
                    }
                }
            }
        }
        guard let best else { return nil }
        return refine(pixels, near: (best.x, best.y), radius: source.radiusPx)
    }

    /// Places the disc's rim: the integer position within 3 px of `near` where the mean of the
    /// disc's interior (distance ≤ r − 1) exceeds the mean of its rim band (r − 1 < distance ≤ r)
    /// the most. A thin band at the rim locates the edge of the disc wherever it falls; a wide
    /// outer ring would pull the centre away from warm surroundings (the mount, a face).
    /// Pixels outside the frame are left out of both means.
    func refine(_ pixels: UnsafeBufferPointer<UInt16>, near: (x: Int, y: Int), radius: Double) -> (x: Double, y: Double) {
        let r2 = radius * radius, inner2 = max(0.5, radius - 1) * max(0.5, radius - 1)
        let reach = Int(radius.rounded(.up))
        var best = (x: near.x, y: near.y, contrast: -Double.infinity)
        for cy in (near.y - 3)...(near.y + 3) {
            for cx in (near.x - 3)...(near.x + 3) {
                var discSum = 0, discN = 0, rimSum = 0, rimN = 0
                for y in max(0, cy - reach)...min(height - 1, cy + reach) {
                    for x in max(0, cx - reach)...min(width - 1, cx + reach) {
                        let d2 = Double((x - cx) * (x - cx) + (y - cy) * (y - cy))
                        let v = Int(pixels[y * width + x])
                        if d2 <= inner2 { discSum += v; discN += 1 } else if d2 <= r2 { rimSum += v; rimN += 1 }
                    }
                }
                guard discN > 0, rimN > 0 else { continue }
                let contrast = Double(discSum) / Double(discN) - Double(rimSum) / Double(rimN)
                if contrast > best.contrast { best = (cx, cy, contrast) }
            }
        }
        return (Double(best.x), Double(best.y))
    }
}

/// The median (the `count / 2`-th smallest value) of `values`. Values that span no more counts
/// than `histogram` has bins are counted into it (a reference disc with its blurred edge, the
/// ring around it), which is several times faster than selecting; others go to quickselect,
/// which reorders `values`. Allocation-free.
func median(_ values: UnsafeMutableBufferPointer<UInt16>, histogram: UnsafeMutableBufferPointer<Int32>) -> UInt16 {
    var lo = UInt16.max, hi: UInt16 = 0
    for v in values { lo = min(lo, v); hi = max(hi, v) }
    let bins = Int(hi) - Int(lo) + 1
    guard bins <= histogram.count else { return median(values) }
    for b in 0..<bins { histogram[b] = 0 }
    for v in values { histogram[Int(v &- lo)] += 1 }
    var remaining = Int32(values.count / 2)
    for b in 0..<bins {
        remaining -= histogram[b]
        if remaining < 0 { return lo &+ UInt16(b) }
    }
    return hi
}

/// Median by quickselect, in place (reorders `values`). Allocation-free.
func median(_ values: UnsafeMutableBufferPointer<UInt16>) -> UInt16 {
    var lo = 0, hi = values.count - 1
    let k = values.count / 2
    while lo < hi {
        let pivot = values[(lo + hi) / 2]
        var i = lo, j = hi
        while i <= j {
            while values[i] < pivot { i += 1 }
            while values[j] > pivot { j -= 1 }
            if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
        }
        if k <= j { hi = j } else if k >= i { lo = i } else { break }
    }
    return values[k]
}
