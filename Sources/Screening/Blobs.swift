/// Per-blob statistics, as OpenCV's `connectedComponentsWithStats` gives them plus the maximum.
public struct Blob: Sendable, Equatable {
    /// Label of the blob's runs (`BlobLabeler.Runs`; 1-based, 0 is background).
    public var label: Int32
    public var area: Int
    public var minX: Int, minY: Int, maxX: Int, maxY: Int
    public var sumX: Int, sumY: Int
    /// Hottest count and where it is.
    public var maxCount: UInt16
    public var maxX_: Int, maxY_: Int

    public var width: Int { maxX - minX + 1 }
    public var height: Int { maxY - minY + 1 }
    public var centroidX: Double { Double(sumX) / Double(area) }
    public var centroidY: Double { Double(sumY) / Double(area) }
}

/// Connected components (8-connectivity) of `count ≥ threshold` on a raw frame, with stats.
///
/// Run-based, in two passes with union-find (the scheme of He, Chao & Suzuki's run-based
/// two-scan labelling). The first pass finds each row's runs of mask pixels — skipping
/// background sixty-four pixels at a time, then sixteen — gives each run a provisional label
/// and merges it with the runs of the row above that touch it, diagonals included:
///
///     row above:    ━━━━━        ━━━
///     this row:        ━━━━━━━━━━━      one run touching two: their labels merge
///
/// The second pass numbers the roots 1…n in raster order, gives each run its final label and
/// gathers the stats run by run. The runs are the label image, run-length coded: readable row
/// by row (`withRuns`), a pixel's label found among its row's few runs (`Runs.label(atX:y:)`).
/// No per-pixel label image is written: on a crowded frame it was more memory traffic than
/// reading the frame (four bytes per warm pixel written, and cleared again the next frame).
/// All buffers are sized once for the frame and reused: no allocation per frame.
public struct BlobLabeler {
    public let width: Int
    public let height: Int
    public private(set) var blobs: [Blob] = []
    /// Runs of the last frame: first and last column, row, and label (provisional during the
    /// first pass, final after the second).
    private var runStart: [Int32]
    private var runEnd: [Int32]
    private var runRow: [Int32]
    private var runLabel: [Int32]
    /// Each run's hottest count, found while its end is looked for.
    private var runTop: [UInt16]
    /// Row y's runs are `rowRuns[y]..<rowRuns[y + 1]` (none outside a labelling window).
    private var rowRuns: [Int32]
    private var parent: [Int32]
    private var compact: [Int32]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        // A row holds at most one run per two columns.
        let maxRuns = height * ((width + 1) / 2)
        runStart = [Int32](repeating: 0, count: maxRuns)
        runEnd = [Int32](repeating: 0, count: maxRuns)
        runRow = [Int32](repeating: 0, count: maxRuns)
        runLabel = [Int32](repeating: 0, count: maxRuns)
        runTop = [UInt16](repeating: 0, count: maxRuns)
        rowRuns = [Int32](repeating: 0, count: height + 1)
        parent = [Int32](repeating: 0, count: maxRuns + 1)
        compact = [Int32](repeating: 0, count: maxRuns + 1)
        blobs.reserveCapacity(Self.labelBound(width: width, height: height))
    }

    /// More than the number of components a `width × height` frame can hold: 8-connected
    /// components are at most one per 2×2 block, plus the background.
    public static func labelBound(width: Int, height: Int) -> Int { ((width + 1) / 2) * ((height + 1) / 2) + 2 }

    /// The first true lane of a comparison of sixteen counts (16 when none is): the lanes
    /// narrowed to a byte each (0 or 0xFF), read as two 64-bit words.
    @inline(__always)
    private static func firstLane(_ m: SIMDMask<SIMD16<Int16>>) -> Int {
        let bytes = SIMD16<UInt8>(truncatingIfNeeded: SIMD16<Int16>(repeating: 0).replacing(with: -1, where: m))
        let words = unsafeBitCast(bytes, to: SIMD2<UInt64>.self)
        return words[0] != 0 ? words[0].trailingZeroBitCount / 8 : 8 + words[1].trailingZeroBitCount / 8
    }

    @inline(__always)
    private static func find(_ parent: UnsafeMutablePointer<Int32>, _ x: Int32) -> Int32 {
        var r = x
        while parent[Int(r)] != r { r = parent[Int(r)] }
        var i = x
        while parent[Int(i)] != r { let next = parent[Int(i)]; parent[Int(i)] = r; i = next }
        return r
    }

    @inline(__always)
    private static func union(_ parent: UnsafeMutablePointer<Int32>, _ a: Int32, _ b: Int32) {
        let ra = find(parent, a), rb = find(parent, b)
        if ra < rb { parent[Int(rb)] = ra } else if rb < ra { parent[Int(ra)] = rb }
    }

    /// Labels `pixels` (row-major, `width × height`) where `count ≥ threshold`, treating the
    /// disc `exclude` (centre x, y and radius, pixels) as background.
    /// `window` (inclusive bounds) limits the labelling to part of the frame; nothing outside
    /// it is a blob.
    public mutating func label(_ pixels: UnsafeBufferPointer<UInt16>, threshold: UInt16,
                               exclude: (x: Double, y: Double, r: Double)? = nil,
                               window: (minX: Int, minY: Int, maxX: Int, maxY: Int)? = nil) {
        precondition(pixels.count == width * height, "BlobLabeler: frame is not \(width)×\(height)")
        let w = width, h = height
        let xLo = max(0, window?.minX ?? 0), xEnd = min(w, (window?.maxX ?? w - 1) + 1)
        let yLo = max(0, window?.minY ?? 0), yEnd = min(h, (window?.maxY ?? h - 1) + 1)
        // The excluded disc's bounding rows, and per row of it the excluded column range.
        let ex = exclude.map { e in (x: e.x, y: e.y, r: e.r, y0: Int((e.y - e.r).rounded(.down)), y1: Int((e.y + e.r).rounded(.up))) }
        blobs.removeAll(keepingCapacity: true)
        var runs = 0
        var next: Int32 = 1
        runStart.withUnsafeMutableBufferPointer { rs in
        runEnd.withUnsafeMutableBufferPointer { re in
        runRow.withUnsafeMutableBufferPointer { rr in
        runLabel.withUnsafeMutableBufferPointer { rl in
        runTop.withUnsafeMutableBufferPointer { rt in
        rowRuns.withUnsafeMutableBufferPointer { rowFirst in
        parent.withUnsafeMutableBufferPointer { par in
        compact.withUnsafeMutableBufferPointer { cmp in
            // SAFETY: every index below stays inside the frame (x < w, y < h) or inside the run
            // buffers, which hold the most runs a frame can have (one per two columns per row).
            let p = par.baseAddress!
            let threshold16 = SIMD16<UInt16>(repeating: threshold)
            let lane = SIMD16<UInt16>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
            let base = pixels.baseAddress!
            var aboveBegin = 0, aboveEnd = 0      // the runs of the row above
            for y in 0..<min(yLo, h) { rowFirst[y] = 0 }
            for y in yLo..<max(yLo, yEnd) {
                let row = y * w
                let rowBegin = runs
                rowFirst[y] = Int32(runs)
                // Excluded columns of this row (none when lo > hi).
                var lo = w, hi = -1
                if let e = ex, y >= e.y0, y <= e.y1 {
                    let dy = Double(y) - e.y
                    let half = (e.r * e.r - dy * dy)
                    if half >= 0 {
                        let s = half.squareRoot()
                        lo = max(0, Int((e.x - s).rounded(.up)))
                        hi = min(w - 1, Int((e.x + s).rounded(.down)))
                    }
                }
                var x = xLo
                var j = aboveBegin
                while x < xEnd {
                    // Skip background: sixty-four pixels at a time while none is in the mask
                    // (one test of four comparisons: a frame is mostly background, and a test
                    // per sixteen pixels was half the labelling with one person in view), then
                    // sixteen; in the chunk that holds one, straight to it (unless the chunk
                    // reaches into the excluded disc: then pixel by pixel).
                    while x + 64 <= xEnd {
                        let chunk = UnsafeRawPointer(base + row + x)
                        let inMask = (chunk.loadUnaligned(as: SIMD16<UInt16>.self) .>= threshold16)
                            .| (chunk.loadUnaligned(fromByteOffset: 32, as: SIMD16<UInt16>.self) .>= threshold16)
                            .| (chunk.loadUnaligned(fromByteOffset: 64, as: SIMD16<UInt16>.self) .>= threshold16)
                            .| (chunk.loadUnaligned(fromByteOffset: 96, as: SIMD16<UInt16>.self) .>= threshold16)
                        if any(inMask) { break }
                        x += 64
                    }
                    while x + 16 <= xEnd {
                        let inMask = UnsafeRawPointer(base + row + x).loadUnaligned(as: SIMD16<UInt16>.self) .>= threshold16
                        if any(inMask) {
                            if x + 16 <= lo || x > hi { x += Self.firstLane(inMask) }
                            break
                        }
                        x += 16
                    }
                    while x < xEnd && (pixels[row + x] < threshold || (x >= lo && x <= hi)) { x += 1 }
                    if x >= xEnd { break }
                    let start = x
                    // Inside a run, sixteen pixels at a time while none is excluded, to the
                    // first pixel below the threshold; the run's hottest count on the way.
                    var top16 = SIMD16<UInt16>(repeating: 0)
                    while x + 16 <= xEnd && (x + 16 <= lo || x > hi) {
                        let v = UnsafeRawPointer(base + row + x).loadUnaligned(as: SIMD16<UInt16>.self)
                        let inMask = v .>= threshold16
                        if all(inMask) {
                            top16.replace(with: v, where: v .> top16)
                            x += 16
                            continue
                        }
                        let k = Self.firstLane(.!inMask)
                        top16.replace(with: v, where: (lane .< SIMD16<UInt16>(repeating: UInt16(k))) .& (v .> top16))
                        x += k
                        break
                    }
                    var top = top16.max()
                    while x < xEnd && pixels[row + x] >= threshold && !(x >= lo && x <= hi) { top = max(top, pixels[row + x]); x += 1 }
                    let end = x - 1
                    let l = next
                    next += 1
                    p[Int(l)] = l
                    rs[runs] = Int32(start)
                    re[runs] = Int32(end)
                    rr[runs] = Int32(y)
                    rl[runs] = l
                    rt[runs] = top
                    runs += 1
                    // Runs above that touch [start − 1, end + 1] merge with this one.
                    while j < aboveEnd && Int(re[j]) < start - 1 { j += 1 }
                    var k = j
                    while k < aboveEnd && Int(rs[k]) <= end + 1 {
                        Self.union(p, l, rl[k])
                        k += 1
                    }
                }
                aboveBegin = rowBegin
                aboveEnd = runs
            }
            for y in min(max(yLo, yEnd), h)...h { rowFirst[y] = Int32(runs) }
            // Number roots in order of first appearance (raster order: labels were handed out
            // in that order and a root is the smallest label of its set).
            var n: Int32 = 0
            for l in 1..<Int(next) {
                let r = Self.find(p, Int32(l))
                if r == Int32(l) { n += 1; cmp[l] = n } else { cmp[l] = cmp[Int(r)] }
            }
            for _ in 0..<Int(n) {
                blobs.append(Blob(label: 0, area: 0, minX: Int.max, minY: Int.max, maxX: -1, maxY: -1,
                                  sumX: 0, sumY: 0, maxCount: 0, maxX_: 0, maxY_: 0))
            }
            blobs.withUnsafeMutableBufferPointer { b in
                for k in 0..<runs {
                    let l = cmp[Int(rl[k])]
                    rl[k] = l
                    let i = Int(l) - 1
                    let y = Int(rr[k]), s = Int(rs[k]), e = Int(re[k])
                    let length = e - s + 1
                    // Until every run is seen, `maxX_` holds the run where the blob's maximum
                    // first is (the first maximum in raster order is the blob's).
                    if b[i].area == 0 { b[i].label = l; b[i].maxCount = rt[k]; b[i].maxX_ = k; b[i].maxY_ = y }
                    else if rt[k] > b[i].maxCount { b[i].maxCount = rt[k]; b[i].maxX_ = k; b[i].maxY_ = y }
                    b[i].area += length
                    if s < b[i].minX { b[i].minX = s }
                    if e > b[i].maxX { b[i].maxX = e }
                    if y < b[i].minY { b[i].minY = y }
                    b[i].maxY = y
                    b[i].sumX += (s + e) * length / 2
                    b[i].sumY += y * length
                }
                // Where in its run each blob's maximum first is: sixteen pixels at a time to the
                // chunk that holds it, then to its lane.
                for i in 0..<Int(n) {
                    let k = b[i].maxX_, row = b[i].maxY_ * w, top = b[i].maxCount
                    var at = Int(rs[k])
                    let top16 = SIMD16<UInt16>(repeating: top)
                    while at + 16 <= Int(re[k]) + 1 {
                        let hit = UnsafeRawPointer(base + row + at).loadUnaligned(as: SIMD16<UInt16>.self) .== top16
                        if any(hit) { at += Self.firstLane(hit); break }
                        at += 16
                    }
                    while base[row + at] != top { at += 1 }
                    b[i].maxX_ = at
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
    }

    /// The last frame's runs, by row: row y's are `rowFirst[y]..<rowFirst[y + 1]`, in order of
    /// their first column, each `start…end` with its final `label`. Valid only inside `body`.
    public struct Runs {
        public let start: UnsafePointer<Int32>, end: UnsafePointer<Int32>, label: UnsafePointer<Int32>
        public let rowFirst: UnsafePointer<Int32>

        @inline(__always)
        public func row(_ y: Int) -> Range<Int> { Int(rowFirst[y])..<Int(rowFirst[y + 1]) }

        /// The label of pixel (x, y): of the run of row y that holds it, 0 when none does.
        public func label(atX x: Int, y: Int) -> Int32 {
            for k in row(y) where Int(end[k]) >= x { return Int(start[k]) <= x ? label[k] : 0 }
            return 0
        }

        /// Calls `body(a, b)` for each of row y's runs whose region (`group[label]`) is `region`,
        /// cut to `columns` when it reaches into them: `a…b`, in column order.
        @inline(__always)
        public func forEachPart(ofRow y: Int, in columns: ClosedRange<Int>, group: UnsafeBufferPointer<Int32>, region: Int32,
                                _ body: (_ a: Int, _ b: Int) -> Void) {
            for k in row(y) where group[Int(label[k])] == region {
                let a = max(Int(start[k]), columns.lowerBound), b = min(Int(end[k]), columns.upperBound)
                if a <= b { body(a, b) }
            }
        }
    }

    /// Calls `body` with the last frame's runs (`Runs`), which it must not keep.
    public func withRuns<R>(_ body: (Runs) throws -> R) rethrows -> R {
        try runStart.withUnsafeBufferPointer { s in
            try runEnd.withUnsafeBufferPointer { e in
                try runLabel.withUnsafeBufferPointer { l in
                    try rowRuns.withUnsafeBufferPointer { r in
                        try body(Runs(start: s.baseAddress!, end: e.baseAddress!, label: l.baseAddress!, rowFirst: r.baseAddress!))
                    }
                }
            }
        }
    }
}
