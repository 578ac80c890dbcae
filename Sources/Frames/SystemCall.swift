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
