// swift-tools-version:6.1
//
// canthus benchmarks (ordo-one/benchmark: time and allocations). Run with `make bench`, which
// also runs the numpy + OpenCV baseline on the same frames and prints the ratios.
import PackageDescription

let package = Package(
    name: "canthus-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "canthus", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CanthusBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CanthusCore", package: "canthus"),
            ],
            path: "Benchmarks/CanthusBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
