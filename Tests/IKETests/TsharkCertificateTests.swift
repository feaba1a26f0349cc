import Certificates
import Foundation
import IKE
import Packet
import Policy
import TestSupport
import X509
import XCTest

/// tshark: Wireshark reads a Ward↔Ward Main Mode with certificates: CERTREQ (type 4, the root's DN) in
/// messages 3 and 4 in the clear, and — decrypted with the cookie and key — the ID_DER_ASN1_DN,
/// two X.509 CERT payloads (host and intermediate, each dissected as a certificate with the
/// right serial number) and the SIG payload in messages 5 and 6, nothing malformed.
extension CertificateMainModeTests {
    func testTsharkDissectsCertificateRequestsCertificatesAndSignatures() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark") else {
            throw XCTSkip("tshark oracle needs /usr/bin/tshark (scripts/setup.sh installs it)")
        }
        let pki = try makePKI(kind: .rsa2048)
        let lab = EnginePair(a: policy(try inventory(pki, own: pki.a)), b: policy(try inventory(pki, own: pki.b)))
        lab.acquire()
        XCTAssertEqual(lab.installs("A").count, 1)
        let mainMode = lab.sent.prefix(6)
        let pcap = Pcap.raw(mainMode.map { Pcap.ipv4UDP($0.1.payload, from: $0.0 == "A" ? [10, 77, 0, 1] : [10, 77, 0, 2], to: $0.0 == "A" ? [10, 77, 0, 2] : [10, 77, 0, 1]) })
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ward-cert-\(UUID().uuidString).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        try pcap.write(to: file)
        guard let key = lab.a.decryptionKeysForOracles().first else { return XCTFail("no ISAKMP SA keys") }
        let fields = ["isakmp.typepayload", "isakmp.certreq.type", "isakmp.cert.encoding", "x509af.serialNumber", "isakmp.sig", "isakmp.id.type", "_ws.malformed"]
        let output = try Subprocess.run("/usr/bin/tshark", ["-n", "-r", file.path, "-o", "uat:ikev1_decryption_table:\(key.initiatorCookie),\(Hex.text(key.key))",
                                                          "-T", "fields", "-E", "separator=|", "-E", "occurrence=a"] + fields.flatMap { ["-e", $0] }).output
        let lines = output.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(lines.count, 6, output)
        XCTAssertTrue(lines.allSatisfy { $0.count == fields.count }, output)
        guard lines.count == 6, lines.allSatisfy({ $0.count == fields.count }) else { return }
        // Messages 3 and 4: KE, Nonce, CR (type 4 = X.509 signature).
        for index in [2, 3] {
            XCTAssertTrue(lines[index][0].split(separator: ",").contains("7"), "message \(index + 1): \(lines[index])")
            XCTAssertEqual(lines[index][1], "4", "message \(index + 1): \(lines[index])")
        }
        // Messages 5 and 6: ID (DER DN, 9), CERT ×2 (X.509 signature, 4), SIG (9).
        func serial(_ issued: TestPKI.Issued) -> String { String(Hex.text(Array(issued.certificate.serialNumber.bytes)).drop { $0 == "0" }) }
        let serials = [pki.a, pki.intermediate, pki.b, pki.intermediate].map(serial)
        for (index, own) in [(4, 0), (5, 2)] {
            let line = lines[index]
            XCTAssertEqual(line[0].split(separator: ",").prefix(4), ["5", "6", "6", "9"], "message \(index + 1): \(line)")
            XCTAssertEqual(line[2], "4,4", "message \(index + 1): \(line)")
            let dissected: [String] = line[3].split(separator: ",").map { text in
                String(text.replacingOccurrences(of: ":", with: "").lowercased().drop { $0 == "0" })
            }
            XCTAssertEqual(dissected, [serials[own], serials[own + 1]], "message \(index + 1): the certificates' serial numbers: \(line)")
            XCTAssertEqual(line[4].replacingOccurrences(of: ":", with: "").count, 512, "an RSA-2048 signature: \(line)")
            XCTAssertEqual(line[5], "9", "ID_DER_ASN1_DN: \(line)")
            XCTAssertEqual(line[6], "", "nothing malformed: \(line)")
        }
    }
}
