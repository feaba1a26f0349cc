// swift-tools-version:6.0
// libFuzzer targets over ESP/AH decapsulation (ESPFuzz), the ISAKMP decoder (ISAKMPFuzz), the
// IKE engine in every exchange state (IKEEngineFuzz) and the CERT payload path: certificates,
// chains, CRLs, names and keys (CertificateFuzz), the [MS-GPIPSEC] blob decoders (DomainPolicyFuzz)
// and what Group Policy processing parses from a controller: GPO security descriptors, gPLink,
// SIDs (GroupPolicyFuzz).
// Not part of the main build:
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
        .executableTarget(name: "ISAKMPFuzz", dependencies: [.product(name: "IKE", package: "Ward")]),
        .executableTarget(name: "IKEEngineFuzz", dependencies: [.product(name: "IKE", package: "Ward"),
                                                                .product(name: "Packet", package: "Ward"),
                                                                .product(name: "Transforms", package: "Ward")]),
        .executableTarget(name: "CertificateFuzz", dependencies: [.product(name: "Certificates", package: "Ward")]),
        .executableTarget(name: "DomainPolicyFuzz", dependencies: [.product(name: "DomainPolicy", package: "Ward")]),
        .executableTarget(name: "GroupPolicyFuzz", dependencies: [.product(name: "GroupPolicy", package: "Ward")]),
    ]
)
