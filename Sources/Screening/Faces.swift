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
}

/// Turns a warm blob into a face and measures its canthus: among the `k` hottest pixels of the
/// blob in the upper two thirds of the face, the mean of those within `band` °C of the hottest.
/// The band (a few pixel-noise standard deviations) keeps the canthus pixels and drops the skin
/// around them; averaging them removes most of the upward bias a maximum of noisy pixels has.
/// Also looks for glasses (a cold band across the eyes: face-box pixels below threshold).
///
///     minY ┌──────────┐
///          │ forehead │
///          │▒▒ eyes ▒▒│  ← band 0.25…0.55 of the face height, inner 70 % of its width
///          │   nose   │  ← canthus search ends at 0.65
///          │  mouth   │
///          └──────────┘ minY + faceHeight (≤ 1.3 × width; below is neck and body)
public struct FaceMeasurer {
    private var top: [UInt16]

    public init(maxPixels: Int = 64) { top = [UInt16](repeating: 0, count: maxPixels) }

    public mutating func measure(blob: Blob, labels: UnsafeBufferPointer<Int32>, pixels: UnsafeBufferPointer<UInt16>,
                                 width: Int, height: Int, table: CountTable, k: Int, band: Double) -> Detection {
        let head = Self.head(of: blob, labels: labels, width: width)
        let faceHeight = head.height
        let faceBottom = blob.minY + faceHeight - 1
        let searchBottom = blob.minY + max(1, Int((Double(faceHeight) * 0.65).rounded())) - 1
        let k = min(k, top.count)
        var n = 0
        top.withUnsafeMutableBufferPointer { t in
            // Keep the k largest counts, t[0] the smallest of them (insertion into a short sorted run).
            for y in blob.minY...searchBottom {
                for x in head.minX...head.maxX where labels[y * width + x] == blob.label {
                    let v = pixels[y * width + x]
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
        var sumC = 0.0, sumRaw = 0.0, used = 0
        if n > 0 {
            let hottest = Double(table[top[n - 1]])
            for i in 0..<n where Double(table[top[i]]) >= hottest - band {
                sumC += Double(table[top[i]])
                sumRaw += Double(top[i])
                used += 1
            }
        }
        // Glasses: holes in the eye band.
        let bandTop = blob.minY + Int(Double(faceHeight) * 0.25)
        let bandBottom = max(bandTop, blob.minY + Int(Double(faceHeight) * 0.55) - 1)
        let headWidth = head.maxX - head.minX + 1
        let inset = Int(Double(headWidth) * 0.15)
        var holes = 0, band = 0
        if headWidth >= 6 && faceHeight >= 6 {
            for y in bandTop...bandBottom {
                for x in (head.minX + inset)...(head.maxX - inset) {
                    band += 1
                    if labels[y * width + x] != blob.label { holes += 1 }
                }
            }
        }
        return Detection(
            x: Double(head.minX + head.maxX) / 2, y: Double(blob.minY + faceBottom) / 2,
            faceWidth: headWidth, faceHeight: faceHeight,
            minX: head.minX, minY: blob.minY, maxX: head.maxX, maxY: faceBottom,
            canthusC: used > 0 ? sumC / Double(used) : -.infinity, raw: used > 0 ? sumRaw / Double(used) : 0,
            glasses: band > 0 && Double(holes) / Double(band) > 0.2,
            touchesEdge: head.minX == 0 || blob.minY == 0 || head.maxX == width - 1 || (faceBottom == height - 1))
    }

    /// The head at the top of a blob: row by row from the top, the blob's extent widens to the
    /// widest part of the head, narrows to the neck, and widens again at the shoulders. The head
    /// ends at the neck (the narrowest row at least 0.8 head widths down, once the next rows are
    /// 30 % wider and the neck at least 15 % narrower than the head) and is at most 1.3 × its
    /// width tall.
    /// A blob that is only a head (no shoulders in view or warm enough) is a head throughout.
    static func head(of blob: Blob, labels: UnsafeBufferPointer<Int32>, width: Int) -> (height: Int, minX: Int, maxX: Int) {
        var maxW = 0, neckW = Int.max, neckRow = -1
        var headMinX = Int.max, headMaxX = -1
        var minX = Int.max, maxX = -1      // extent of the rows accepted so far
        var rows = 0
        for y in blob.minY...blob.maxY {
            var lo = Int.max, hi = -1
            for x in blob.minX...blob.maxX where labels[y * width + x] == blob.label {
                if x < lo { lo = x }
                hi = x
            }
            let w = hi >= lo ? hi - lo + 1 : 0
            if w >= maxW && neckRow < 0 {
                maxW = w
            } else if w < neckW && maxW > 0 && Double(rows) >= 0.8 * Double(maxW) {
                // A neck only below a head at least 0.8 × its width tall (glasses and hair
                // narrow a face's rows higher up, too).
                neckW = w
                neckRow = rows
                headMinX = minX
                headMaxX = maxX
            } else if neckRow >= 0 && Double(w) > 1.3 * Double(neckW) && Double(neckW) < 0.85 * Double(maxW) {
                return (max(1, neckRow), headMinX, headMaxX)
            }
            if w > 0 { minX = min(minX, lo); maxX = max(maxX, hi) }
            rows += 1
            if Double(rows) >= 1.3 * Double(max(1, maxX - minX + 1)) && rows >= 2 { break }
        }
        return (max(1, rows), minX == Int.max ? blob.minX : minX, maxX < 0 ? blob.maxX : maxX)
    }
}
