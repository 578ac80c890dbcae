import Radiometry

/// One person-sized warm region in one frame, measured.
public struct Detection: Sendable, Equatable {
    /// Face box centre, upright pixels.
    public var x: Double
    public var y: Double
    public var faceWidth: Int
    public var faceHeight: Int
    public var minX: Int, minY: Int, maxX: Int, maxY: Int
    /// Mean of the hottest pixels of the upper face, °C before reference correction.
    public var canthusC: Double
    /// Mean count of those pixels.
    public var raw: Double
    /// Frame-level gate codes (`too_far`, `too_close`, `edge`, `cold` are added later).
    public var glasses: Bool
    public var touchesEdge: Bool
    /// The part of the face box's top third that is skin: a head's crown or forehead fills it
    /// (an ellipse fills 69 %); the posts and rails of a warm chair or a frame do not.
    public var crownFill: Double
    /// The part of the top third's rows in which the skin is split into two or more runs: a
    /// head's crown is one run per row, however tilted; the posts of a chair's back, or two
    /// heads side by side, are two.
    public var crownSplit: Double
    /// Skin pixels on the lesser side of the face's middle over those on the greater, in the
    /// canthus window: about 1 for a face turned to the camera, less for one in profile (skin
    /// on the side it faces, hair behind).
    public var skinBalance: Double
    /// How much warmer the warmer side of the face's middle is than the other (K, the mean of
    /// each side's skin in the canthus window): a face turned to the camera is the same skin on
    /// both sides, within half a kelvin; one in profile shows its cheek on one side and hair
    /// (kelvins cooler, though in a warm room warm enough to be part of the region) on the other.
    public var sideContrastK: Double
    /// The whole warm region the head tops (its neck, shoulders and body where they are warm
    /// enough to join it): where the person is when their head is out of view or hidden.
    public var region: Box
    /// How far the canthus stands above the mean of the face's skin in the canthus window
    /// (K): a face's inner canthus is its warmest skin, most of a kelvin above the rest and
    /// more on a face chilled outdoors; a lukewarm surface (a plate, a housing, a jacket) has
    /// no such point, only noise and slow gradients.
    public var canthusReliefK: Double
    /// A head seen past the side of the face in front of it (`Screener.headBehind`): how wide
    /// it looks is only what shows of it, so it says nothing of how far it is.
    public var partlyHidden = false

    /// The face box.
    public var box: Box { Box(minX: minX, minY: minY, maxX: maxX, maxY: maxY) }
}

/// A box in upright pixels, bounds inclusive: a face's, the warm region it tops, a snapshot's.
public struct Box: Sendable, Equatable {
    public var minX: Int, minY: Int, maxX: Int, maxY: Int

    public init(minX: Int, minY: Int, maxX: Int, maxY: Int) {
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
    }

    public var width: Int { maxX - minX + 1 }
    public var height: Int { maxY - minY + 1 }

    public func contains(_ x: Double, _ y: Double) -> Bool {
        Int(x) >= minX && Int(x) <= maxX && Int(y) >= minY && Int(y) <= maxY
    }
}

/// Turns a warm blob into a face and measures its canthus: among the `k` hottest pixels of the
/// blob in the upper two thirds of the face, the mean of those within `band` °C of the hottest.
/// The band (a few pixel-noise standard deviations) keeps the canthus pixels and drops the skin
/// around them; averaging them removes most of the upward bias a maximum of noisy pixels has.
/// Also looks for glasses (a cold band across the eyes: face-box pixels below threshold).
///
///     minY ┌──────────┐
///          │ forehead │
///          │▒▒ eyes ▒▒│  ← band 0.25…0.7 face widths down, inner 70 % of the width
///          │   nose   │  ← canthus search ends at 0.65
///          │  mouth   │
///          └──────────┘ minY + faceHeight (≤ 1.3 × width; below is neck and body)
public struct FaceMeasurer {
    private var top: [UInt16]
    /// The region's pixels of the face box being measured (1) and the rest (0), row by row;
    /// sized for a whole frame on first use.
    private var mask: [UInt8] = []
    /// Each searched row's hottest count of the region (by `mask` row); one per frame row.
    private var rowTop: [UInt16] = []

    public init(maxPixels: Int = 64) { top = [UInt16](repeating: 0, count: maxPixels) }

    /// `blob` is a face region; a pixel belongs to it when it lies in one of the labeller's
    /// `runs` whose `group[label] == blob.label` (`FaceGrouper`: a face that cold glasses split
    /// is one region of several labels), within the blob's columns; `core` when it was cut above
    /// the skin threshold (`Screener.findCores`), so its top is a tip.
    public mutating func measure(blob: Blob, runs: BlobLabeler.Runs, group: UnsafeBufferPointer<Int32>,
                                 pixels: UnsafeBufferPointer<UInt16>,
                                 width: Int, height: Int, table: CountTable, k: Int, band: Double, core: Bool = false,
                                 mount: Box? = nil) -> Detection {
        let head = Self.head(of: blob, runs: runs, group: group, minCapWidth: core ? 3 : 1)
        let faceHeight = head.height
        let faceBottom = blob.minY + faceHeight - 1
        let searchBottom = blob.minY + max(1, Int((Double(faceHeight) * 0.65).rounded())) - 1
        let headWidth = head.maxX - head.minX + 1
        // Crown: the top third of the face box. Glasses: holes in the eye band, the inner 70 % of
        // the width, 0.25 to 0.7 head widths below the top (0.19…0.54 of a whole face's height;
        // measured in widths, it stays on the eyes when a mask ends the box just below them).
        // Where the region's top is the hairline (hair reads cold), a short forehead or a head
        // tilted back puts the eyes a quarter width down: a band from 0.3 caught only the
        // lenses' lower rims and the flag flickered frame to frame.
        let crownBottom = blob.minY + max(1, faceHeight / 3) - 1
        let bandTop = blob.minY + Int(Double(headWidth) * 0.25)
        let bandBottom = min(faceBottom, max(bandTop, blob.minY + Int(Double(headWidth) * 0.7) - 1))
        let inset = Int(Double(headWidth) * 0.15)
        let looksForGlasses = headWidth >= 6 && faceHeight >= 6 && bandTop <= faceBottom
        var bandPixels = looksForGlasses ? (bandBottom - bandTop + 1) * (headWidth - 2 * inset) : 0
        let lastRow = looksForGlasses ? max(searchBottom, bandBottom) : searchBottom
        // The reference's mount (`ReferenceMonitor.mount`) is in front of anyone at the kiosk:
        // where it covers the face's box and none of the region's pixels there, the skin behind
        // it is hidden — those rows are left out of the side-to-side comparison (one side cut by
        // the mount is no profile) and those pixels out of the glasses' band (no lens).
        // (Its columns within the box, counted from the box's left, and its frame rows.)
        let hider = mount.flatMap { m -> (columns: ClosedRange<Int>, rows: ClosedRange<Int>)? in
            let a = max(m.minX, head.minX), b = min(m.maxX, head.maxX)
            return a <= b && m.maxY >= blob.minY && m.minY <= lastRow ? ((a - head.minX)...(b - head.minX), m.minY...m.maxY) : nil
        }
        // Skin either side of the face's middle (a strip a tenth of the width left out), in the
        // canthus window: a face turned to the camera shows as much on both sides.
        let midLow = head.minX + Int(Double(headWidth) * 0.45), midHigh = head.maxX - Int(Double(headWidth) * 0.45)
        let cols = headWidth, rows = lastRow - blob.minY + 1
        if mask.count < width * height { mask = [UInt8](repeating: 0, count: width * height) }
        if rowTop.count < height { rowTop = [UInt16](repeating: 0, count: height) }
        var hottest: UInt16 = 0, crown = 0, holes = 0, splitRows = 0
        var left = 0, right = 0, leftSum = 0, rightSum = 0, windowSum = 0, windowCount = 0
        // The region's pixels of the face box as a mask, row by row (its runs whose label's group
        // is the blob's, cut to the box), then every count and sum from the mask in plain loops
        // over the row.
        mask.withUnsafeMutableBufferPointer { maskBuffer in
            // SAFETY: rows blob.minY…lastRow and columns head.minX…head.maxX lie inside the blob's
            // bounds, hence inside the frame; run labels index `group` (one entry per label); the
            // mask holds cols × rows bytes, and a run's part written is cut to the box's columns.
            let px = pixels.baseAddress!
            for r in 0..<rows {
                let y = blob.minY + r
                let m = maskBuffer.baseAddress! + r * cols
                let p = px + y * width + head.minX
                m.update(repeating: 0, count: cols)
                runs.forEachPart(ofRow: y, in: head.minX...head.maxX, group: group, region: blob.label) { a, b in
                    (m + (a - head.minX)).update(repeating: 1, count: b - a + 1)
                }
                var hidden = false
                if let h = hider, h.rows.contains(y) { hidden = !h.columns.contains { m[$0] != 0 } }
                if y <= searchBottom {
                    // Left of the middle strip, the strip, right of it: counts and count sums.
                    func span(_ a: Int, _ b: Int) -> (count: Int, sum: Int, top: UInt16) {
                        var c: UInt32 = 0, s: UInt32 = 0, t: UInt16 = 0
                        var x = a
                        while x < b {
                            let on = UInt32(m[x]), v = p[x] & (0 &- UInt16(m[x]))
                            c &+= on; s &+= UInt32(v); t = max(t, v)
                            x &+= 1
                        }
                        return (Int(c), Int(s), t)
                    }
                    let a = span(0, midLow - head.minX)
                    let mid = span(max(0, midLow - head.minX), min(cols, midHigh - head.minX + 1))
                    let b = span(min(cols, midHigh - head.minX + 1), cols)
                    if !hidden {
                        left += a.count; leftSum += a.sum
                        right += b.count; rightSum += b.sum
                    }
                    windowCount += a.count + mid.count + b.count
                    windowSum += a.sum + mid.sum + b.sum
                    rowTop[r] = max(a.top, mid.top, b.top)
                    hottest = max(hottest, rowTop[r])
                }
                if y <= crownBottom {
                    var c = 0, pieces = 0, previous: UInt8 = 0
                    for x in 0..<cols {
                        c &+= Int(m[x])
                        pieces &+= Int(m[x] & ~previous)
                        previous = m[x]
                    }
                    crown += c
                    if pieces >= 2 { splitRows += 1 }
                }
                if looksForGlasses && y >= bandTop && y <= bandBottom {
                    var c = 0
                    for x in inset..<(cols - inset) { c &+= Int(m[x] ^ 1) }
                    if hidden, let h = hider {
                        let covered = max(0, min(h.columns.upperBound, cols - inset - 1) - max(h.columns.lowerBound, inset) + 1)
                        c -= covered; bandPixels -= covered
                    }
                    holes += c
                }
            }
        }
        // The k hottest pixels of the window (t[0] the smallest of them), among those that can be
        // within `band` of the hottest: no other pixel is averaged, so none needs sorting in. The
        // count floor is one below the table's exact one (monotonic table; Float vs Double).
        let hottestC = Double(table[hottest])
        let floor = UInt16(max(0, Int(table.firstCount(atLeast: hottestC - band)) - 1))
        let k = min(k, top.count)
        var n = 0
        top.withUnsafeMutableBufferPointer { t in
            mask.withUnsafeBufferPointer { maskBuffer in
                // Rows with no pixel of the region that warm are passed over.
                for r in 0..<(searchBottom - blob.minY + 1) where rowTop[r] >= floor {
                    let m = maskBuffer.baseAddress! + r * cols
                    let p = pixels.baseAddress! + (blob.minY + r) * width + head.minX
                    for x in 0..<cols {
                        let v = p[x]
                        guard v >= floor, m[x] != 0 else { continue }
                        if n < k {
                            var j = n
                            while j > 0 && t[j - 1] > v { t[j] = t[j - 1]; j -= 1 }
                            t[j] = v
                            n += 1
                        } else if v > t[0] {
                            var j = 0
                            while j + 1 < k && t[j + 1] < v { t[j] = t[j + 1]; j += 1 }
                            t[j] = v
                        }
                    }
                }
            }
        }
        var sumC = 0.0, sumRaw = 0.0, used = 0
        for i in 0..<n where Double(table[top[i]]) >= hottestC - band {
            sumC += Double(table[top[i]])
            sumRaw += Double(top[i])
            used += 1
        }
        return Detection(
            x: Double(head.minX + head.maxX) / 2, y: Double(blob.minY + faceBottom) / 2,
            faceWidth: headWidth, faceHeight: faceHeight,
            minX: head.minX, minY: blob.minY, maxX: head.maxX, maxY: faceBottom,
            canthusC: used > 0 ? sumC / Double(used) : -.infinity, raw: used > 0 ? sumRaw / Double(used) : 0,
            glasses: bandPixels > 0 && Double(holes) / Double(bandPixels) > 0.2,
            touchesEdge: head.minX == 0 || blob.minY == 0 || head.maxX == width - 1 || (faceBottom == height - 1),
            crownFill: Double(crown) / Double((crownBottom - blob.minY + 1) * headWidth),
            crownSplit: Double(splitRows) / Double(crownBottom - blob.minY + 1),
            skinBalance: max(left, right) > 0 ? Double(min(left, right)) / Double(max(left, right)) : 0,
            sideContrastK: left > 0 && right > 0 ? abs(Double(table[UInt16(leftSum / left)]) - Double(table[UInt16(rightSum / right)])) : 0,
            region: Box(minX: blob.minX, minY: blob.minY, maxX: blob.maxX, maxY: blob.maxY),
            // The skin's mean taken in counts and converted once (the table is all but
            // linear over the few kelvin of a face).
            canthusReliefK: used > 0 && windowCount > 0 ? sumC / Double(used) - Double(table[UInt16(windowSum / windowCount)]) : 0)
    }

    /// The head at the top of a blob: row by row from the top, the blob's extent widens to the
    /// widest part of the head, narrows to the neck, and widens again at the shoulders. The head
    /// ends at the neck (the narrowest row at least 0.8 head widths down and centred under the
    /// head's middle half, once the next rows are 30 % wider and either the neck is at least 15 %
    /// narrower than the head or those rows are more than 1.5 head widths wide: shoulders under a
    /// neck as wide as the jaw) and is at most 1.3 × its width tall.
    /// A blob that is only a head (no shoulders in view or warm enough) is a head throughout.
    /// The height cap counts once the rows are `minCapWidth` px wide: a hot core (`measure`'s
    /// `core`) is a level cut through a face's warm dome, whose top is a tip a pixel or two wide.
    static func head(of blob: Blob, runs: BlobLabeler.Runs, group: UnsafeBufferPointer<Int32>,
                     minCapWidth: Int = 1) -> (height: Int, minX: Int, maxX: Int) {
        var maxW = 0, neckW = Int.max, neckRow = -1
        var headMinX = Int.max, headMaxX = -1
        var minX = Int.max, maxX = -1      // extent of the rows accepted so far
        var rows = 0
        for y in blob.minY...blob.maxY {
            // The row's first and last pixel of the region within the blob's columns: its first
            // and last run there (a row's runs are in column order).
            var lo = Int.max, hi = -1
            runs.forEachPart(ofRow: y, in: blob.minX...blob.maxX, group: group, region: blob.label) { a, b in
                lo = min(lo, a); hi = b
            }
            let w = hi >= lo ? hi - lo + 1 : 0
            if w >= maxW && neckRow < 0 {
                maxW = w
            } else if w < neckW && maxW > 0 && Double(rows) >= 0.8 * Double(maxW)
                        && abs(Double(lo + hi) - Double(minX + maxX)) <= 0.5 * Double(maxX - minX + 1) {
                // A neck only below a head at least 0.8 × its width tall (glasses and hair
                // narrow a face's rows higher up, too), and under the middle half of the head
                // (the strip of cheek beside cold glasses is not one).
                neckW = w
                neckRow = rows
                headMinX = minX
                headMaxX = maxX
            } else if neckRow >= 0 && Double(w) > 1.3 * Double(neckW)
                        && (Double(neckW) < 0.85 * Double(maxW) || Double(w) > 1.5 * Double(maxW)) {
                return (max(1, neckRow), headMinX, headMaxX)
            }
            if w > 0 { minX = min(minX, lo); maxX = max(maxX, hi) }
            rows += 1
            if Double(rows) >= 1.3 * Double(max(1, maxX - minX + 1)) && rows >= 2 && maxX - minX + 1 >= minCapWidth { break }
        }
        return (max(1, rows), minX == Int.max ? blob.minX : minX, maxX < 0 ? blob.maxX : maxX)
    }
}

/// Joins the pieces of one face that the skin threshold cut apart. Cold glasses (opaque in the
/// long-wave infrared) cut a close face across the eyes: the forehead above and the cheeks and
/// nose below become separate blobs, the forehead wider than tall; when the cheeks are cool too,
/// only the nose and mouth stay warm, up to half a forehead width below it. A blob that starts
/// below the middle of another, within half of that one's width under it, overlaps it sideways
/// by at least half of the narrower and is no wider than it — over its first rows, as many as
/// the upper one is tall, when warm clothing widens it further down — is part of the same face.
///
/// `group[label]` is the label of the region a blob belongs to (the label of its topmost piece;
/// 0 stays 0), and `regions` are the merged statistics, one per region. Buffers are sized once.
public struct FaceGrouper {
    public private(set) var group: [Int32]
    public private(set) var regions: [Blob] = []
    private var merged: [Blob] = []

    public init(maxLabels: Int) {
        group = [Int32](repeating: 0, count: maxLabels + 1)
        regions.reserveCapacity(maxLabels)
        merged.reserveCapacity(maxLabels)
    }

    static func isLowerPart(_ b: Blob, of a: Blob, runs: BlobLabeler.Runs) -> Bool {
        guard b.minY * 2 >= a.minY * 2 + a.height, b.maxY > a.maxY else { return false }
        let gap = b.minY - a.maxY - 1
        guard Double(gap) <= max(2, Double(a.width) / 2) else { return false }
        let overlap = min(a.maxX, b.maxX) - max(a.minX, b.minX) + 1
        guard overlap * 2 >= min(a.width, b.width) else { return false }
        if b.width <= a.width { return true }
        // Wider below: no wider where they meet (its first rows, as many as the upper piece is
        // tall) — warm clothing below may widen it further down. A forehead left as a strip by
        // dark lenses (at most a quarter as tall as wide) ends at the brow, and the cheeks begin
        // at the temples beside the lenses' rims: a pixel wider either side is the same face.
        var lo = Int.max, hi = -1
        for y in b.minY...min(b.maxY, b.minY + a.height - 1) {
            for k in runs.row(y) where runs.label[k] == b.label {
                lo = min(lo, Int(runs.start[k]))
                hi = max(hi, Int(runs.end[k]))
            }
        }
        let strip = a.height * 4 <= a.width
        return hi - lo + 1 <= a.width + (strip ? 2 : 0)
    }

    /// Groups the blobs `labeler` found last (labels 1…n), considering pieces of at least
    /// `minPieceArea` pixels.
    public mutating func group(_ labeler: BlobLabeler, minPieceArea: Int) {
        let blobs = labeler.blobs
        let n = blobs.count
        precondition(n < group.count, "FaceGrouper: more blobs than labels")
        labeler.withRuns { runs in
        group.withUnsafeMutableBufferPointer { g in
            for l in 0...n { g[l] = Int32(l) }
            func root(_ l: Int32) -> Int32 {
                var r = l
                while g[Int(r)] != r { r = g[Int(r)] }
                return r
            }
            // Blobs come in raster order of their top rows, so an upper piece precedes its lower ones.
            for i in 0..<n where blobs[i].area >= minPieceArea {
                for j in (i + 1)..<n where blobs[j].area >= minPieceArea && Self.isLowerPart(blobs[j], of: blobs[i], runs: runs) {
                    let ri = root(blobs[i].label), rj = root(blobs[j].label)
                    if ri != rj { g[Int(max(ri, rj))] = min(ri, rj) }
                }
            }
            for l in stride(from: 1, through: n, by: 1) { g[l] = root(Int32(l)) }
        }
        }
        merged.removeAll(keepingCapacity: true)
        merged.append(contentsOf: blobs)
        for b in blobs where group[Int(b.label)] != b.label {
            let k = Int(group[Int(b.label)]) - 1
            merged[k].area += b.area
            merged[k].minX = min(merged[k].minX, b.minX)
            merged[k].maxX = max(merged[k].maxX, b.maxX)
            merged[k].minY = min(merged[k].minY, b.minY)
            merged[k].maxY = max(merged[k].maxY, b.maxY)
            merged[k].sumX += b.sumX
            merged[k].sumY += b.sumY
            if b.maxCount > merged[k].maxCount { merged[k].maxCount = b.maxCount; merged[k].maxX_ = b.maxX_; merged[k].maxY_ = b.maxY_ }
        }
        regions.removeAll(keepingCapacity: true)
        for b in merged where group[Int(b.label)] == b.label { regions.append(b) }
    }
}
