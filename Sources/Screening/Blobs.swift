/// Per-blob statistics, as OpenCV's `connectedComponentsWithStats` gives them plus the maximum.
public struct Blob: Sendable, Equatable {
    /// Label in `BlobLabeler.labels` (1-based; 0 is background).
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
/// Two passes with union-find over provisional labels (Wu, Otoo & Suzuki 2005, the scheme of
/// OpenCV's `connectedcomponents.cpp`). In the first pass each mask pixel looks at the four
/// neighbours already visited:
///
///     a b c
///     d x
///
/// takes the smallest of their labels (or a new one) and merges the others into it. The second
/// pass resolves every label to its root, numbers roots 1…n in raster order and gathers stats,
/// visiting only each row's span of labelled pixels (most of a frame is background).
/// All buffers are sized once for the frame and reused: no allocation per frame.
public struct BlobLabeler {
    public let width: Int
    public let height: Int
    /// Final label per pixel (0 = below threshold), valid after `label(...)`.
    public private(set) var labels: [Int32]
    public private(set) var blobs: [Blob] = []
    private var parent: [Int32]
    private var compact: [Int32]
    /// Per row, the first and last column labelled in the first pass (first > last: none), so
    /// the second pass skips background.
    private var rowFirst: [Int32]
    private var rowLast: [Int32]

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        labels = [Int32](repeating: 0, count: width * height)
        let bound = Self.labelBound(width: width, height: height)
        parent = [Int32](repeating: 0, count: bound)
        compact = [Int32](repeating: 0, count: bound)
        rowFirst = [Int32](repeating: 0, count: height)
        rowLast = [Int32](repeating: -1, count: height)
        blobs.reserveCapacity(bound)
    }

    /// More than the number of labels a `width × height` frame can need: 8-connected provisional
    /// labels are at most one per 2×2 block, plus the background.
    public static func labelBound(width: Int, height: Int) -> Int { ((width + 1) / 2) * ((height + 1) / 2) + 2 }

    @inline(__always)
    private static func find(_ parent: UnsafeMutablePointer<Int32>, _ x: Int32) -> Int32 {
        var r = x
        while parent[Int(r)] != r { r = parent[Int(r)] }
        var i = x
        while parent[Int(i)] != r { let next = parent[Int(i)]; parent[Int(i)] = r; i = next }
        return r
    }

    @inline(__always)
    private static func union(_ parent: UnsafeMutablePointer<Int32>, _ a: Int32, _ b: Int32) -> Int32 {
        let ra = find(parent, a), rb = find(parent, b)
        if ra < rb { parent[Int(rb)] = ra; return ra }
        parent[Int(ra)] = rb
        return rb
    }

    /// Labels `pixels` (row-major, `width × height`) where `count ≥ threshold`, treating the
    /// disc `exclude` (centre x, y and radius, pixels) as background.
    public mutating func label(_ pixels: UnsafeBufferPointer<UInt16>, threshold: UInt16,
                               exclude: (x: Double, y: Double, r: Double)? = nil) {
        precondition(pixels.count == width * height, "BlobLabeler: frame is not \(width)×\(height)")
        let w = width, h = height
        var next: Int32 = 1
        // The excluded disc's bounding rows and columns, so most pixels skip the distance test.
        let ex = exclude.map { e in
            (x: e.x, y: e.y, r2: e.r * e.r, y0: Int((e.y - e.r).rounded(.down)), y1: Int((e.y + e.r).rounded(.up)),
             x0: Int((e.x - e.r).rounded(.down)), x1: Int((e.x + e.r).rounded(.up)))
        }
        blobs.removeAll(keepingCapacity: true)
        // (The row-range buffers wrap the whole labelling; their closures are not indented.)
        rowFirst.withUnsafeMutableBufferPointer { first in
        rowLast.withUnsafeMutableBufferPointer { last in
        labels.withUnsafeMutableBufferPointer { lab in
            parent.withUnsafeMutableBufferPointer { par in
                compact.withUnsafeMutableBufferPointer { cmp in
                    // SAFETY: lab and pixels hold w×h entries; first/last hold h; par/cmp hold the
                    // provisional-label bound computed in init, which the 2×2-block argument guarantees.
                    let p = par.baseAddress!
                    for y in 0..<h {
                        let row = y * w
                        first[y] = Int32(w)
                        last[y] = -1
                        for x in 0..<w {
                            let i = row + x
                            guard pixels[i] >= threshold else { lab[i] = 0; continue }
                            if let e = ex, y >= e.y0, y <= e.y1, x >= e.x0, x <= e.x1 {
                                let dx = Double(x) - e.x, dy = Double(y) - e.y
                                if dx * dx + dy * dy <= e.r2 { lab[i] = 0; continue }
                            }
                            var l: Int32 = 0
                            if y > 0 {
                                let up = i - w
                                if x > 0, lab[up - 1] != 0 { l = lab[up - 1] }
                                if lab[up] != 0 { l = l == 0 ? lab[up] : Self.union(p, l, lab[up]) }
                                if x + 1 < w, lab[up + 1] != 0 { l = l == 0 ? lab[up + 1] : Self.union(p, l, lab[up + 1]) }
                            }
                            if x > 0, lab[i - 1] != 0 { l = l == 0 ? lab[i - 1] : Self.union(p, l, lab[i - 1]) }
                            if l == 0 {
                                l = next
                                p[Int(l)] = l
                                next += 1
                            }
                            lab[i] = l
                            if first[y] > Int32(x) { first[y] = Int32(x) }
                            last[y] = Int32(x)
                        }
                    }
                    // Number roots in order of first appearance (raster order).
                    var n: Int32 = 0
                    for l in 1..<Int(next) {
                        let r = Self.find(p, Int32(l))
                        if r == Int32(l) { n += 1; cmp[l] = n } else { cmp[l] = 0 }
                    }
                    for l in 1..<Int(next) where cmp[l] == 0 { cmp[l] = cmp[Int(Self.find(p, Int32(l)))] }
                    for k in 0..<Int(n) {
                        blobs.append(Blob(label: Int32(k + 1), area: 0, minX: Int.max, minY: Int.max, maxX: -1, maxY: -1,
                                          sumX: 0, sumY: 0, maxCount: 0, maxX_: 0, maxY_: 0))
                    }
                    blobs.withUnsafeMutableBufferPointer { b in
                        for y in 0..<h where first[y] <= last[y] {
                            let row = y * w
                            for x in Int(first[y])...Int(last[y]) {
                                let i = row + x
                                let pl = lab[i]
                                if pl == 0 { continue }
                                let l = cmp[Int(pl)]
                                lab[i] = l
                                let k = Int(l) - 1
                                b[k].area += 1
                                if x < b[k].minX { b[k].minX = x }
                                if x > b[k].maxX { b[k].maxX = x }
                                if y < b[k].minY { b[k].minY = y }
                                if y > b[k].maxY { b[k].maxY = y }
                                b[k].sumX += x
                                b[k].sumY += y
                                let v = pixels[i]
                                if v > b[k].maxCount || b[k].area == 1 { b[k].maxCount = v; b[k].maxX_ = x; b[k].maxY_ = y }
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
