import Capture
import Testing

/// The FLIR ONE frame parser: frames as the camera sends them come out whole whatever the
/// transfers' sizes; garbage, cut frames and lying headers are skipped and counted; a seeded
/// mutation run of a million inputs finds no crash, hang or over-read (arrays are bounds-checked
/// in every build), and after each the next good frame comes out exactly.
@Suite struct FlirOneStreamTests {
    /// xorshift64*: the same seed, the same inputs.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    static func status(_ shutter: String) -> [UInt8] {
        Array(#"{"shutterState":"\#(shutter)","shutterTemperature":304.5,"usbNotifiedTimestamp":1.0,"batteryPercentage":80}"#.utf8)
    }

    static func jpeg(_ r: inout Random, _ n: Int) -> [UInt8] { [0xFF, 0xD8] + r.bytes(n) + [0xFF, 0xD9] }

    /// Feeds `bytes` in transfers of random sizes; what came out.
    static func feed(_ p: inout FlirOneReassembler, _ bytes: [UInt8], _ r: inout Random, maxChunk: Int = 16384)
        -> [(raw: [UInt16], jpeg: [UInt8], shutter: FlirOneShutter)] {
        var out: [(raw: [UInt16], jpeg: [UInt8], shutter: FlirOneShutter)] = []
        var i = 0
        while i < bytes.count {
            let n = min(bytes.count - i, 1 + r.below(maxChunk))
            p.append(Array(bytes[i..<(i + n)])) { v in
                var raw: [UInt16] = []
                v.copyThermal(into: &raw)
                out.append((raw, Array(v.jpeg), v.shutter))
            }
            i += n
        }
        return out
    }

    @Test func framesComeOutWholeWhateverTheTransfers() {
        var r = Random(state: 0x5EED)
        var p = FlirOneReassembler()
        var sent: [(raw: [UInt16], jpeg: [UInt8], shutter: FlirOneShutter)] = []
        var stream: [UInt8] = []
        for i in 0..<6 {
            let raw = (0..<(160 * 120)).map { _ in UInt16(truncatingIfNeeded: r.next()) }
            let jpeg = Self.jpeg(&r, 3000 + r.below(20000))
            let shutter = i == 3 ? "FFC" : "ON"
            sent.append((raw, jpeg, i == 3 ? .closedForCorrection : .open))
            stream += FlirOneReassembler.frame(raw: raw, jpeg: jpeg, status: Self.status(shutter))
        }
        let got = Self.feed(&p, stream, &r)
        #expect(got.count == 6)
        for (a, b) in zip(got, sent) { #expect(a.raw == b.raw && a.jpeg == b.jpeg && a.shutter == b.shutter) }
        #expect(p.frames == 6 && p.cutShort == 0 && p.skippedBytes == 0 && p.badJPEG == 0)
    }

    @Test func garbageACutFrameAndALyingHeaderAreSkippedAndCounted() {
        var r = Random(state: 7)
        var p = FlirOneReassembler()
        let raw = (0..<(160 * 120)).map { UInt16($0 % 65_536) }
        let good = FlirOneReassembler.frame(raw: raw, jpeg: Self.jpeg(&r, 100), status: Self.status("ON"))
        var n = 0
        p.append(r.bytes(999)) { _ in n += 1 }                              // garbage
        p.append(Array(good.prefix(5000))) { _ in n += 1 }                  // cut short:
        p.append(good) { _ in n += 1 }                                      // the next transfer begins a frame
        var liar = good
        liar[12] ^= 0x01                                                    // thermal size off by one: not a header
        p.append(liar + good) { _ in n += 1 }
        #expect(n == 2 && p.frames == 2, "\(n)")
        #expect(p.cutShort == 1 && p.skippedBytes >= 999 + liar.count)
    }

    /// A million seeded mutations of short streams (a 4×2 thermal part: the same code as 160×120,
    /// small enough for a million in seconds), fed in random transfers; after each, a good
    /// frame in a transfer of its own must come out exactly.
    @Test func aMillionMutatedStreamsNeverCrashAndTheNextGoodFrameComesOut() {
        let g = FlirOneGeometry(width: 4, height: 2)
        var r = Random(state: 0xF1_1201)
        var p = FlirOneReassembler(geometry: g)
        let goodRaw: [UInt16] = [1, 2, 3, 4, 5, 6, 7, 0xBEEF]
        let good = FlirOneReassembler.frame(geometry: g, raw: goodRaw, jpeg: [0xFF, 0xD8, 9, 0xFF, 0xD9], status: Self.status("ON"))
        var recovered = 0
        let inputs = 1_000_000
        for _ in 0..<inputs {
            var s: [UInt8] = []
            for _ in 0..<(1 + r.below(3)) {
                let raw = (0..<8).map { _ in UInt16(truncatingIfNeeded: r.next()) }
                s += FlirOneReassembler.frame(geometry: g, raw: raw, jpeg: Self.jpeg(&r, r.below(8)), status: Self.status(r.below(2) == 0 ? "ON" : "FFC"))
            }
            for _ in 0..<(1 + r.below(4)) {
                guard !s.isEmpty else { break }
                let at = r.below(s.count)
                switch r.below(6) {
                case 0: s[at] ^= UInt8(1 << r.below(8))                                  // a bit flipped
                case 1: s.insert(contentsOf: r.bytes(1 + r.below(16)), at: at)            // bytes inserted
                case 2: s.removeSubrange(at..<min(s.count, at + 1 + r.below(40)))          // bytes lost
                case 3: s.removeSubrange(at..<s.count)                                    // cut
                case 4: for k in 0..<4 where at + k < s.count { s[at + k] = UInt8(r.below(256)) }   // a length overwritten
                default: s.insert(contentsOf: FlirOneReassembler.magic, at: at)            // a false start
                }
            }
            var i = 0
            while i < s.count {
                let n = min(s.count - i, 1 + r.below(64))
                s.withUnsafeBytes { p.append(UnsafeRawBufferPointer(rebasing: $0[i..<(i + n)])) { _ in } }
                i += n
            }
            var last: [UInt16] = []
            var jpeg: [UInt8] = []
            good.withUnsafeBytes { p.append($0) { v in v.copyThermal(into: &last); jpeg = Array(v.jpeg) } }
            if last == goodRaw && jpeg == [0xFF, 0xD8, 9, 0xFF, 0xD9] { recovered += 1 }
        }
        #expect(recovered == inputs, "the good frame after \(inputs - recovered) inputs did not come out")
        print("FLIR ONE parser fuzz: \(inputs) mutated streams; frames \(p.frames), cut short \(p.cutShort), bytes skipped \(p.skippedBytes), bad JPEG \(p.badJPEG); the next good frame recovered after every one")
    }
}
