import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM while `StopSignals` is armed; loops check it between frames.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

/// SIGINT and SIGTERM ask `canthus record` to finish cleanly (`run` is a service group that
/// shuts down on them itself).
public enum StopSignals {
    /// Installs the handlers (and unblocks the signals, which a parent may have left blocked in
    /// the mask we inherited). Returns a function that restores the defaults.
    public static func arm() -> () -> Void {
        stopRequested = 0
        signal(SIGINT) { _ in stopRequested = 1 }
        signal(SIGTERM) { _ in stopRequested = 1 }
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        return { signal(SIGINT, SIG_DFL); signal(SIGTERM, SIG_DFL) }
    }

    public static var requested: Bool { stopRequested != 0 }
}
