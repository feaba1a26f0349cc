import Certificates
import Foundation
import IKE
import Packet
import Policy
import TestSupport
import Transforms
import X509
import XCTest

/// Ward against Ward in Main Mode with signatures (RFC 2409 §5.1): a three-level chain, RSA
/// and ECDSA, and each way a certificate can fail — with the reason logged, counted as an
/// authentication failure, and no SA.
final class CertificateMainModeTests: XCTestCase {
    let quick = QuickModePolicy(offers: [.esp(.aesCBC(keyBits: 128), .hmacSHA256_128)])
    let rootName = "CN=Main Root, O=Ward Test, C=CH"

    /// A root, an intermediate under it, and a host certificate for each of A and B.
    struct PKI {
        let root: TestPKI.Issued
        let intermediate: TestPKI.Issued
        var a: TestPKI.Issued
        var b: TestPKI.Issued
    }

    func makePKI(kind: TestPKI.KeyKind) throws -> PKI {
        let root = try TestPKI.root("Main Root", kind: .rsa2048)
        let intermediate = try TestPKI.issue("Main Intermediate", by: root, ca: true)
        return PKI(root: root, intermediate: intermediate,
                   a: try TestPKI.issue("a.ward.test", by: intermediate, kind: kind, dnsNames: ["a.ward.test"]),
                   b: try TestPKI.issue("b.ward.test", by: intermediate, kind: kind, dnsNames: ["b.ward.test"]))
    }

    /// The store of one side: the root, the intermediate, its own certificate with (or
    /// without) the key, and CRLs.
    func inventory(_ pki: PKI, own: TestPKI.Issued, withKey: Bool = true, crls: [[UInt8]] = [], extra: [TestPKI.Issued] = []) throws -> CertificateInventory {
        var certificates = try [pki.root, pki.intermediate].map { try StoredCertificate(der: $0.der) }
        certificates.append(try StoredCertificate(der: own.der, key: withKey ? try IKESignatureKey(privateKey: own.keyPEM) : nil))
        certificates += try extra.map { try StoredCertificate(der: $0.der) }
        return CertificateInventory(certificates: certificates, revocationLists: try crls.map { try RevocationList(bytes: $0) })
    }

    func policy(_ inventory: CertificateInventory, methods: [AuthenticationMethod]? = nil, crlCheck: RevocationCheck = .revokedOnly,
                peerID: Identification? = nil, clock: @escaping @Sendable () -> Date = Date.init) -> FixedPolicy {
        var isakmp = ISAKMPSettings()
        isakmp.securityMethods = [MainModeSecurityMethod(.aes128, .sha256, .modp2048)]
        let settings = CertificateSettings(inventory: inventory, revocationCheck: crlCheck, clock: clock)
        var main = MainModePolicy(isakmp: isakmp, authentication: methods ?? [.certificate(.init(name: rootName))], certificates: settings)
        main?.peerID = peerID
        return FixedPolicy(main: main, quick: quick)
    }

    func established(_ lab: EnginePair) -> Bool {
        lab.installs("A").count == 1 && lab.installs("B").count == 1
    }

    func testRSAAndECDSACertificatesThroughAThreeLevelChain() throws {
        for kind in [TestPKI.KeyKind.rsa2048, .p256] {
            let pki = try makePKI(kind: kind)
            let lab = EnginePair(a: policy(try inventory(pki, own: pki.a)), b: policy(try inventory(pki, own: pki.b)))
            lab.acquire()
            XCTAssertTrue(established(lab), "\(kind): \(lab.events("A")) \(lab.events("B"))")
            // Message 5 carries the host and intermediate certificates, not the root.
            let summaries = lab.b.mainModeSummaries
            XCTAssertEqual(summaries.count, 1)
            XCTAssertEqual(summaries[0].peerID, "CN=a.ward.test,O=Ward Test,C=CH")
            XCTAssertEqual(summaries[0].peerRootCA, rootName)
            XCTAssertEqual(summaries[0].authentication, kind == .rsa2048 ? "Certificate (RSA signature)" : "Certificate (ECDSA P-256)")
            XCTAssertEqual(lab.a.mainModeSummaries.first?.peerID, "CN=b.ward.test,O=Ward Test,C=CH")
            XCTAssertEqual(lab.a.statistics.authenticationFailures + lab.b.statistics.authenticationFailures, 0)
        }
    }

    /// Each broken certificate of B fails A's check of message 6 with its reason. B presents
    /// them because it sees them differently: its clock is off, it trusts another root too,
    /// it has not seen the CRL, it names itself otherwise.
    func testEachCertificateFailureIsNamedCountedAndKeysNothing() throws {
        let pki = try makePKI(kind: .p256)
        let hour: TimeInterval = 3600
        let expired = try TestPKI.issue("b.ward.test", by: pki.intermediate, notBefore: Date() - 30 * TestPKI.day, notAfter: Date() - 2 * hour)
        let future = try TestPKI.issue("b.ward.test", by: pki.intermediate, notBefore: Date() + 2 * hour)
        let strangerRoot = try TestPKI.root("Stranger Root")
        let stranger = try TestPKI.issue("b.ward.test", by: strangerRoot)
        let revokedCRL = try TestPKI.crl(by: pki.intermediate, revoking: [pki.b.certificate])
        let bothRoots: [AuthenticationMethod] = [.certificate(.init(name: "CN=Stranger Root, O=Ward Test, C=CH")), .certificate(.init(name: rootName))]
        struct Case {
            var name: String
            var b: TestPKI.Issued
            var bClockOffset: TimeInterval = 0
            var bMethods: [AuthenticationMethod]? = nil
            var bExtra: [TestPKI.Issued] = []
            var aCRLs: [[UInt8]] = []
            var aExpects: Identification? = nil
            var reason: String
        }
        let cases = [
            Case(name: "expired", b: expired, bClockOffset: -3 * hour, reason: "expired on"),
            Case(name: "not yet valid", b: future, bClockOffset: 3 * hour, reason: "is not valid before"),
            Case(name: "wrong CA", b: stranger, bMethods: bothRoots, bExtra: [strangerRoot], reason: "is not a root CA of this rule"),
            Case(name: "revoked", b: pki.b, aCRLs: [revokedCRL], reason: "was revoked on"),
            Case(name: "wrong subject", b: pki.b, aExpects: .fqdn("c.ward.test"), reason: "the policy expects c.ward.test"),
        ]
        for test in cases {
            let offset = test.bClockOffset
            let lab = EnginePair(a: policy(try inventory(pki, own: pki.a, crls: test.aCRLs), peerID: test.aExpects),
                                 b: policy(try inventory(pki, own: test.b, extra: test.bExtra), methods: test.bMethods, clock: { Date() + offset }))
            lab.acquire()
            XCTAssertEqual(lab.installs("A").count + lab.installs("B").count, 0, test.name)
            let failures = lab.events("A").compactMap { if case .authenticationFailed(_, let why) = $0 { why } else { nil } }
            XCTAssertEqual(failures.count, 1, "\(test.name): \(lab.events("A")) \(lab.events("B"))")
            XCTAssertTrue(failures.first?.contains(test.reason) ?? false, "\(test.name): \(failures)")
            XCTAssertEqual(lab.a.statistics.authenticationFailures, 1, test.name)
        }
    }

    /// Without its private key, A cannot sign message 5: it says so and sends nothing more.
    func testACertificateWithoutItsPrivateKeyFailsOnTheSideThatLacksIt() throws {
        let pki = try makePKI(kind: .p256)
        let lab = EnginePair(a: policy(try inventory(pki, own: pki.a, withKey: false)), b: policy(try inventory(pki, own: pki.b)))
        lab.acquire()
        XCTAssertEqual(lab.installs("A").count + lab.installs("B").count, 0)
        let failures = lab.events("A").compactMap { if case .authenticationFailed(_, let why) = $0 { why } else { nil } }
        XCTAssertEqual(failures.count, 1, "\(lab.events("A"))")
        XCTAssertTrue(failures.first?.contains("no certificate with a private key in the store chains to \(rootName)") ?? false, "\(failures)")
        XCTAssertEqual(lab.a.statistics.authenticationFailures, 1)
    }

    /// Reference a.7: the methods are offered in the rule's order; the first both share wins.
    func testTheFirstMethodBothPeersShareIsUsed() throws {
        let pki = try makePKI(kind: .p256)
        let certificate = AuthenticationMethod.certificate(.init(name: rootName))
        let psk = AuthenticationMethod.preSharedKey("shared")
        func run(_ a: [AuthenticationMethod], _ b: [AuthenticationMethod]) throws -> String? {
            let lab = EnginePair(a: policy(try inventory(pki, own: pki.a), methods: a), b: policy(try inventory(pki, own: pki.b), methods: b))
            lab.acquire()
            guard established(lab) else { return nil }
            return lab.b.mainModeSummaries.first?.authentication
        }
        XCTAssertEqual(try run([certificate, psk], [certificate, psk]), "Certificate (ECDSA P-256)")
        XCTAssertEqual(try run([psk, certificate], [certificate, psk]), "Preshared key", "the initiator's order decides")
        XCTAssertEqual(try run([certificate, psk], [psk]), "Preshared key")
        XCTAssertEqual(try run([certificate], [psk]), nil)
    }
}
