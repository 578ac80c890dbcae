// The hot path, stage by stage and whole, on 640×512 frames a simulated 640 core produced
// (BENCH_RECORDING, written by Benchmarks/run.sh; baseline.py reads the same file).
import Benchmark
import Capture
import Foundation
import Radiometry
import Screening

let recordingPath = ProcessInfo.processInfo.environment["BENCH_RECORDING"] ?? "bench-640.canthus"

/// The frames, read once.
nonisolated(unsafe) var cachedFrames: (RecordingHeader, [Frame])?

func frames() -> (RecordingHeader, [Frame]) {
    if let cachedFrames { return cachedFrames }
    guard let reader = try? RecordingReader(path: recordingPath) else {
        fatalError("benchmark recording \(recordingPath) is missing: run Benchmarks/run.sh (make bench)")
    }
    var out: [Frame] = []
    var f = Frame.empty
    for i in 0..<min(reader.frameCount, 60) {
        try! reader.read(frame: i, into: &f)
        out.append(f)
    }
    cachedFrames = (reader.header, out)
    return cachedFrames!
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .microseconds,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000)

    Benchmark("convert 640x512 counts to C") { benchmark in
        let (header, fs) = frames()
        let table = CountTable(model: header.radiometry)
        var out = [Float](repeating: 0, count: fs[0].pixels.count)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            fs[i % fs.count].pixels.withUnsafeBufferPointer { px in
                out.withUnsafeMutableBufferPointer { table.convert(px, into: $0) }
            }
            blackHole(out[i % out.count])
        }
    }

    Benchmark("label blobs 640x512") { benchmark in
        let (header, fs) = frames()
        let table = CountTable(model: header.radiometry)
        let threshold = table.firstCount(atLeast: 30.0)
        var labeler = BlobLabeler(width: fs[0].width, height: fs[0].height)
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            fs[i % fs.count].pixels.withUnsafeBufferPointer { labeler.label($0, threshold: threshold) }
            blackHole(labeler.blobs.count)
        }
    }

    Benchmark("screen 640x512 frame (whole IR stage)") { benchmark in
        let (header, fs) = frames()
        let screener = Screener(header: header, config: ScreeningConfig(), sourceName: "bench")
        // Warm up: tracks and buffers reach their steady state.
        for (i, f) in fs.enumerated() { screener.process(f, index: i) { _ in } }
        var index = fs.count
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            // Replays the same frames with increasing time, as a live camera would deliver them.
            var f = fs[index % fs.count]
            f.timestampNs = UInt64(index) * 33_333_333
            screener.process(f, index: index) { blackHole($0) }
            index += 1
        }
    }

    Benchmark("decode recorded frame 640x512") { benchmark in
        guard let reader = try? RecordingReader(path: recordingPath) else { fatalError("missing \(recordingPath)") }
        var f = Frame.empty
        benchmark.startMeasurement()
        for i in benchmark.scaledIterations {
            try reader.read(frame: i % reader.frameCount, into: &f)
            blackHole(f.pixels[0])
        }
    }
}
