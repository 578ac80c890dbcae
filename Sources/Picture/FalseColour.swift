/// The false-colour palette of every picture canthus draws (terminal view, `convert --image`):
/// iron-like, black → purple → red → orange → yellow → white.
public enum FalseColour {
    static let stops: [(Double, Double, Double)] = [(0, 0, 0), (80, 0, 140), (200, 30, 60), (250, 130, 0), (255, 230, 60), (255, 255, 255)]

    /// The colour of `t` on a scale from `lo` to `hi`.
    public static func rgb(_ t: Double, lo: Double, hi: Double) -> (UInt8, UInt8, UInt8) {
        guard t.isFinite else { return (0, 0, 0) }
        let x = max(0, min(1, (t - lo) / max(1e-9, hi - lo)))
        let f = x * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(f))
        let u = f - Double(i)
        let a = stops[i], b = stops[i + 1]
        return (UInt8(a.0 + (b.0 - a.0) * u), UInt8(a.1 + (b.1 - a.1) * u), UInt8(a.2 + (b.2 - a.2) * u))
    }
}
