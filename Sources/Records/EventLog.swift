import Frames
import Foundation
import Screening
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's event log: the event stream as NDJSON, appended one whole line per `write(2)`.
/// Decisions and status changes are fsynced at once (an alarm must survive a power cut); other
/// lines are synced at least every `syncEvery` events and on close. A crash can lose at most
/// the unsynced tail, never corrupt an earlier line; a torn last line is skipped by readers.
public final class EventLog {
    public let path: String
    public let syncEvery: Int
    private var fd: Int32
    private var unsynced = 0
    public private(set) var written = 0

    public init(path: String, syncEvery: Int = 32) throws {
        self.path = path
        self.syncEvery = syncEvery
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw RecordsError(path: dir, message: "cannot create directory: \(error.localizedDescription)")
            }
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw RecordsError(path: path, message: "cannot open for appending: \(String(cString: strerror(errno)))") }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func append(_ event: Event) throws {
        let line = Array((event.json + "\n").utf8)
        let code = line.withUnsafeBytes { writeFully(fd, $0) }
        if code != 0 { throw RecordsError(path: path, message: "write failed: \(errnoDescription(code))") }
        written += 1
        unsynced += 1
        switch event.body {
        case .decision, .status: try sync()
        default: if unsynced >= syncEvery { try sync() }
        }
    }

    public func sync() throws {
        guard unsynced > 0 else { return }
        if fsync(fd) != 0 { throw RecordsError(path: path, message: "fsync failed: \(String(cString: strerror(errno)))") }
        unsynced = 0
    }

    public func close() throws {
        guard fd >= 0 else { return }
        try sync()
        Glibc.close(fd)
        fd = -1
    }

    /// Reads an event log back as JSON objects, skipping a torn last line. Returns the objects
    /// and the number of lines that could not be parsed.
    public static func read(path: String) throws -> (events: [[String: Any]], damaged: Int) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RecordsError(path: path, message: "cannot read: \(error.localizedDescription)")
        }
        var events: [[String: Any]] = []
        var damaged = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            if let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] { events.append(obj) } else { damaged += 1 }
        }
        return (events, damaged)
    }
}

public struct RecordsError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// People counted per interval, from `count` events (the first version of the headcount
/// rollups; the store issue persists them).
public struct HeadcountRollup: Sendable, Equatable {
    public var intervalS: Double
    public private(set) var buckets: [Int: (in: Int, out: Int, pass: Int)] = [:]

    public init(intervalS: Double) { self.intervalS = intervalS }

    public mutating func add(_ event: Event) {
        guard case .count(_, let direction) = event.body else { return }
        let k = Int((event.timeS / intervalS).rounded(.down))
        var b = buckets[k] ?? (0, 0, 0)
        switch direction {
        case .in: b.in += 1
        case .out: b.out += 1
        case .pass: b.pass += 1
        }
        buckets[k] = b
    }

    public var total: Int { buckets.values.reduce(0) { $0 + $1.in + $1.out + $1.pass } }

    public static func == (a: HeadcountRollup, b: HeadcountRollup) -> Bool {
        a.intervalS == b.intervalS && a.buckets.keys.sorted() == b.buckets.keys.sorted()
            && a.buckets.keys.allSatisfy { a.buckets[$0]! == b.buckets[$0]! }
    }
}
