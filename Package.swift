// swift-tools-version: 6.0
import PackageDescription

// `make release-binary` sets STOQCTL_STATIC_LINK=1: libyaml is then found in the directory of static
// archives that build puts first on the linker's path, rather than through pkg-config's system path,
// so the binary does not need libyaml installed.
let staticLink = Context.environment["STOQCTL_STATIC_LINK"] == "1"

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "stoqctl",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stoqctl", targets: ["stoqctl"]),
        .library(name: "StoqCore", targets: ["StoqCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: staticLink ? nil : "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // What a release build was made from, compiled in by `make release-binary` (empty otherwise).
        .target(name: "CBuildRecord"),
        .target(name: "StoqWire", dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")], swiftSettings: strict),
        .target(
            name: "StoqCore",
            dependencies: [
                "CYAML", "StoqWire", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict),
        .target(
            name: "StoqAPI",
            dependencies: [
                "StoqCore", "StoqWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "StoqEmulator",
            dependencies: [
                "StoqWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "stoqctl",
            dependencies: [
                "StoqCore", "StoqAPI", "StoqEmulator", "StoqWire", "CBuildRecord",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "stoqctl-bench", dependencies: ["StoqCore", "StoqAPI", "StoqEmulator", "StoqWire", "StoqTestSupport"],
            swiftSettings: strict),
        .target(name: "StoqTestSupport", path: "Tests/Support", swiftSettings: strict),
        .testTarget(name: "StoqCoreTests", dependencies: ["StoqCore", "StoqWire", "StoqTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "StoqAPITests", dependencies: ["StoqAPI", "StoqEmulator", "StoqCore", "StoqWire", "StoqTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "ScenarioTests", dependencies: ["StoqAPI", "StoqEmulator", "StoqCore", "StoqWire", "StoqTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "StoqEmulatorTests", dependencies: ["StoqEmulator", "StoqWire"], swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["StoqCore", "StoqTestSupport"], swiftSettings: strict),
    ]
)
