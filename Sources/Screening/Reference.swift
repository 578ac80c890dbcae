import Frames
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
    /// Not found yet for sure: several places look like it, and time has not yet told which
    /// one stays put and reads steadily.
    case searching
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
    private var missingSinceS: Double?
    /// The first reading of a jump, and how many frames have agreed with it since.
    private var stepFirstC: Double?
    private var stepFrames = 0
    /// Readings that must agree after a jump before it is taken for a step.
    static let stepConfirmFrames = 3
    /// The position was confirmed over time (not merely taken from one frame).
    public private(set) var locked = false
    /// The disc's radius as found (px), else the configured one.
    public private(set) var foundRadius: Double?
    /// The disc's mount as far as it shows (upright pixels; `observeMount`), nil when it does
    /// not stand out from what lies beyond it. It is part of the kiosk, in front of anyone at it:
    /// skin it hides is neither seen nor missing (`FaceMeasurer.measure`).
    public private(set) var mount: Box?
    /// Where the disc was when `mount` was measured, and when (frame time, s).
    private var mountAt: (x: Double, y: Double)?
    private var mountMeasuredS = -Double.infinity
    /// A known mount is measured again at most this often (s): it does not move, and its
    /// reaches down and up the disc's column read a pixel a row, each likely a cache miss —
    /// work every frame would redo for nothing.
    static let mountIntervalS = 1.0
    /// This frame's median of the ring around the disc (°C), when the disc was read.
    private var lastRingC: Double?
    private var hypotheses: [Hypothesis] = []
    private var peaks: [(x: Int, y: Int, contrast: Double)] = []
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
        return (p.x, p.y, max(s.radiusPx, foundRadius ?? 0) * 2.0)
    }

    public mutating func update(_ pixels: UnsafeBufferPointer<UInt16>, table: CountTable, timeS: Double, shutter: Bool) -> ReferenceStatus {
        guard let source else { return .notConfigured }
        if shutter { return drift?.offsetK.map { .ok(offsetK: $0) } ?? .warmingUp }
        if fixedPosition == nil && !locked {
            position = search(pixels, table: table, source: source, timeS: timeS)
            if position == nil { lastReadingC = nil; lastRingC = nil; return hypotheses.isEmpty ? .missing : .searching }
        }
        guard let p = position else { return .missing }
        let (disc, ring) = measure(pixels, at: p, radius: foundRadius ?? source.radiusPx)
        let discC = Double(table[disc]), ringC = Double(table[ring])
        let plausible = abs(discC - source.setTemperatureC) <= config.maxDriftK
        guard discC - ringC >= config.minContrastK, plausible else {
            // Covered (a face passing in front), or gone. A confirmed disc is kept until it has
            // been missing for `relocateS` (it may have been moved): then it is searched anew.
            let since = missingSinceS ?? timeS
            missingSinceS = since
            if fixedPosition == nil && (!locked || timeS - since >= config.relocateS) {
                locked = false; position = nil; hypotheses.removeAll(keepingCapacity: true); drift?.reset(); missingSinceS = nil
            }
            lastReadingC = nil
            lastRingC = nil
            return .missing
        }
        missingSinceS = nil
        lastReadingC = discC
        lastRingC = ringC
        if let expected = drift?.predicted(at: timeS), abs((source.setTemperatureC - discC) - expected) > config.maxJumpK {
            // A jump that holds is a step (the camera's flat-field correction moved its offset):
            // after `stepConfirmFrames` readings that agree with each other the estimate restarts there.
            // One that does not hold (a face brushing the disc) is waited out.
            if let first = stepFirstC, abs(discC - first) <= config.maxJumpK { stepFrames += 1 } else { stepFirstC = discC; stepFrames = 1 }
            guard stepFrames >= Self.stepConfirmFrames else { return .unstable }
            drift?.reset()
        }
        stepFirstC = nil
        stepFrames = 0
        drift?.update(measuredC: discC, timeS: timeS)
        return .ok(offsetK: drift!.offsetK!)
    }

    /// Pixels within this of the ring's median read like the mount (K): a housing is one
    /// surface at one temperature, its pixels apart by their noise (a few hundredths of a kelvin
    /// to a tenth). A mount is told from the room only when its ring reads at least twice this
    /// from the frame's median (the room): the dev set's kiosks' rings read 0–1.4 K from it,
    /// a housing warmed by the disc's heater more.
    static let mountBandK = 0.5
    /// A mount reaches at most this many disc radii from the disc's centre: read like the ring
    /// further out, it is the background or a wall, not the disc's housing.
    static let maxMountRadii = 5.0

    /// Measures the disc's mount in a frame in which the disc was read (`update`), `backgroundC`
    /// the room's reading (the frame's median): from the disc's centre along its row and its
    /// column, out from its ring's inner edge (1.8 r) to the last pixel reading within
    /// `mountBandK` of the ring's median — the box those four reaches span. Kept as the largest
    /// seen while the disc stays in place (someone in front of the mount hides part of it for a
    /// while; measured again once every `mountIntervalS`); left as it was when the ring reads
    /// like the room or a reach runs past `maxMountRadii` (what lies around the mount reads like it).
    public mutating func observeMount(_ pixels: UnsafeBufferPointer<UInt16>, table: CountTable, backgroundC: Double, timeS: Double) {
        guard let p = position, let ringC = lastRingC, let source else { return }
        if let at = mountAt, at.x != p.x || at.y != p.y { mount = nil }
        mountAt = p
        guard mount == nil || timeS - mountMeasuredS >= Self.mountIntervalS,
              abs(ringC - backgroundC) >= 2 * Self.mountBandK else { return }
        let radius = foundRadius ?? source.radiusPx
        let cx = Int(p.x.rounded()), cy = Int(p.y.rounded())
        guard cx >= 0, cx < width, cy >= 0, cy < height else { return }
        let low = table.firstCount(atLeast: ringC - Self.mountBandK), high = table.firstCount(atLeast: ringC + Self.mountBandK)
        let start = Int((radius * 1.8).rounded(.up)), limit = Int((radius * Self.maxMountRadii).rounded(.up))
        // The last step (start…limit) from the centre whose pixel reads like the ring, or nil when
        // the reach runs past `limit`; 0 when the pixel at the ring's edge already does not.
        func reach(_ dx: Int, _ dy: Int) -> Int? {
            var last = 0
            for step in start...max(start, limit + 1) {
                let x = cx + dx * step, y = cy + dy * step
                guard x >= 0, x < width, y >= 0, y < height else { return last }
                let v = pixels[y * width + x]
                guard v >= low && v < high else { return last }
                if step > limit { return nil }
                last = step
            }
            return last
        }
        guard let l = reach(-1, 0), let r = reach(1, 0), let u = reach(0, -1), let d = reach(0, 1) else { return }
        let seen = Box(minX: cx - l, minY: cy - u, maxX: cx + r, maxY: cy + d)
        mountMeasuredS = timeS
        mount = mount.map { Box(minX: min($0.minX, seen.minX), minY: min($0.minY, seen.minY), maxX: max($0.maxX, seen.maxX), maxY: max($0.maxY, seen.maxY)) } ?? seen
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

    /// A place that looked like the disc in some frame, followed across frames.
    struct Hypothesis {
        var x: Double, y: Double
        var radius: Double
        var hits: Int
        var firstS: Double, lastS: Double
        var sumC: Double, sumC2: Double
        var meanC: Double { sumC / Double(hits) }
        var spreadK: Double { (max(0, sumC2 / Double(hits) - meanC * meanC)).squareRoot() }
    }

    /// One frame's search: every place that looks like the disc (`candidates`), matched to the
    /// places seen before (`hypotheses`). Returns where the disc is, or nil while that is unsure.
    ///
    /// A blackbody at the set-point is a small round plateau of one temperature, within
    /// `maxDriftK` of the set-point, warmer than all around it, and it does not move. Faces,
    /// lamps and cups can be as warm; what tells them apart is shape (round, of the disc's
    /// size, flat-topped, isolated) and, where several shapes pass, behaviour over time: the
    /// disc stays in one place and reads the same, frame after frame.
    mutating func search(_ pixels: UnsafeBufferPointer<UInt16>, table: CountTable, source: ReferenceSource, timeS: Double) -> (x: Double, y: Double)? {
        let found = candidates(pixels, table: table, source: source)
        // Match what was found to what was seen before.
        for c in found {
            if let i = hypotheses.firstIndex(where: { abs($0.x - c.x) <= 1.5 && abs($0.y - c.y) <= 1.5 }) {
                let n = Double(hypotheses[i].hits)
                hypotheses[i].x = (hypotheses[i].x * n + c.x) / (n + 1)
                hypotheses[i].y = (hypotheses[i].y * n + c.y) / (n + 1)
                hypotheses[i].radius = (hypotheses[i].radius * n + c.radius) / (n + 1)
                hypotheses[i].hits += 1
                hypotheses[i].lastS = timeS
                hypotheses[i].sumC += c.readingC
                hypotheses[i].sumC2 += c.readingC * c.readingC
            } else {
                if hypotheses.count >= 8, let worst = hypotheses.indices.min(by: { hypotheses[$0].lastS < hypotheses[$1].lastS }) {
                    hypotheses.remove(at: worst)
                }
                hypotheses.append(Hypothesis(x: c.x, y: c.y, radius: c.radius, hits: 1, firstS: timeS, lastS: timeS,
                                             sumC: c.readingC, sumC2: c.readingC * c.readingC))
            }
        }
        // Forget places not seen for a while (a face that looked round for a moment).
        hypotheses.removeAll { timeS - $0.lastS > config.confirmS }
        // Confirmed: seen in place for `confirmS`, reading steadily. Several confirmed: the one
        // reading nearest the set-point (then the most often seen).
        let confirmed = hypotheses.filter { $0.lastS - $0.firstS >= config.confirmS && $0.spreadK <= config.maxJumpK && $0.lastS == timeS }
        if let best = confirmed.min(by: { abs($0.meanC - source.setTemperatureC) < abs($1.meanC - source.setTemperatureC)
                                        || (abs($0.meanC - source.setTemperatureC) == abs($1.meanC - source.setTemperatureC) && $0.hits > $1.hits) }) {
            locked = true
            foundRadius = best.radius
            return (best.x, best.y)
        }
        // Not yet confirmed: the place seen in this frame and more often than any other recent
        // one is taken for now (a look-alike that moves starts afresh in every frame); places
        // seen equally often are not, until time tells them apart.
        let seen = hypotheses.filter { $0.lastS == timeS }
        guard let most = seen.max(by: { $0.hits < $1.hits }),
              !hypotheses.contains(where: { ($0.x != most.x || $0.y != most.y) && $0.hits >= most.hits }) else { return nil }
        foundRadius = most.radius
        return (most.x, most.y)
    }

    struct Candidate {
        var x: Double, y: Double
        var radius: Double
        var readingC: Double
        var contrastK: Double
    }

    /// Places in this frame that look like the disc. A coarse search for the largest contrast
    /// between a small central square and its surroundings (box sums over an integral image,
    /// cut at the frame's edges, so a disc in a corner is found too) among pixels reading within
    /// `maxDriftK` of the set-point, up to four well-separated peaks; each is then measured as a
    /// plateau: the pixels within twice the radius reaching half-way from the surroundings'
    /// median to the peak's. It is kept when that plateau is round (its box nearly square and
    /// filled like a circle), of the disc's size (0.6–1.5 of the configured radius), isolated
    /// (almost nothing as warm in the ring around it) and flat-topped (its central pixels within
    /// `flatTopK` of each other, as a uniform emitter reads), and warmer than its surroundings by
    /// `minContrastK`. Its centre is the plateau's centroid.
    mutating func candidates(_ pixels: UnsafeBufferPointer<UInt16>, table: CountTable, source: ReferenceSource) -> [Candidate] {
        let w = width, h = height, stride = w + 1
        let a = max(1, Int((source.radiusPx * 0.6).rounded()))
        let b = max(a + 2, Int((source.radiusPx * 2.2).rounded()))
        let lowCount = table.firstCount(atLeast: source.setTemperatureC - config.maxDriftK)
        let highCount = table.firstCount(atLeast: source.setTemperatureC + config.maxDriftK)
        peaks.removeAll(keepingCapacity: true)
        integral.withUnsafeMutableBufferPointer { ii in
            for y in 0..<h {
                var rowSum: Int64 = 0
                for x in 0..<w {
                    rowSum += Int64(pixels[y * w + x])
                    ii[(y + 1) * stride + x + 1] = ii[y * stride + x + 1] + rowSum
                }
            }
            func box(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> (Int64, Int64) {   // inclusive, cut at the edges
                let x0 = max(0, x0), y0 = max(0, y0), x1 = min(w - 1, x1), y1 = min(h - 1, y1)
                let s = ii[(y1 + 1) * stride + x1 + 1] - ii[y0 * stride + x1 + 1] - ii[(y1 + 1) * stride + x0] + ii[y0 * stride + x0]
                return (s, Int64((x1 - x0 + 1) * (y1 - y0 + 1)))
            }
            for y in 0..<h {
                for x in 0..<w {
                    let v = pixels[y * w + x]
                    guard v >= lowCount, v < highCount else { continue }
                    let (innerSum, innerN) = box(x - a, y - a, x + a, y + a)
                    let (outerSum, outerN) = box(x - b, y - b, x + b, y + b)
                    guard outerN > innerN else { continue }
                    let contrast = Double(innerSum) / Double(innerN) - Double(outerSum - innerSum) / Double(outerN - innerN)
                    guard contrast > 0 else { continue }
                    // Keep the four best peaks at least b apart.
                    if let near = peaks.firstIndex(where: { abs($0.x - x) <= b && abs($0.y - y) <= b }) {
                        if contrast > peaks[near].contrast { peaks[near] = (x, y, contrast) }
                        continue
                    }
                    if peaks.count < 4 { peaks.append((x, y, contrast)) }
                    else if let weakest = peaks.indices.min(by: { peaks[$0].contrast < peaks[$1].contrast }), contrast > peaks[weakest].contrast {
                        peaks[weakest] = (x, y, contrast)
                    }
                }
            }
        }
        var out: [Candidate] = []
        for p in peaks {
            guard let c = plateau(pixels, near: (p.x, p.y), table: table, source: source) else { continue }
            // Two peaks on one plateau are one candidate.
            if let same = out.firstIndex(where: { abs($0.x - c.x) <= 1.5 && abs($0.y - c.y) <= 1.5 }) {
                if c.contrastK > out[same].contrastK { out[same] = c }
            } else {
                out.append(c)
            }
        }
        // A look-alike with less than half the strongest one's contrast is no rival: a heated
        // disc stands out from its surroundings by far more than a head or a lamp at a distance.
        let strongest = out.map(\.contrastK).max() ?? 0
        out.removeAll { $0.contrastK < 0.5 * strongest }
        return out
    }

    /// The disc-shaped plateau around `near`, if there is one (see `candidates`).
    func plateau(_ pixels: UnsafeBufferPointer<UInt16>, near: (x: Int, y: Int), table: CountTable, source: ReferenceSource) -> Candidate? {
        let r = source.radiusPx, reach = Int((2 * r).rounded(.up))
        let x0 = max(0, near.x - reach), x1 = min(width - 1, near.x + reach)
        let y0 = max(0, near.y - reach), y1 = min(height - 1, near.y + reach)
        // The peak: the warmest 3×3 mean near the start.
        var peak = 0
        for y in max(1, near.y - 2)...min(height - 2, near.y + 2) {
            for x in max(1, near.x - 2)...min(width - 2, near.x + 2) {
                var s = 0
                for dy in -1...1 { for dx in -1...1 { s += Int(pixels[(y + dy) * width + x + dx]) } }
                peak = max(peak, s / 9)
            }
        }
        // A robust floor: the median of the window's border.
        var border: [Int] = []
        for x in x0...x1 { border.append(Int(pixels[y0 * width + x])); border.append(Int(pixels[y1 * width + x])) }
        for y in y0...y1 { border.append(Int(pixels[y * width + x0])); border.append(Int(pixels[y * width + x1])) }
        border.sort()
        let floor = border[border.count / 2]
        guard peak > floor else { return nil }
        let contrastK = Double(table[UInt16(peak)]) - Double(table[UInt16(floor)])
        guard contrastK >= config.minContrastK else { return nil }
        // The plateau: pixels from half-way up to the peak. Anything much hotter than the
        // peak (a cup of hot drink beside it) is another object, neither disc nor its rival.
        let level = (peak + floor) / 2
        let ceiling = Int(table.firstCount(atLeast: Double(table[UInt16(peak)]) + config.flatTopK))
        // A plateau pixel: from half-way up to the peak, and not on the blurred rim of something
        // hotter (no neighbour above the ceiling).
        func onPlateau(_ x: Int, _ y: Int) -> Bool {
            let v = Int(pixels[y * width + x])
            guard v >= level, v <= ceiling else { return false }
            for ny in max(0, y - 1)...min(height - 1, y + 1) {
                for nx in max(0, x - 1)...min(width - 1, x + 1) where Int(pixels[ny * width + nx]) > ceiling { return false }
            }
            return true
        }
        var n = 0, sx = 0, sy = 0, bx0 = Int.max, bx1 = -1, by0 = Int.max, by1 = -1
        for y in y0...y1 {
            for x in x0...x1 where onPlateau(x, y) {
                n += 1; sx += x; sy += y
                bx0 = min(bx0, x); bx1 = max(bx1, x); by0 = min(by0, y); by1 = max(by1, y)
            }
        }
        guard n > 0 else { return nil }
        let cx = Double(sx) / Double(n), cy = Double(sy) / Double(n)
        let radius = (Double(n) / Double.pi).squareRoot()
        guard radius >= 0.6 * r, radius <= 1.5 * r else { return nil }
        // Isolated and round: the warm pixels lie within 1.5 radii of the centroid, and fill their box like a circle.
        var outside = 0
        for y in y0...y1 {
            for x in x0...x1 where onPlateau(x, y) {
                let dx = Double(x) - cx, dy = Double(y) - cy
                if dx * dx + dy * dy > 2.25 * radius * radius { outside += 1 }
            }
        }
        guard outside * 10 <= n else { return nil }
        let bw = Double(bx1 - bx0 + 1), bh = Double(by1 - by0 + 1)
        // A box cut by the frame's edge is judged by its whole side.
        let cutX = bx0 == 0 || bx1 == width - 1, cutY = by0 == 0 || by1 == height - 1
        if !cutX && !cutY {
            guard min(bw, bh) >= 0.7 * max(bw, bh), Double(n) >= 0.6 * bw * bh else { return nil }
        }
        // Flat-topped: the central pixels (within half the radius) read alike.
        var lo = Int.max, hi = 0
        let inner2 = 0.25 * radius * radius
        for y in max(0, Int(cy - radius))...min(height - 1, Int(cy + radius) + 1) {
            for x in max(0, Int(cx - radius))...min(width - 1, Int(cx + radius) + 1) {
                let dx = Double(x) - cx, dy = Double(y) - cy
                if dx * dx + dy * dy <= inner2 { let v = Int(pixels[y * width + x]); lo = min(lo, v); hi = max(hi, v) }
            }
        }
        guard hi >= lo, Double(table[UInt16(hi)]) - Double(table[UInt16(lo)]) <= config.flatTopK else { return nil }
        let reading = Double(table[UInt16((lo + hi) / 2)])
        // A blackbody at the set-point reads within `maxDriftK` of it, whatever the camera's error.
        guard abs(reading - source.setTemperatureC) <= config.maxDriftK else { return nil }
        return Candidate(x: cx, y: cy, radius: radius, readingC: reading, contrastK: contrastK)
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
