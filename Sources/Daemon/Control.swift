import Capture
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's control socket: a Unix stream socket in the runtime directory, mode 0660 in a
/// 0750 directory (owner and group only). A client sends one line — `status`, `ack EVENT_ID`,
/// `reload` — and reads one JSON line back: `{"ok":true,…}` or `{"ok":false,"error":"…"}`.
/// `canthus status`, `ack` and `reload` speak it; the alarms and dashboard issues will too.
public enum ControlSocket {
    /// Where the socket is when the configuration does not say (`control.socket`):
    /// systemd's `$RUNTIME_DIRECTORY`, else `$XDG_RUNTIME_DIR/canthus`, else `/run/canthus` for
    /// root, else `/tmp/canthus-UID`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let d = environment["RUNTIME_DIRECTORY"], !d.isEmpty { return d.split(separator: ":")[0] + "/canthus.sock" }
        if let d = environment["XDG_RUNTIME_DIR"], !d.isEmpty { return d + "/canthus/canthus.sock" }
        return getuid() == 0 ? "/run/canthus/canthus.sock" : "/tmp/canthus-\(getuid())/canthus.sock"
    }

    static func address(_ path: String) throws -> UnixSocketAddress {
        guard let a = UnixSocketAddress(path) else {
            throw ControlError("\(path): a socket path must be shorter than \(UnixSocketAddress.capacity) bytes")
        }
        return a
    }

    /// Sends `command` to the daemon at `path` and returns its one-line JSON answer.
    public static func send(_ command: String, to path: String, timeoutS: Int = 10) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ControlError("cannot make a socket: \(errnoDescription(errno))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutS, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = try address(path).with { connect(fd, $0, $1) }
        if rc != 0 {
            let e = errno
            if e == ENOENT || e == ECONNREFUSED {
                throw ControlError("no canthus daemon is running with its control socket at \(path) (\(errnoDescription(e))); start it with `canthus run` or give --socket")
            }
            throw ControlError("\(path): cannot connect: \(errnoDescription(e))")
        }
        let line = Array((command + "\n").utf8)
        guard line.withUnsafeBytes({ writeFully(fd, $0) }) == 0 else { throw ControlError("\(path): cannot send: \(errnoDescription(errno))") }
        var answer = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw ControlError("\(path): no answer: \(errnoDescription(errno))") }
            if n == 0 { break }
            answer += buf[0..<n]
            if answer.last == UInt8(ascii: "\n") { break }
        }
        return String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}

public struct ControlError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Who sent a control command: the peer process's credentials as the kernel gives them
/// (SO_PEERCRED), not as the client claims.
public struct ControlPeer: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    /// The user's name, else `uid N`.
    public var user: String

    public init(pid: Int32, uid: UInt32) {
        self.pid = pid
        self.uid = uid
        var pw = passwd(), result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 1024)
        if getpwuid_r(uid, &pw, &buf, buf.count, &result) == 0, result != nil, let name = pw.pw_name { user = String(cString: name) }
        else { user = "uid \(uid)" }
    }

    /// The credentials of the process at the other end of the Unix socket `fd`.
    static func of(_ fd: Int32) -> ControlPeer? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } (Swift's Glibc does not export it).
        var cred: (Int32, UInt32, UInt32) = (0, 0, 0)
        var len = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 else { return nil }
        return ControlPeer(pid: cred.0, uid: cred.1)
    }
}

/// Serves the control socket on its own thread: one command per connection, answered by
/// `handle` with who sent it (which must be thread-safe).
public final class ControlServer: @unchecked Sendable {
    public let path: String
    private var fd: Int32 = -1
    private var thread: Thread?
    private let stopped = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopping = false

    public init(path: String, handle: @escaping @Sendable (String, ControlPeer?) -> String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750]) } catch {
            throw ControlError("\(dir): cannot create the runtime directory: \(error.localizedDescription)")
        }
        // A socket left by a daemon that died is removed; a live one is not taken over.
        if FileManager.default.fileExists(atPath: path) {
            if (try? ControlSocket.send("ping", to: path, timeoutS: 1)) != nil {
                throw ControlError("\(path): another canthus daemon is running (its control socket answers)")
            }
            unlink(path)
        }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ControlError("cannot make a socket: \(errnoDescription(errno))") }
        let address = try ControlSocket.address(path)
        let old = umask(0o117)
        let rc = address.with { bind(fd, $0, $1) }
        umask(old)
        guard rc == 0, listen(fd, 8) == 0 else {
            let e = errno
            close(fd)
            throw ControlError("\(path): cannot listen: \(errnoDescription(e))")
        }
        chmod(path, 0o660)
        let listening = fd
        let t = Thread { [self] in
            while true {
                var p = pollfd(fd: listening, events: Int16(POLLIN), revents: 0)
                let ready = poll(&p, 1, 200)
                lock.lock(); let stop = stopping; lock.unlock()
                if stop { break }
                guard ready > 0 else { continue }
                let client = accept(listening, nil, nil)
                guard client >= 0 else { continue }
                var tv = timeval(tv_sec: 2, tv_usec: 0)
                setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var line = [UInt8](), buf = [UInt8](repeating: 0, count: 512)
                while line.count < 4096 {
                    let n = read(client, &buf, buf.count)
                    if n <= 0 { break }
                    line += buf[0..<n]
                    if line.contains(UInt8(ascii: "\n")) { break }
                }
                let command = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                let answer = Array((handle(command, ControlPeer.of(client)) + "\n").utf8)
                _ = answer.withUnsafeBytes { writeFully(client, $0) }
                close(client)
            }
            stopped.signal()
        }
        t.name = "canthus-control"
        thread = t
        t.start()
    }

    public func stop() {
        lock.lock()
        let already = stopping
        stopping = true
        lock.unlock()
        guard !already else { return }
        stopped.wait()
        close(fd)
        unlink(path)
    }
}
