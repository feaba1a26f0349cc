import Foundation
import IKE
import Packet
import TestSupport
import Transforms
import XCTest

/// RFC 3947 §3.2 NAT-D: the hash itself against Python's hashlib, and the verdicts of a
/// responder that sees the initiator directly, through a NAT, or is itself behind one.
final class NATDetectionTests: XCTestCase {
    private let CKY_I: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8], CKY_R: [UInt8] = [9, 10, 11, 12, 13, 14, 15, 16]
    private let initiator = NATDetection.Endpoint(.v4(IPv4Address(10, 77, 1, 1)), 500)
    private let responder = NATDetection.Endpoint(.v4(IPv4Address(10, 77, 2, 2)), 500)

    func testHashMatchesPython() throws {
        let v6 = NATDetection.Endpoint(.v6(IPv6Address("fd77::1")!), 4500)
        for (endpoint, packed) in [(initiator, "0a4d010101f4"), (v6, "fd770000000000000000000000000001" + "1194")] {
            for (hash, name) in [(IKEHashAlgorithm.sha1, "sha1"), (.md5, "md5"), (.sha256, "sha256")] {
                let python = try runPython("import hashlib,sys; print(hashlib.new(sys.argv[1], bytes.fromhex(sys.argv[2])).hexdigest())",
                                           [name, Hex.text(CKY_I + CKY_R) + packed])
                XCTAssertEqual(Hex.text(try NATDetection.hash(hash, CKY_I: CKY_I, CKY_R: CKY_R, endpoint)), python, "\(hash) \(endpoint)")
            }
        }
    }

    private func hashes(source: NATDetection.Endpoint, destination: NATDetection.Endpoint) throws -> [[UInt8]] {
        try NATDetection.payloads(.sha1, CKY_I: CKY_I, CKY_R: CKY_R, source: source, destination: destination).map {
            guard case .natDiscovery(let hash) = $0 else { throw XCTSkip("not NAT-D") }
            return hash
        }
    }

    func testVerdicts() throws {
        let sent = try hashes(source: initiator, destination: responder)
        // Direct: the responder sees exactly what the initiator sent from and to.
        XCTAssertEqual(try NATDetection.evaluate(received: sent, .sha1, CKY_I: CKY_I, CKY_R: CKY_R, local: responder, remote: initiator),
                       NATDetection.Verdict(localBehindNAT: false, peerBehindNAT: false))
        // The initiator behind a NAT: its source arrives rewritten.
        let translated = NATDetection.Endpoint(.v4(IPv4Address(10, 77, 9, 9)), 31_000)
        let throughNAT = try NATDetection.evaluate(received: sent, .sha1, CKY_I: CKY_I, CKY_R: CKY_R, local: responder, remote: translated)
        XCTAssertEqual(throughNAT, NATDetection.Verdict(localBehindNAT: false, peerBehindNAT: true))
        XCTAssertTrue(throughNAT.natDetected)
        // The responder behind a port forward: the initiator addressed its public side.
        let publicSide = NATDetection.Endpoint(.v4(IPv4Address(10, 77, 8, 8)), 500)
        let toForward = try hashes(source: initiator, destination: publicSide)
        XCTAssertEqual(try NATDetection.evaluate(received: toForward, .sha1, CKY_I: CKY_I, CKY_R: CKY_R, local: responder, remote: initiator),
                       NATDetection.Verdict(localBehindNAT: true, peerBehindNAT: false))
        // Only the port changed (a NAPT keeping the address): still a NAT.
        let portOnly = NATDetection.Endpoint(initiator.address, 1_024)
        XCTAssertTrue(try NATDetection.evaluate(received: sent, .sha1, CKY_I: CKY_I, CKY_R: CKY_R, local: responder, remote: portOnly).peerBehindNAT)
        XCTAssertThrowsError(try NATDetection.evaluate(received: [sent[0]], .sha1, CKY_I: CKY_I, CKY_R: CKY_R, local: responder, remote: initiator)) {
            XCTAssertEqual("\($0)", "NAT-D payloads: 1, expected at least 2")
        }
    }

    private func runPython(_ script: String, _ arguments: [String]) throws -> String {
        let text = try Subprocess.run("python3", ["-c", script] + arguments).output
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
