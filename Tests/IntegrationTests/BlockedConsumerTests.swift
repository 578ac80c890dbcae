import Foundation
import Testing
import TestSupport

/// A consumer that blocks costs the frame loop no frame and no allocation per frame: the event
/// log is a FIFO whose buffer the test has filled, so the daemon's first write blocks for 10 s;
/// the lane screens every frame meanwhile. Allocations are counted as the capture tests count
/// them (LD_PRELOAD malloc counter, vm/malloc_count.c), for a short and a long recording of an
/// empty 640×512 scene: the difference per extra frame must stay well below one.
@Suite struct BlockedConsumerTests {
    struct Run { var frames: Int; var allocations: Int; var screenedWhileBlocked: Int }

    func run(seconds: Int, dir: String, counter: String) throws -> Run {
        let recording = dir + "/empty-\(seconds).canthus", scenario = dir + "/empty-\(seconds).yaml"
        try "camera: core640\nduration_s: \(seconds)\npeople: []\n".write(toFile: scenario, atomically: true, encoding: .utf8)
        let sim = try CLI.run(["simulate", "--scenario", scenario, "--out", recording], executable: CLI.releaseBinary)
        try #require(sim.status == 0, "\(sim.stderr)")
        let frames = try #require(sim.stdout.split(separator: " ").firstIndex(of: "(\(seconds * 30)").map { _ in seconds * 30 })
        let records = dir + "/var-\(seconds)", socket = dir + "/run-\(seconds)/canthus.sock"
        try FileManager.default.createDirectory(atPath: records, withIntermediateDirectories: true)
        let fifo = records + "/events.ndjson"
        try #require(mkfifo(fifo, 0o644) == 0)
        // Hold the read end, fill the pipe: the daemon's first event write blocks.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        let filler = open(fifo, O_WRONLY | O_NONBLOCK)
        try #require(reader >= 0 && filler >= 0)
        let chunk = [UInt8](repeating: UInt8(ascii: "\n"), count: 4096)
        while chunk.withUnsafeBytes({ write(filler, $0.baseAddress, $0.count) }) > 0 {}
        close(filler)
        let config = dir + "/blocked-\(seconds).yaml"
        try "source:\n  replay: [\(recording)]\nrecords:\n  directory: \(records)\ncontrol:\n  socket: \(socket)\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let p = Process()
        // The shipped (release) build, as the capture tests count it: a debug build allocates
        // in code the optimiser removes.
        p.executableURL = URL(fileURLWithPath: CLI.releaseBinary)
        p.arguments = ["run", "--config", config, "--no-view"]
        var env = ProcessInfo.processInfo.environment
        env["LD_PRELOAD"] = counter
        p.environment = env
        let errPath = dir + "/err-\(seconds)"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // The log's consumer is blocked for 10 s; then one status query (the same in both runs).
        Thread.sleep(forTimeInterval: 10)
        let status = try CLI.run(["status", "--socket", socket, "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let screened = ((o?["frames"] as? [String: Int]) ?? [:])["main"] ?? -1
        // Unblock: drain the FIFO until the daemon has exited.
        var buf = [UInt8](repeating: 0, count: 65536)
        while p.isRunning { _ = read(reader, &buf, buf.count); usleep(10_000) }
        close(reader)
        let err = try String(contentsOfFile: errPath, encoding: .utf8)
        try #require(p.terminationStatus == 0, "\(err)")
        let allocations = try #require(err.split(separator: "\n").last { $0.hasPrefix("malloc-count: ") }.flatMap { Int($0.dropFirst(14)) }, "\(err)")
        return Run(frames: frames, allocations: allocations, screenedWhileBlocked: screened)
    }

    @Test func aBlockedConsumerCostsNoFrameAndNoAllocationPerFrame() throws {
        try #require(FileManager.default.fileExists(atPath: CLI.releaseBinary), "no release build at \(CLI.releaseBinary): run `make release` (make test does)")
        let dir = Project.temporaryDirectory()
        let counter = dir + "/malloc_count.so"
        let cc = try CLI.run(["-shared", "-fPIC", "-O2", "-o", counter, Project.path("vm/malloc_count.c"), "-ldl"], executable: "/usr/bin/cc")
        try #require(cc.status == 0, "cannot build the malloc counter: \(cc.stderr)")
        let short = try run(seconds: 4, dir: dir, counter: counter)
        let long = try run(seconds: 16, dir: dir, counter: counter)
        // Every frame screened while the event log's consumer was blocked.
        #expect(short.screenedWhileBlocked == short.frames && long.screenedWhileBlocked == long.frames,
                "screened \(short.screenedWhileBlocked)/\(short.frames) and \(long.screenedWhileBlocked)/\(long.frames)")
        let perFrame = Double(long.allocations - short.allocations) / Double(long.frames - short.frames)
        #expect(perFrame < 0.25, "\(long.allocations - short.allocations) more allocations for \(long.frames - short.frames) more frames (\(short.allocations) → \(long.allocations))")
        print("blocked consumer: \(short.frames) / \(long.frames) frames, \(short.allocations) / \(long.allocations) allocations: \(perFrame) per frame")
    }
}
