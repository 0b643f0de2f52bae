// swift-tools-version: 6.0
import PackageDescription

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
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "StoqCore", dependencies: ["CYAML"], swiftSettings: strict),
        .target(name: "StoqAPI", dependencies: ["StoqCore"], swiftSettings: strict),
        .target(name: "StoqEmulator", swiftSettings: strict),
        .executableTarget(
            name: "stoqctl",
            dependencies: [
                "StoqCore", "StoqAPI", "StoqEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "stoqctl-bench", dependencies: ["StoqCore"], swiftSettings: strict),
        .target(name: "StoqTestSupport", path: "Tests/Support", swiftSettings: strict),
        .testTarget(name: "StoqCoreTests", dependencies: ["StoqCore", "StoqTestSupport"], swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["StoqCore", "StoqTestSupport"], swiftSettings: strict),
    ]
)
