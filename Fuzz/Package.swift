// swift-tools-version:6.0
// libFuzzer target over ESP/AH decapsulation. Not part of the main build:
//   swift build --package-path Fuzz -c release --sanitize=fuzzer --product ESPFuzz
//   SWIFT_BACKTRACE=enable=no Fuzz/.build/release/ESPFuzz -max_total_time=30
import PackageDescription

let package = Package(
    name: "WardFuzz",
    dependencies: [.package(name: "Ward", path: "..")],
    targets: [
        .executableTarget(name: "ESPFuzz", dependencies: [.product(name: "ESP", package: "Ward"),
                                                          .product(name: "Packet", package: "Ward"),
                                                          .product(name: "Transforms", package: "Ward")]),
    ]
)
