@testable import Screening
import Testing

/// A frame whose pixels are warm (200…455) with probability `density`, else 10 (a fixed LCG).
func randomFrame(count: Int, density: Double, state: inout UInt64) -> [UInt16] {
    var pixels = [UInt16](repeating: 0, count: count)
    for i in 0..<count {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        pixels[i] = Double(state >> 11) / Double(1 << 53) < density ? 200 + UInt16(truncatingIfNeeded: state >> 56) : 10
    }
    return pixels
}

/// An independent reference: flood fill with an explicit stack, 8-connectivity.
func floodFillBlobs(_ mask: [Bool], width: Int, height: Int) -> [(area: Int, minX: Int, minY: Int, maxX: Int, maxY: Int, sumX: Int, sumY: Int)] {
    var seen = [Bool](repeating: false, count: mask.count)
    var out: [(Int, Int, Int, Int, Int, Int, Int)] = []
    for start in 0..<mask.count where mask[start] && !seen[start] {
        var stack = [start]
        seen[start] = true
        var s = (0, Int.max, Int.max, -1, -1, 0, 0)
        while let i = stack.popLast() {
            let x = i % width, y = i / width
            s.0 += 1; s.1 = min(s.1, x); s.2 = min(s.2, y); s.3 = max(s.3, x); s.4 = max(s.4, y); s.5 += x; s.6 += y
            for dy in -1...1 { for dx in -1...1 where dx != 0 || dy != 0 {
                let nx = x + dx, ny = y + dy
                guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                let j = ny * width + nx
                if mask[j] && !seen[j] { seen[j] = true; stack.append(j) }
            } }
        }
        out.append(s)
    }
    return out.map { (area: $0.0, minX: $0.1, minY: $0.2, maxX: $0.3, maxY: $0.4, sumX: $0.5, sumY: $0.6) }
}

/// The label image the labeller's runs paint; expects each row's runs in column order and
/// apart, and `Runs.label(atX:y:)` to read that image at every pixel.
func labelImage(_ labeler: BlobLabeler) -> [Int32] {
    let w = labeler.width, h = labeler.height
    var painted = [Int32](repeating: 0, count: w * h)
    var ordered = true, lookedUp = true
    labeler.withRuns { runs in
        for y in 0..<h {
            var last = -2
            for k in runs.row(y) {
                let s = Int(runs.start[k]), e = Int(runs.end[k])
                if s <= last + 1 || e < s { ordered = false }
                last = e
                for x in s...max(s, e) { painted[y * w + x] = runs.label[k] }
            }
            for x in 0..<w where runs.label(atX: x, y: y) != painted[y * w + x] { lookedUp = false }
        }
    }
    #expect(ordered)
    #expect(lookedUp)
    return painted
}

@Suite struct BlobTests {
    @Test(arguments: [0.2, 0.45, 0.6, 0.8])
    func labellingMatchesFloodFillOnRandomMasks(density: Double) {
        let w = 61, h = 47
        var state: UInt64 = UInt64(density * 1000)
        var labeler = BlobLabeler(width: w, height: h)
        for _ in 0..<20 {
            let pixels = randomFrame(count: w * h, density: density, state: &state)
            pixels.withUnsafeBufferPointer { labeler.label($0, threshold: 100) }
            let expected = floodFillBlobs(pixels.map { $0 >= 100 }, width: w, height: h)
            func key(_ b: (area: Int, minX: Int, minY: Int, maxX: Int, maxY: Int, sumX: Int, sumY: Int)) -> [Int] {
                [b.minY, b.minX, b.area, b.maxX, b.maxY, b.sumX, b.sumY]
            }
            let got = labeler.blobs.map { key((area: $0.area, minX: $0.minX, minY: $0.minY, maxX: $0.maxX, maxY: $0.maxY, sumX: $0.sumX, sumY: $0.sumY)) }
            #expect(got.sorted { $0.lexicographicallyPrecedes($1) } == expected.map(key).sorted { $0.lexicographicallyPrecedes($1) })
            // Every labelled pixel belongs to the blob whose stats it counted, and its maximum is right.
            let labels = labelImage(labeler)
            for b in labeler.blobs {
                var maxSeen: UInt16 = 0
                for y in b.minY...b.maxY { for x in b.minX...b.maxX where labels[y * w + x] == b.label {
                    maxSeen = max(maxSeen, pixels[y * w + x])
                } }
                #expect(maxSeen == b.maxCount && pixels[b.maxY_ * w + b.maxX_] == b.maxCount)
            }
        }
    }

    /// A window labels what lies inside it exactly as flood fill of the mask cut to the window
    /// does, and the next whole-frame labelling keeps nothing of it.
    @Test(arguments: [0.3, 0.6])
    func aWindowLabelsOnlyWhatIsInside(density: Double) {
        let w = 61, h = 47
        var state: UInt64 = UInt64(density * 977)
        var labeler = BlobLabeler(width: w, height: h)
        for round in 0..<10 {
            let pixels = randomFrame(count: w * h, density: density, state: &state)
            let window = (minX: 5 + round, minY: 3 + round, maxX: 40 + round, maxY: 30 + round)
            pixels.withUnsafeBufferPointer { labeler.label($0, threshold: 100, window: window) }
            var mask = [Bool](repeating: false, count: w * h)
            for y in window.minY...window.maxY { for x in window.minX...window.maxX { mask[y * w + x] = pixels[y * w + x] >= 100 } }
            let expected = floodFillBlobs(mask, width: w, height: h).map { [$0.minY, $0.minX, $0.area, $0.maxX, $0.maxY] }
            let got = labeler.blobs.map { [$0.minY, $0.minX, $0.area, $0.maxX, $0.maxY] }
            #expect(got.sorted { $0.lexicographicallyPrecedes($1) } == expected.sorted { $0.lexicographicallyPrecedes($1) })
            let labels = labelImage(labeler)
            for i in 0..<(w * h) where !mask[i] { #expect(labels[i] == 0) }
            // The whole frame afterwards: as flood fill of the whole mask, nothing of the window's left.
            pixels.withUnsafeBufferPointer { labeler.label($0, threshold: 100) }
            #expect(labelImage(labeler).map { $0 != 0 } == pixels.map { $0 >= 100 })
            #expect(labeler.blobs.count == floodFillBlobs(pixels.map { $0 >= 100 }, width: w, height: h).count)
        }
    }

    /// Runs of every length (1 to 60 pixels, so runs that fill, start in and end in the
    /// labeller's sixteen-pixel chunks), a row width that is no multiple of sixteen, and an
    /// excluded disc in the middle: the blobs are flood fill's of the mask without the disc,
    /// and each blob's maximum is where it first is in raster order.
    @Test func longRunsAndAnExcludedDiscMatchFloodFill() {
        let w = 97, h = 41
        let disc = (x: 50.0, y: 20.0, r: 7.5)
        var state: UInt64 = 2024
        func next(_ n: UInt64) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % n)
        }
        var labeler = BlobLabeler(width: w, height: h)
        for _ in 0..<30 {
            var pixels = [UInt16](repeating: 10, count: w * h)
            for y in 0..<h {
                var x = 0, warm = next(2) == 0
                while x < w {
                    let length = 1 + next(60)
                    for i in x..<min(w, x + length) where warm { pixels[y * w + i] = 200 + UInt16(next(40)) }
                    x += length
                    warm.toggle()
                }
            }
            pixels.withUnsafeBufferPointer { labeler.label($0, threshold: 100, exclude: disc) }
            var mask = pixels.map { $0 >= 100 }
            for y in 0..<h {
                let dy = Double(y) - disc.y
                guard disc.r * disc.r - dy * dy >= 0 else { continue }
                let s = (disc.r * disc.r - dy * dy).squareRoot()
                for x in Int((disc.x - s).rounded(.up))...Int((disc.x + s).rounded(.down)) { mask[y * w + x] = false }
            }
            let expected = floodFillBlobs(mask, width: w, height: h).map { [$0.minY, $0.minX, $0.area, $0.maxX, $0.maxY, $0.sumX, $0.sumY] }
            let got = labeler.blobs.map { [$0.minY, $0.minX, $0.area, $0.maxX, $0.maxY, $0.sumX, $0.sumY] }
            #expect(got.sorted { $0.lexicographicallyPrecedes($1) } == expected.sorted { $0.lexicographicallyPrecedes($1) })
            let labels = labelImage(labeler)
            for i in 0..<(w * h) { #expect((labels[i] != 0) == mask[i]) }
            for b in labeler.blobs {
                let first = (0..<(w * h)).first { labels[$0] == b.label && pixels[$0] == b.maxCount }
                let hottest = (0..<(w * h)).filter { labels[$0] == b.label }.map { pixels[$0] }.max()
                #expect(b.maxCount == hottest && first == b.maxY_ * w + b.maxX_)
            }
        }
    }

    @Test func diagonalPixelsAreOneBlob() {
        // 8-connectivity: a diagonal line and a "V" joined only at the bottom are single blobs.
        let w = 5
        let pixels: [UInt16] = [
            9, 0, 0, 0, 9,
            0, 9, 0, 9, 0,
            0, 0, 9, 0, 0,
            0, 0, 0, 0, 0,
            9, 0, 0, 0, 0,
        ]
        var labeler = BlobLabeler(width: w, height: 5)
        pixels.withUnsafeBufferPointer { labeler.label($0, threshold: 5) }
        #expect(labeler.blobs.map(\.area) == [5, 1])
    }

    @Test func medianByQuickselect() {
        var v: [UInt16] = [5, 1, 9, 3, 7, 3, 8]
        #expect(v.withUnsafeMutableBufferPointer { median($0) } == 5)
        var one: [UInt16] = [42]
        #expect(one.withUnsafeMutableBufferPointer { median($0) } == 42)
    }

    /// Counting and selecting give the same value: narrow and wide spreads, odd and even counts.
    @Test func medianByCountingEqualsQuickselect() {
        var state: UInt64 = 7
        var bins = [Int32](repeating: 0, count: 1024)
        for (n, spread) in [(1, 5), (2, 5), (451, 40), (800, 120), (333, 5000), (64, 1024), (65, 1023)] {
            var v = (0..<n).map { _ -> UInt16 in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return 30_000 &+ UInt16(truncatingIfNeeded: (state >> 33) % UInt64(spread))
            }
            var w = v
            let counted = bins.withUnsafeMutableBufferPointer { h in v.withUnsafeMutableBufferPointer { median($0, histogram: h) } }
            #expect(counted == w.withUnsafeMutableBufferPointer { median($0) }, "n \(n), spread \(spread)")
            #expect(counted == w.sorted()[n / 2])
        }
    }
}
