import Foundation
import Frames

/// What every live camera shares (`V4L2Source`, `FlirOneSource`): its capture thread's start and
/// stop, and the two-slot exchange that hands the newest frame to the consumer — a frame the
/// consumer missed is counted (`handoffDrops`), never queued. A frame's storage is swapped, not
/// copied, between the capture thread, the exchange and the consumer, so a steady stream
/// allocates nothing. The counters live here, under the exchange's lock.
public final class FrameExchange: @unchecked Sendable {
    private let lock = NSCondition()
    private var pending: Frame
    private var hasPending = false
    private var stopping = false
    private var thread: Thread?
    private var _stats = CaptureStats()

    public init(width: Int, height: Int) { pending = Frame(width: width, height: height) }

    public var stats: CaptureStats { lock.lock(); defer { lock.unlock() }; return _stats }

    /// Starts `loop` on a thread named `name` (once; again after a stop).
    public func start(name: String, loop: @escaping @Sendable () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard thread == nil else { return }
        stopping = false
        let t = Thread { [self] in
            loop()
            lock.lock()
            thread = nil
            lock.broadcast()
            lock.unlock()
        }
        t.name = name
        thread = t
        t.start()
    }

    /// Asks the capture loop to stop and waits until it has returned.
    public func stop() {
        lock.lock()
        stopping = true
        lock.broadcast()
        while thread != nil { lock.wait() }
        lock.unlock()
    }

    public var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    /// Sleeps up to `seconds`, returning early (true) when asked to stop.
    public func sleepUnlessStopped(_ seconds: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !stopping { if !lock.wait(until: deadline) { break } }
        return stopping
    }

    public func update(_ change: (inout CaptureStats) -> Void) {
        lock.lock()
        change(&_stats)
        lock.unlock()
    }

    /// The capture thread's new frame: swapped into the exchange (`work` gets the storage to fill
    /// next), counted with the driver's `gap` of lost frames.
    public func hand(_ work: inout Frame, gap: Int = 0) {
        lock.lock()
        swap(&work, &pending)
        if hasPending { _stats.handoffDrops += 1 }
        hasPending = true
        _stats.frames += 1
        _stats.sequenceGaps += gap
        lock.signal()
        lock.unlock()
    }

    /// The newest frame into `frame`: true; false once stopped; nil when none came within
    /// `timeoutS` (nil: wait without limit).
    public func next(into frame: inout Frame, timeoutS: Double?) -> Bool? {
        lock.lock()
        defer { lock.unlock() }
        let deadline = timeoutS.map { Date(timeIntervalSinceNow: $0) }
        while !hasPending && !stopping {
            if let deadline { if !lock.wait(until: deadline) { return nil } } else { lock.wait() }
        }
        if stopping && !hasPending { return false }
        swap(&pending, &frame)
        hasPending = false
        return true
    }
}
