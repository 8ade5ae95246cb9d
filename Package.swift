// swift-tools-version: 6.1
import PackageDescription

// Every target compiles in Swift 6 language mode with these upcoming features.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Kernels and the model drop bounds checks in release builds: their loops index raw
// buffers whose extents the callers validate once, outside the hot path.
let kernelSettings: [SwiftSetting] = strictSettings + [
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release))
]

// The request path (transport and API) drops the runtime exclusivity checks in release
// builds: ~4% of an echo request's samples were `swift_beginAccess` on handler state that
// only its event loop touches. Debug builds keep the checks, so the tests still catch a
// violation.
let requestPathSettings: [SwiftSetting] = strictSettings + [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
        .executable(name: "switchyard-load", targets: ["switchyard-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-numerics.git", from: "1.1.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // OTLP export: the tracing API, and swift-otel with its OTLP/HTTP exporter only (no gRPC).
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", exact: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", exact: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
    ],
    targets: [
        .target(name: "GatewayCore", swiftSettings: strictSettings),
        // Integer dot-product kernels with AVX2 / AVX-512 VNNI intrinsics, chosen at run time;
        // DecodeKernels keeps the Swift reference and falls back to it.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "DecodeKernels",
            dependencies: ["CKernels", .product(name: "Numerics", package: "swift-numerics")],
            swiftSettings: kernelSettings
        ),
        .target(name: "ModelRuntime", dependencies: ["DecodeKernels"], swiftSettings: kernelSettings),
        .target(name: "DeviceSimulation", swiftSettings: strictSettings),
        // The replica's scheduler as a value: no Foundation, no networking, no threads.
        .target(name: "BatchScheduling", dependencies: ["GatewayCore"], swiftSettings: strictSettings),
        .target(
            name: "InferenceEngine",
            dependencies: ["GatewayCore", "ModelRuntime", "DecodeKernels", "BatchScheduling", "DeviceSimulation"],
            swiftSettings: strictSettings
        ),
        // `switchyard simulate`: the real scheduler per replica on a virtual clock, the cost model
        // as the executor, workloads, latency percentiles and the sweep's SVG.
        .target(
            name: "FleetSimulation",
            dependencies: ["InferenceEngine", "BatchScheduling", "DeviceSimulation", "GatewayCore", "ReplicaRouting"],
            swiftSettings: strictSettings
        ),
        // Model versions, their replicas, traffic split, routing and health; desired state and
        // the lifecycle audit log in SQLite.
        .target(
            name: "ReplicaRouting",
            dependencies: [
                "GatewayCore", "InferenceEngine", "DeviceSimulation", "BatchScheduling",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "HTTPTransport",
            dependencies: [
                "CNGHTTP2", "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: requestPathSettings
        ),
        // Traces, metrics, logs and the audit trail; knows requests only through GatewayCore's
        // timeline, so the engine never depends on it.
        .target(
            name: "GatewayTelemetry",
            dependencies: [
                "GatewayCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // A request's finished spans, replayed through swift-distributed-tracing's API into
        // swift-otel's batching OTLP/HTTP exporter; only `serve` and its tests link it.
        .target(
            name: "OTLPExport",
            dependencies: [
                "GatewayTelemetry",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatewayAPI",
            dependencies: [
                "GatewayCore", "InferenceEngine", "HTTPTransport", "ReplicaRouting", "DeviceSimulation", "GatewayTelemetry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: requestPathSettings
        ),
        // The load generator's client and measurements (LoadTests/), on HTTPTransport's client.
        .target(
            name: "LoadGeneration",
            dependencies: [
                "HTTPTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "LoadTests/Sources/LoadGeneration",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "switchyard-load",
            dependencies: [
                "LoadGeneration", "HTTPTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "LoadTests/Sources/switchyard-load",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "switchyard",
            dependencies: [
                "GatewayCore", "ModelRuntime", "InferenceEngine", "HTTPTransport", "GatewayAPI", "DeviceSimulation",
                "GatewayTelemetry", "FleetSimulation", "OTLPExport",
                "ReplicaRouting", "BatchScheduling", "LoadGeneration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "DecodeKernelsTests", dependencies: ["DecodeKernels"], swiftSettings: strictSettings),
        .testTarget(
            name: "BatchSchedulingTests", dependencies: ["BatchScheduling", "GatewayCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "ReplicaRoutingTests",
            dependencies: ["ReplicaRouting", "InferenceEngine", "GatewayCore", "DeviceSimulation"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "DeviceSimulationTests", dependencies: ["DeviceSimulation"], swiftSettings: strictSettings),
        .testTarget(
            name: "FleetSimulationTests",
            dependencies: [
                "FleetSimulation", "InferenceEngine", "BatchScheduling", "DeviceSimulation", "GatewayCore", "ModelRuntime",
                "ReplicaRouting",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ModelRuntimeTests",
            dependencies: ["ModelRuntime", "DecodeKernels"],
            // The golden file is read from the source tree by path, not bundled.
            exclude: ["Resources"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "InferenceEngineTests",
            dependencies: ["InferenceEngine", "GatewayCore", "ModelRuntime", "DecodeKernels", "BatchScheduling", "DeviceSimulation"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "HTTPTransportTests",
            dependencies: [
                "HTTPTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GatewayAPITests",
            dependencies: [
                "GatewayAPI", "GatewayCore", "InferenceEngine", "HTTPTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strictSettings
        ),
        // Helpers the test targets share (running real clients and tools).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(
            name: "LoadGenerationTests",
            dependencies: [
                "LoadGeneration", "HTTPTransport", "GatewayAPI", "InferenceEngine", "TestSupport",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "LoadTests/Tests/LoadGenerationTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GatewayTelemetryTests",
            dependencies: ["GatewayTelemetry", "GatewayCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Starts real servers on loopback and drives them with real clients (openai, curl).
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "GatewayAPI", "GatewayCore", "InferenceEngine", "HTTPTransport", "ReplicaRouting", "DeviceSimulation", "GatewayTelemetry",
                "TestSupport", "OTLPExport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
