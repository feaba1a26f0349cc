import Foundation
import TestSupport
import XCTest

/// `ward certificate` as an administrator runs it: import, list, map, delete, and the errors,
/// each with its exit status.
final class CertificateCommandTests: XCTestCase {
    func testImportListMapAndDeleteThroughTheCommandLine() throws {
        let directory = try temporaryDirectory(self)
        let store = directory.appendingPathComponent("certs").path
        let root = try TestPKI.root("CLI Root", kind: .rsa2048)
        let host = try TestPKI.issue("cli.ward.test", by: root, dnsNames: ["cli.ward.test"])
        let files = [("root.der", root.der), ("host.der", host.der), ("host.key", host.keyPEM), ("root.crl", try TestPKI.crl(by: root, revoking: []))]
        for (name, bytes) in files { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
        func ward(_ arguments: [String]) throws -> WardProcess.Result {
            try WardProcess.run(["certificate", "--dir", store] + arguments)
        }

        let empty = try ward(["list"])
        XCTAssertEqual(empty.status, 0)
        XCTAssertEqual(empty.stdout, "The certificate store is empty.\n")

        let imported = try ward(["import"] + files.map { directory.appendingPathComponent($0.0).path })
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("Imported certificate CN=cli.ward.test,O=Ward Test,C=CH"), imported.stdout)
        XCTAssertTrue(imported.stdout.contains("with its private key"), imported.stdout)
        XCTAssertTrue(imported.stdout.contains("Imported CRL of CN=CLI Root,O=Ward Test,C=CH (0 revoked)"), imported.stdout)

        let mapped = try ward(["map", "CN=cli.ward.test, O=Ward Test, C=CH", "CLI-COMPUTER"])
        XCTAssertEqual(mapped.status, 0, mapped.stderr)
        let listing = try ward(["list"])
        XCTAssertEqual(listing.status, 0)
        for expected in ["Subject        : CN=CLI Root,O=Ward Test,C=CH", "Key            : RSA 2048", "CA             : yes",
                         "Key            : ECDSA P-256, private key stored", "CRL of         : CN=CLI Root,O=Ward Test,C=CH",
                         "certmap        : CN=cli.ward.test, O=Ward Test, C=CH -> CLI-COMPUTER"] {
            XCTAssertTrue(listing.stdout.contains(expected), "missing \"\(expected)\" in\n\(listing.stdout)")
        }
        let fingerprints = listing.stdout.split(separator: "\n").filter { $0.hasPrefix("SHA-256") }.map { String($0.split(separator: " ").last!) }
        XCTAssertEqual(fingerprints.count, 2)

        // Refusals: exit status 1, one line naming what was wrong; the store is unchanged.
        try Data("junk".utf8).write(to: directory.appendingPathComponent("junk.txt"))
        let junk = try ward(["import", directory.appendingPathComponent("junk.txt").path])
        XCTAssertEqual(junk.status, 1)
        XCTAssertTrue(junk.stderr.hasPrefix("ward certificate: import: \(directory.path)/junk.txt:"), junk.stderr)
        let missing = try ward(["import", directory.appendingPathComponent("absent.pem").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("cannot be read"), missing.stderr)
        let unknown = try ward(["frobnicate"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("'frobnicate' is not import, list, delete, map or unmap"), unknown.stderr)
        let nothing = try ward(["delete", "0000000000000000"])
        XCTAssertEqual(nothing.status, 1)
        XCTAssertTrue(nothing.stderr.contains("no certificate in"), nothing.stderr)

        for fingerprint in fingerprints {
            let deleted = try ward(["delete", String(fingerprint.prefix(10))])
            XCTAssertEqual(deleted.status, 0, deleted.stderr)
            XCTAssertTrue(deleted.stdout.hasPrefix("Deleted CN="), deleted.stdout)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store + "/private"), [], "the key went with its certificate")
        let unmapped = try ward(["unmap", "CN=cli.ward.test, O=Ward Test, C=CH"])
        XCTAssertEqual(unmapped.status, 0, unmapped.stderr)
        let after = try ward(["list"])
        XCTAssertFalse(after.stdout.contains("Subject"), after.stdout)
        XCTAssertFalse(after.stdout.contains("certmap"), after.stdout)
    }
}
