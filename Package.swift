// swift-tools-version:6.1
//
// canthus — embedded fever-screening daemon. Module map and data flow: docs/architecture.md.
// System libraries are found through pkg-config; `make deps` installs their Debian packages.
import PackageDescription

let package = Package(
    name: "canthus",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "canthus", targets: ["canthus"]),
        .library(name: "CanthusCore", targets: ["Frames", "Capture", "Radiometry", "Screening", "Records", "Picture", "Simulation", "Daemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The webhook sink: HTTP(S) client, TLS with the system's CA store (or a CA file).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // System libraries (apt providers are what `make deps` installs).
        .systemLibrary(name: "CV4L2", pkgConfig: "libv4l2", providers: [.apt(["libv4l-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        // The kernel's GPIO character device (the gate's lamp, relay and button): libgpiod 1.6.
        .systemLibrary(name: "CGPIO", pkgConfig: "libgpiod", providers: [.apt(["libgpiod-dev"])]),
        // USB cameras without a V4L2 driver (the FLIR ONE): libusb-1.0, linked only into what uses it.
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        .target(name: "CFlirOne", dependencies: ["CLibUSB"]),

        // C shim: only what Swift cannot do (ioctl macros, variadic calls, setjmp for libjpeg/libpng).
        .target(name: "CCapture", dependencies: ["CV4L2", "CJPEG", "CZlib", "CPNG", "CTIFF"]),

        .target(name: "Radiometry"),
        // Frames, headers and the source protocol: what screening and records need, no C library.
        .target(name: "Frames", dependencies: ["Radiometry"]),
        .target(name: "Capture", dependencies: ["CCapture", "Frames", "Radiometry"]),
        .target(name: "Screening", dependencies: ["Frames", "Radiometry"]),
        // The store: SQLite (Debian's libsqlite3) through GRDB.
        .target(name: "Records", dependencies: ["Frames", "Radiometry", "Screening", .product(name: "GRDB", package: "GRDB.swift"),
                                         .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // The FLIR ONE's USB source: the only module that links libusb.
        .target(name: "USBCapture", dependencies: ["Capture", "Frames", "Radiometry", "CFlirOne"]),
        .target(name: "Picture", dependencies: ["Capture", "CCapture"]),
        .target(name: "Simulation", dependencies: ["Capture", "Radiometry", "Screening", .product(name: "Yams", package: "Yams")]),
        .target(name: "Daemon", dependencies: [
            "Capture", "USBCapture", "Radiometry", "Screening", "Records", "Picture", "CGPIO",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .executableTarget(name: "canthus", dependencies: [
            "Daemon", "Simulation", "Capture", "USBCapture", "Radiometry", "Screening", "Records", "Picture",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "CCapture", "TestSupport"]),
        .testTarget(name: "RadiometryTests", dependencies: ["TestSupport", "Radiometry"]),
        .testTarget(name: "ScreeningTests", dependencies: ["TestSupport", "Screening", "Radiometry", "Capture"]),
        .testTarget(name: "PictureTests", dependencies: ["TestSupport", "Picture"]),
        .testTarget(name: "RecordsTests", dependencies: ["TestSupport", "Records", "Screening", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "SimulationTests", dependencies: ["TestSupport", "Simulation", "Capture", "Screening"]),
        .testTarget(name: "DaemonTests", dependencies: ["TestSupport", "Simulation", "Radiometry", "Daemon", "Capture", "Screening", "Records",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .testTarget(name: "IntegrationTests", dependencies: ["TestSupport", "Records", "Picture", "CCapture", "Daemon", "Simulation", "Capture", "USBCapture", "Screening", "Radiometry"]),
    ],
    swiftLanguageModes: [.v6]
)
