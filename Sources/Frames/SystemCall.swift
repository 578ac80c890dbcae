#if canImport(Glibc)
import Glibc
#endif

/// The one funnel for writing a buffer to a file descriptor: retries `EINTR` and short writes,
/// returns 0 or the errno of the failing `write(2)`.
public func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
    var done = 0
    while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        done += n
    }
    return 0
}

/// `strerror` as a Swift string.
public func errnoDescription(_ code: Int32) -> String { String(cString: strerror(code)) }

/// A file that could not be written: its path and why.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var code: Int32
    public var description: String { "\(path): \(reason)" }
    public init(path: String, reason: String, code: Int32) { self.path = path; self.reason = reason; self.code = code }
}

/// Writes `bytes` to `path` so that a reader, or a crash, finds the old file or the whole new
/// one, never part of it: a temporary file beside it, fsync, `beforeRename` (keep the old one,
/// say), rename over `path`, fsync of the directory. The one atomic file write (snapshots, the
/// calibration file).
public func replaceFile(atPath path: String, with bytes: [UInt8], mode: mode_t = 0o644, beforeRename: () throws -> Void = {}) throws {
    let slash = path.lastIndex(of: "/")
    let dir = slash.map { String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let temporary = (dir.isEmpty ? "" : dir + "/") + ".\(name).tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { let e = errno; throw FileWriteError(path: temporary, reason: "cannot create: \(errnoDescription(e))", code: e) }
    var code = bytes.withUnsafeBytes { writeFully(fd, $0) }
    if code == 0, fsync(fd) != 0 { code = errno }
    close(fd)
    if code != 0 {
        unlink(temporary)
        throw FileWriteError(path: temporary, reason: "cannot write: \(errnoDescription(code))", code: code)
    }
    do { try beforeRename() } catch { unlink(temporary); throw error }
    if rename(temporary, path) != 0 {
        let e = errno
        unlink(temporary)
        throw FileWriteError(path: path, reason: "cannot replace: \(errnoDescription(e))", code: e)
    }
    let dfd = open(dir.isEmpty ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 { fsync(dfd); close(dfd) }
}
