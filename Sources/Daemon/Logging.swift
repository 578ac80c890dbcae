import Foundation
import Logging

/// The daemon's log: swift-log, one label per subsystem (`canthus.lane.NAME`, `canthus.reload`,
/// `canthus.control`, …), to standard error (the journal under systemd). The same message
/// from the same subsystem within `window` seconds is written once; when it comes again after
/// the window, the line says how many were held back — a camera that fails every frame does
/// not flood the journal.
public struct RateLimitedLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }
    private var inner: any LogHandler
    private let label: String
    private let limiter: RepeatLimiter

    public init(label: String, window: Double = 10, inner: any LogHandler, limiter: RepeatLimiter = .shared) {
        self.label = label
        self.inner = inner
        self.limiter = limiter
        limiter.window = window
    }

    public func log(event: LogEvent) {
        guard let held = limiter.admit(label + "\u{0}" + event.message.description) else { return }
        var e = event
        if held > 0 { e.message = "\(event.message) (and \(held) more like it held back)" }
        inner.log(event: e)
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        log(event: LogEvent(level: level, message: message, metadata: metadata, source: source, file: file, function: function, line: line))
    }

    /// Standard error, rate-limited: what `canthus run` bootstraps.
    public static func bootstrap() {
        LoggingSystem.bootstrap { label in
            RateLimitedLogHandler(label: label, inner: StreamLogHandler.standardError(label: label))
        }
    }
}

/// Which messages were written when, and how many repeats were held back since.
public final class RepeatLimiter: @unchecked Sendable {
    public static let shared = RepeatLimiter()
    private let lock = NSLock()
    private var seen: [String: (at: Double, held: Int)] = [:]
    var window = 10.0
    private let now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) { self.now = now }

    /// nil: hold this one back; else how many like it were held back since it was last written.
    public func admit(_ key: String) -> Int? {
        lock.lock(); defer { lock.unlock() }
        let t = now()
        if let s = seen[key], t - s.at < window {
            seen[key] = (s.at, s.held + 1)
            return nil
        }
        let held = seen[key]?.held ?? 0
        seen[key] = (t, 0)
        if seen.count > 4096 { seen = seen.filter { t - $0.value.at < window } }
        return held
    }
}
