// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "pingmesh",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pingmesh", targets: ["pingmesh"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "PingmeshModel",
            dependencies: [
                .product(name: "Yams", package: "Yams")
            ]
        ),
        .target(name: "CPingmeshLinux"),
        .target(
            name: "PingmeshProbe",
            dependencies: [
                "PingmeshModel",
                "CPingmeshLinux",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
            ]
        ),
        .target(
            name: "PingmeshAgent",
            dependencies: [
                "PingmeshModel",
                "PingmeshProbe",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "PingmeshController",
            dependencies: [
                "PingmeshModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "pingmesh",
            dependencies: [
                "PingmeshModel",
                "PingmeshProbe",
                "PingmeshAgent",
                "PingmeshController",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "pingmesh-bench",
            dependencies: [
                "PingmeshModel",
                "PingmeshProbe",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/ProbeBench"
        ),
        .target(name: "PingmeshTestSupport", path: "Tests/PingmeshTestSupport"),
        .testTarget(name: "PingmeshModelTests", dependencies: ["PingmeshModel"]),
        .testTarget(
            name: "PingmeshProbeTests",
            dependencies: ["PingmeshProbe", "PingmeshModel", "PingmeshTestSupport", .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(
            name: "PingmeshAgentTests",
            dependencies: ["PingmeshAgent", "PingmeshProbe", "PingmeshModel", "PingmeshTestSupport"]
        ),
        .testTarget(
            name: "PingmeshControllerTests",
            dependencies: [
                "PingmeshController", "PingmeshModel", "PingmeshTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "PingmeshAgent", "PingmeshProbe", "PingmeshModel", "PingmeshController", "PingmeshTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
