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
        let faceHeight = min(blob.height, Int((Double(blob.width) * 1.3).rounded()))
        let faceBottom = blob.minY + faceHeight - 1
        let searchBottom = blob.minY + max(1, Int((Double(faceHeight) * 0.65).rounded())) - 1
        let k = min(k, top.count)
        var n = 0
        top.withUnsafeMutableBufferPointer { t in
            // Keep the k largest counts, t[0] the smallest of them (insertion into a short sorted run).
            for y in blob.minY...searchBottom {
                for x in blob.minX...blob.maxX where labels[y * width + x] == blob.label {
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
        let inset = Int(Double(blob.width) * 0.15)
        var holes = 0, band = 0
        if blob.width >= 6 && faceHeight >= 6 {
            for y in bandTop...bandBottom {
                for x in (blob.minX + inset)...(blob.maxX - inset) {
                    band += 1
                    if labels[y * width + x] != blob.label { holes += 1 }
                }
            }
        }
        return Detection(
            x: Double(blob.minX + blob.maxX) / 2, y: Double(blob.minY + faceBottom) / 2,
            faceWidth: blob.width, faceHeight: faceHeight,
            minX: blob.minX, minY: blob.minY, maxX: blob.maxX, maxY: faceBottom,
            canthusC: used > 0 ? sumC / Double(used) : -.infinity, raw: used > 0 ? sumRaw / Double(used) : 0,
            glasses: band > 0 && Double(holes) / Double(band) > 0.2,
            touchesEdge: blob.minX == 0 || blob.minY == 0 || blob.maxX == width - 1 || (faceBottom == height - 1))
    }
}
