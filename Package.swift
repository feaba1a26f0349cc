// swift-tools-version:6.1
// Ward: policy-based IPsec for Linux. Module map: Docs/design.md.
import PackageDescription

let package = Package(
    name: "Ward",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ward", targets: ["ward"]),
        .executable(name: "wardd", targets: ["wardd"]),
        .library(name: "Netsh", targets: ["Netsh"]),
        .library(name: "ESP", targets: ["ESP"]),
        .library(name: "Packet", targets: ["Packet"]),
        .library(name: "Transforms", targets: ["Transforms"]),
        .library(name: "IKE", targets: ["IKE"]),
        .library(name: "Certificates", targets: ["Certificates"]),
        .library(name: "DomainPolicy", targets: ["DomainPolicy"]),
        .library(name: "GroupPolicy", targets: ["GroupPolicy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // X.509 certificates (parsing, chain signatures) and the DER of CRLs and names.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // Keys: the console's self-signed certificate, and the certificates the tests issue
        // (swift-certificates needs it anyway).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // The console: HTTP (and TLS off loopback) through SwiftNIO; metrics in Prometheus' format.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(name: "Packet"),
        // The system libcrypto (OpenSSL 3): ciphers, MACs, AEADs, Diffie-Hellman.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "Transforms", dependencies: ["COpenSSL"]),
        .target(name: "Filtering", dependencies: ["Packet", "Policy"]),
        .target(name: "ESP", dependencies: ["Packet", "Transforms"]),
        .target(name: "IKE", dependencies: ["Packet", "Policy", "Filtering", "Transforms", "ESP", "Certificates"]),
        // X.509 for IKE: chain validation, CRLs, identities, signing keys, the certificate store.
        .target(name: "Certificates", dependencies: [
            "COpenSSL", "Packet", "Transforms",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        // Linux: the machine's configuration, TUN devices, raw and UDP sockets, packet steering.
        .target(name: "Platform", dependencies: ["Filtering", "Packet", "Policy", "XFRM"]),
        // The kernel's XFRM netlink messages (SPD, SAD, acquires, expires): a codec, no I/O.
        .target(name: "XFRM", dependencies: ["Packet"]),
        .target(name: "Policy", dependencies: ["Packet"]),
        // OpenLDAP's libldap with Cyrus SASL (GSSAPI through MIT krb5): the directory client.
        .systemLibrary(name: "CLDAP", pkgConfig: "ldap", providers: [.apt(["libldap-dev", "libsasl2-dev"])]),
        // Windows' IPsec objects in Active Directory ([MS-GPIPSEC]): the blob codec, the
        // mapping to Ward's policy model, the ordered change plan. No I/O.
        .target(name: "DomainPolicy", dependencies: ["Policy", "Packet"]),
        // MIT Kerberos' GSS-API, and IKE's GSSMechanism over it (the machine's keytab).
        .systemLibrary(name: "CGSSAPI", pkgConfig: "krb5-gssapi", providers: [.apt(["libkrb5-dev"])]),
        .target(name: "Kerberos", dependencies: ["CGSSAPI", "Directory", "IKE", "Packet"]),
        // Group Policy for the IPsec extension ([MS-GPOL], [MS-GPIPSEC] §3.2): which GPO's
        // policy applies to a computer, security filtering, the assigned policy's closure and
        // polling stamp. No I/O: over the `GroupPolicyDirectory` protocol.
        .target(name: "GroupPolicy", dependencies: ["DomainPolicy", "Filtering", "Packet", "Policy"]),
        // LDAP to a domain controller (SASL GSSAPI, sealed), DC discovery through DNS SRV.
        .target(name: "Directory", dependencies: ["CLDAP", "DomainPolicy"]),
        // The domain store behind `set store location=domain`: Netsh's commands on a scratch
        // copy, the difference written to the directory; GPO assignment.
        .target(name: "DomainStore", dependencies: ["Directory", "DomainPolicy", "Netsh", "Platform", "Policy", "PolicyStore"]),
        // The host's side of the domain: machine identity (keytab), the Group Policy worker
        // thread, the domain cache.
        .target(name: "DomainClient", dependencies: ["Directory", "DomainPolicy", "Filtering", "GroupPolicy", "Packet", "Platform", "Policy"]),
        // The daemon's wiring: the userspace datapath, IKE, the control API.
        .target(name: "Agent", dependencies: ["DomainClient", "GroupPolicy", "Kerberos", "Filtering", "ESP", "IKE", "Netsh", "Platform", "Policy", "PolicyStore", "Packet", "Transforms", "XFRM"]),
        // The IP Security Monitor's model without I/O: history, metrics, pages, access decisions,
        // the console's netsh changes and `ipsec trace`.
        .target(name: "Monitor", dependencies: [
            "Agent", "DomainClient", "Filtering", "GroupPolicy", "IKE", "ESP", "Kerberos", "Netsh", "Packet", "Platform", "Policy", "PolicyStore",
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The web console over HTTP(S): Hummingbird on SwiftNIO, TLS through swift-nio-ssl.
        .target(name: "Console", dependencies: [
            "Monitor", "Agent", "Packet", "PolicyStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .executableTarget(name: "wardd", dependencies: [
            "Agent", "Console", "Monitor", "DomainClient", "Kerberos", "Certificates", "Platform", "PolicyStore", "Filtering",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "PolicyStore", dependencies: [
            "Policy", "Packet",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "Netsh", dependencies: ["Policy", "PolicyStore", "Packet"]),
        .executableTarget(name: "ward", dependencies: [
            "Agent", "Monitor", "Directory", "DomainClient", "GroupPolicy", "Kerberos", "Certificates", "DomainStore", "Netsh", "PolicyStore", "Filtering", "Platform", "Policy", "Packet",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // A raw-socket ESP peer for the kernel interop test (Tests/Kernel), not a product.
        .executableTarget(name: "ward-esp-probe", dependencies: ["ESP", "Transforms", "Packet"]),
        .executableTarget(name: "ward-ike-peer", dependencies: ["IKE", "ESP", "Platform", "Transforms", "Packet"]),
        // Benchmarks: separate commands, not tests.
        .target(name: "MallocCounter"),
        .executableTarget(name: "ward-filter-bench", dependencies: ["Filtering", "Policy", "Packet"]),
        .executableTarget(name: "ward-datapath-bench", dependencies: ["Agent", "ESP", "Filtering", "IKE", "Packet", "Policy", "Transforms", "MallocCounter"]),
        .executableTarget(name: "ward-gp-bench", dependencies: ["Directory", "DomainPolicy", "GroupPolicy"]),
        .executableTarget(name: "ward-esp-bench", dependencies: ["ESP", "Transforms", "Packet", "COpenSSL", "MallocCounter"]),
        .testTarget(name: "PacketTests", dependencies: ["Packet"]),
        .testTarget(name: "XFRMTests", dependencies: ["XFRM", "Platform", "Packet", "TestSupport"]),
        .testTarget(name: "PlatformTests", dependencies: ["Platform", "Packet"]),
        .testTarget(name: "FilteringTests", dependencies: ["Filtering", "Platform", "Policy", "Packet", "Netsh", "PolicyStore"]),
        // Helpers shared by the test targets (hex text, pcap files).
        .target(name: "TestSupport", dependencies: [
            "Filtering", "Policy", "Packet",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ], path: "Tests/TestSupport"),
        .testTarget(name: "CertificatesTests", dependencies: ["Certificates", "TestSupport",
                                                             .product(name: "X509", package: "swift-certificates"),
                                                             .product(name: "SwiftASN1", package: "swift-asn1")]),
        .testTarget(name: "TransformsTests", dependencies: ["Transforms", "TestSupport"]),
        .testTarget(name: "IKETests", dependencies: ["IKE", "ESP", "Filtering", "Packet", "Policy", "Transforms", "TestSupport", "ward-ike-peer",
                                                     "Certificates", .product(name: "X509", package: "swift-certificates")], exclude: ["Oracles"]),
        .testTarget(name: "ESPTests", dependencies: ["ESP", "Transforms", "Packet", "ward-esp-probe", "TestSupport"], exclude: ["Oracles"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "ESP", "Filtering", "IKE", "Packet", "Policy", "Transforms", "TestSupport",
                                                       "XFRM", "ward", "wardd"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Packet"]),
        .testTarget(name: "MonitorTests", dependencies: ["Monitor", "Console", "Agent", "ESP", "IKE", "Netsh", "Packet", "Policy", "PolicyStore"]),
        .testTarget(name: "DomainPolicyTests", dependencies: ["DomainPolicy", "Policy", "Packet"]),
        .testTarget(name: "KerberosTests", dependencies: ["Kerberos", "CGSSAPI", "IKE", "Packet"]),
        .testTarget(name: "DomainClientTests", dependencies: ["DomainClient", "DomainPolicy", "GroupPolicy", "Policy"]),
        .testTarget(name: "GroupPolicyTests", dependencies: ["GroupPolicy", "DomainPolicy", "Filtering", "Policy", "Packet", "TestSupport"]),
        .testTarget(name: "PolicyStoreTests", dependencies: ["PolicyStore", "Policy", "Packet"]),
        .testTarget(name: "NetshTests", dependencies: ["Netsh", "PolicyStore", "Policy", "Packet"],
                    exclude: ["Golden"]),
        // Runs the built `ward` binary as a process: scripts, exit codes, crashes, concurrency.
        .testTarget(name: "WardCLITests", dependencies: ["ward", "PolicyStore", "Policy", "TestSupport"]),
    ]
)
