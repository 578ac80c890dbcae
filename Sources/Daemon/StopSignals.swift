import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT/SIGTERM while `StopSignals` is armed; loops check it between frames.
nonisolated(unsafe) private var stopRequested: sig_atomic_t = 0

/// Set by SIGHUP while `ReloadSignal` is armed.
nonisolated(unsafe) private var reloadRequested: sig_atomic_t = 0

/// SIGHUP asks the daemon to re-read its configuration (`canthus reload` does the same).
public enum ReloadSignal {
    public static func arm() -> () -> Void {
        reloadRequested = 0
        signal(SIGHUP) { _ in reloadRequested = 1 }
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        return { signal(SIGHUP, SIG_DFL) }
    }

    /// Whether SIGHUP came since the last call (and clears it).
    public static func take() -> Bool {
        guard reloadRequested != 0 else { return false }
        reloadRequested = 0
        return true
    }
}

/// SIGINT and SIGTERM ask long-running commands (`run`, `record`) to finish cleanly.
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
