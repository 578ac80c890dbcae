import Foundation
import Testing

/// Where the real reference data (`../shared/refdata`, never copied into the project) is.
/// `CANTHUS_REFDATA` overrides; tests that need it record a plain message when it is absent.
public enum RefData {
    public static let root: String? = {
        if let env = ProcessInfo.processInfo.environment["CANTHUS_REFDATA"], !env.isEmpty {
            return FileManager.default.fileExists(atPath: env) ? env : nil
        }
        let candidate = URL(fileURLWithPath: Project.root).deletingLastPathComponent()
            .appendingPathComponent("shared/refdata").path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }()

    public static let absentMessage = "real reference data not found: set CANTHUS_REFDATA or place it at ../shared/refdata beside the project"

    public static func path(_ relative: String) -> String? { root.map { $0 + "/" + relative } }

    public static let kioskRecordings = ["20210325-091249", "20210326-110819", "20210326-091927", "20210322-141052"]
}

public enum Project {
    /// The package root (this file is Tests/TestSupport/RefData.swift).
    public static let root: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// A fresh temporary directory for one test, inside this test process's own directory,
    /// which is removed when the process exits (a crowd evaluation writes hundreds of MB;
    /// runs must not fill the disk). `CANTHUS_KEEP_TEST_FILES=1` keeps it to look at.
    public static func temporaryDirectory() -> String {
        // Short names: a Unix socket's path inside must stay under 108 bytes.
        let dir = processDirectory + "/" + UUID().uuidString.prefix(13)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private static let processDirectory: String = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("canthus-test-\(UUID().uuidString.prefix(13))").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["CANTHUS_KEEP_TEST_FILES"] == nil {
            atexit { try? FileManager.default.removeItem(atPath: Project.processDirectory) }
        }
        return dir
    }()
}

/// SHA-256 (FIPS 180-4), for checking decoded frames against published hashes.
public func sha256Hex(_ message: [UInt8]) -> String {
    let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]
    var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    var data = message
    let bitLength = UInt64(message.count) * 8
    data.append(0x80)
    while data.count % 64 != 56 { data.append(0) }
    for i in (0..<8).reversed() { data.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))) }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var w = [UInt32](repeating: 0, count: 64)
    for chunk in stride(from: 0, to: data.count, by: 64) {
        for i in 0..<16 {
            w[i] = UInt32(data[chunk + 4 * i]) << 24 | UInt32(data[chunk + 4 * i + 1]) << 16
                | UInt32(data[chunk + 4 * i + 2]) << 8 | UInt32(data[chunk + 4 * i + 3])
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for i in 0..<64 {
            let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
            let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }
    return h.map { String(format: "%08x", $0) }.joined()
}

public func sha256Hex(_ pixels: [UInt16]) -> String {
    var bytes = [UInt8]()
    bytes.reserveCapacity(pixels.count * 2)
    for p in pixels { bytes.append(UInt8(p & 0xff)); bytes.append(UInt8(p >> 8)) }
    return sha256Hex(bytes)
}

/// Runs the built `canthus` executable (it sits beside the test bundle in the build folder).
public enum CLI {
    public static let binary: String = {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        return dir + "/canthus"
    }()

    /// The release build of the same checkout (`make release`; `make test` builds it first).
    public static let releaseBinary = binary.replacingOccurrences(of: "/debug/canthus", with: "/release/canthus")

    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs canthus with `arguments` in `directory`. Standard error goes to a file, so the one
    /// pipe read here can never block the child.
    public static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil,
                           executable: String = binary) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { p.environment = environment }
        let errPath = Project.temporaryDirectory() + "/stderr"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let errFile = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let out = Pipe()
        p.standardOutput = out
        p.standardError = errFile
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try errFile.close()
        let errData = try Data(contentsOf: URL(fileURLWithPath: errPath))
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A value shared with other threads (a consumer's, a lane's), behind a lock.
public final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    public init(_ v: T) { self.v = v }
    public var value: T { lock.lock(); defer { lock.unlock() }; return v }
    public func mutate(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
}

extension Trait where Self == ConditionTrait {
    /// A test that reads the real reference data is skipped, with the reason, where it is
    /// absent (a fresh clone with nothing beside it), so `make test` passes there and says so.
    public static var needsRefData: Self { .enabled(if: RefData.root != nil, Comment(rawValue: RefData.absentMessage)) }
}
