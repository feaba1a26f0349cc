import Certificates
import Foundation
import TestSupport
import X509
import XCTest

/// Path building and its failures, on certificates issued in-process at chosen dates.
final class ChainValidatorTests: XCTestCase {
    let day = TestPKI.day

    func anchor(_ root: TestPKI.Issued, certmap: Bool = false) -> TrustAnchor {
        TrustAnchor(certificate: root.certificate, name: "\(root.certificate.subject)", certificateMapping: certmap)
    }

    func assertFails(_ validator: ChainValidator, _ end: TestPKI.Issued, _ others: [TestPKI.Issued] = [], at time: Date = Date(),
                     containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try validator.validate(end.certificate, intermediates: others.map(\.certificate), at: time)
            XCTFail("validated, expected a failure mentioning \"\(text)\"", file: file, line: line)
        } catch {
            XCTAssertTrue(error.description.contains(text), "\(error.description) does not mention \"\(text)\"", file: file, line: line)
        }
    }

    func testThreeLevelChainValidatesAndEachBrokenLinkFailsWithItsReason() throws {
        let root = try TestPKI.root("Chain Root", kind: .rsa2048)
        let intermediate = try TestPKI.issue("Chain Intermediate", by: root, ca: true)
        let host = try TestPKI.issue("host.ward.test", by: intermediate, dnsNames: ["host.ward.test"])
        let validator = ChainValidator(anchors: [anchor(root)])

        let path = try validator.validate(host.certificate, intermediates: [intermediate.certificate], at: Date())
        XCTAssertEqual(path.path.count, 3)
        XCTAssertEqual(path.path[1], intermediate.certificate)
        XCTAssertEqual(path.path[2], root.certificate)

        // Without the intermediate there is no path.
        assertFails(validator, host, containing: "is not a root CA of this rule")
        // Another root does not vouch for it.
        let stranger = try TestPKI.root("Stranger Root")
        assertFails(ChainValidator(anchors: [anchor(stranger)]), host, [intermediate], containing: "is not a root CA of this rule")
        // Dates, of the host and of the CA above it.
        assertFails(validator, host, [intermediate], at: Date() + 400 * day, containing: "expired on")
        assertFails(validator, host, [intermediate], at: Date() - 2 * day, containing: "is not valid before")
        let expiredCA = try TestPKI.issue("Old Intermediate", by: root, ca: true, notAfter: Date() - day / 2)
        let underExpired = try TestPKI.issue("h2.ward.test", by: expiredCA)
        assertFails(validator, underExpired, [expiredCA], containing: "intermediate CA: \"CN=Old Intermediate")
        // A host certificate cannot issue; a certificate that may not sign cannot authenticate.
        let issuedByHost = try TestPKI.issue("h3.ward.test", by: host)
        assertFails(validator, issuedByHost, [host, intermediate], containing: "is not a CA")
        let encipherOnly = try TestPKI.issue("h4.ward.test", by: intermediate, keyUsage: KeyUsage(keyEncipherment: true))
        assertFails(validator, encipherOnly, [intermediate], containing: "may not sign")
        // A certificate claiming the intermediate as issuer but signed by another key.
        let impostor = try TestPKI.root("Chain Intermediate")
        let forged = try TestPKI.issue("h5.ward.test", by: impostor)
        assertFails(validator, forged, [intermediate], containing: "does not verify with the key of its issuer")
    }

    func testRevocationFollowsStrongCRLCheck() throws {
        let root = try TestPKI.root("CRL Root")
        let host = try TestPKI.issue("revoked.ward.test", by: root)
        let good = try TestPKI.issue("good.ward.test", by: root)
        let revoking = try RevocationList(bytes: try TestPKI.crl(by: root, revoking: [host.certificate]))
        XCTAssertTrue(revoking.isSigned(by: root.certificate))
        XCTAssertEqual(revoking.revoked.count, 1)

        for check in [RevocationCheck.revokedOnly, .strict] {
            let validator = ChainValidator(anchors: [anchor(root)], revocationLists: [revoking], revocationCheck: check)
            assertFails(validator, host, containing: "was revoked on")
            XCTAssertNoThrow(try validator.validate(good.certificate, intermediates: [], at: Date()))
        }
        // strongcrlcheck=0 does not look.
        XCTAssertNoThrow(try ChainValidator(anchors: [anchor(root)], revocationLists: [revoking], revocationCheck: .off)
            .validate(host.certificate, intermediates: [], at: Date()))
        // No CRL at all: 1 lets it pass, 2 does not.
        XCTAssertNoThrow(try ChainValidator(anchors: [anchor(root)], revocationCheck: .revokedOnly).validate(good.certificate, intermediates: [], at: Date()))
        assertFails(ChainValidator(anchors: [anchor(root)], revocationCheck: .strict), good, containing: "no CRL from")
        // A CRL past its next update: an error only under 2.
        let stale = try RevocationList(bytes: try TestPKI.crl(by: root, revoking: [], thisUpdate: Date() - 10 * day, nextUpdate: Date() - day))
        XCTAssertNoThrow(try ChainValidator(anchors: [anchor(root)], revocationLists: [stale], revocationCheck: .revokedOnly)
            .validate(good.certificate, intermediates: [], at: Date()))
        assertFails(ChainValidator(anchors: [anchor(root)], revocationLists: [stale], revocationCheck: .strict), good, containing: "is out of date")
        // A CRL in the root's name signed by someone else revokes nothing and, under 2, is an error.
        let impostor = try TestPKI.root("CRL Root")
        let forged = try RevocationList(bytes: try TestPKI.crl(by: impostor, revoking: [good.certificate]))
        XCTAssertFalse(forged.isSigned(by: root.certificate))
        XCTAssertNoThrow(try ChainValidator(anchors: [anchor(root)], revocationLists: [forged], revocationCheck: .revokedOnly)
            .validate(good.certificate, intermediates: [], at: Date()))
        assertFails(ChainValidator(anchors: [anchor(root)], revocationLists: [forged], revocationCheck: .strict), good, containing: "cannot be trusted")
    }

    /// The distribution points of certificates whose issuer has no current CRL are what the
    /// agent fetches; with a current CRL, or strongcrlcheck=0, nothing is wanted.
    func testDistributionPointsAreWantedOnlyWithoutACurrentCRL() throws {
        let root = try TestPKI.root("CDP Root")
        let host = try TestPKI.issue("cdp.ward.test", by: root, crlURL: "http://10.77.0.9:8088/root.crl")
        let plain = try TestPKI.issue("plain.ward.test", by: root)
        XCTAssertEqual(host.certificate.crlDistributionPointURLs, ["http://10.77.0.9:8088/root.crl"])
        XCTAssertEqual(plain.certificate.crlDistributionPointURLs, [])
        let ldap = try TestPKI.issue("ldap.ward.test", by: root, crlURL: "ldap://directory/cn=root")
        XCTAssertEqual(ldap.certificate.crlDistributionPointURLs, [], "only HTTP is fetched")

        func wanted(_ check: RevocationCheck, crls: [[UInt8]]) throws -> [String] {
            let inventory = CertificateInventory(certificates: [try StoredCertificate(der: root.der)], revocationLists: try crls.map { try RevocationList(bytes: $0) })
            return CertificateSettings(inventory: inventory, revocationCheck: check)
                .authenticator(roots: [(name: "CN=CDP Root, O=Ward Test, C=CH", certificateMapping: false, excludeCAName: false)])
                .revocationListsWanted(certificates: [host.der, plain.der, [0x30, 0x00]])
        }
        XCTAssertEqual(try wanted(.strict, crls: []), ["http://10.77.0.9:8088/root.crl"])
        XCTAssertEqual(try wanted(.revokedOnly, crls: []), ["http://10.77.0.9:8088/root.crl"])
        XCTAssertEqual(try wanted(.off, crls: []), [])
        XCTAssertEqual(try wanted(.strict, crls: [try TestPKI.crl(by: root, revoking: [])]), [])
        let stale = try TestPKI.crl(by: root, revoking: [], thisUpdate: Date() - 10 * day, nextUpdate: Date() - day)
        XCTAssertEqual(try wanted(.strict, crls: [stale]), ["http://10.77.0.9:8088/root.crl"], "a CRL past its next update is refreshed")
    }

    func testCRLDecodingNamesWhatIsWrong() {
        XCTAssertThrowsError(try RevocationList(bytes: [0x30, 0x03, 0x02, 0x01, 0x01])) { error in
            XCTAssertTrue("\(error)".hasPrefix("CRL:"), "\(error)")
        }
        XCTAssertThrowsError(try RevocationList(bytes: Array("-----BEGIN X509 CRL-----\n!!!\n-----END X509 CRL-----\n".utf8)))
        XCTAssertThrowsError(try RevocationList(bytes: []))
    }

    func testDistinguishedNamePatternsIgnoreOrderCaseAndSpacing() throws {
        let subject = try TestPKI.name("Lab Root")
        for text in ["C=CH, O=Ward Test, CN=Lab Root", "CN=Lab Root,O=Ward Test,C=CH", "cn = lab root ; o=WARD TEST; c=ch", "CN=\"Lab Root\", O=Ward Test, C=CH"] {
            XCTAssertTrue(try DistinguishedNamePattern(text).matches(subject), text)
        }
        for text in ["CN=Lab Root", "CN=Lab Root, O=Ward Test, C=DE", "CN=Lab Root, O=Ward Test, C=CH, OU=Extra"] {
            XCTAssertFalse(try DistinguishedNamePattern(text).matches(subject), text)
        }
        XCTAssertThrowsError(try DistinguishedNamePattern("Lab Root")) { XCTAssertTrue("\($0)".contains("no '=value'"), "\($0)") }
        XCTAssertThrowsError(try DistinguishedNamePattern("CN=\"open"))
        XCTAssertThrowsError(try DistinguishedNamePattern(""))
    }
}
