import Foundation
import TestSupport
import XCTest

/// Kerberos in IKEv1 Main Mode against a real KDC (Tests/Domain/kerberos-ike.sh): a Samba AD
/// DC issues the tickets, two hosts joined as computers run `wardd --keytab`; ping, a
/// checksum-verified transfer, `show mmsas` naming the principals, a capture read by tshark
/// (vendor IDs, payload 129, the tokens as AP-REQ/AP-REP through its Kerberos dissector), the
/// fallback to a preshared key, and the refusals: a stale keytab, an unknown principal, a
/// skewed clock and a stopped KDC.
final class KerberosInteropTests: XCTestCase {
    func testWarddAuthenticatesWithKerberosAgainstASambaKDC() throws {
        guard geteuid() == 0 else { throw XCTSkip("the Kerberos test needs root (network namespaces, a domain controller)") }
        for tool in ["/usr/sbin/samba", "/usr/bin/samba-tool", "/usr/bin/kinit", "/usr/bin/tshark", "/usr/bin/faketime"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("the Kerberos test needs \(tool) (scripts/setup.sh installs it)")
        }
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Domain/kerberos-ike.sh")
        let (output, status) = try Subprocess.run(script.path, [binaries.path])
        let results = output.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") }
        print(results.joined(separator: "\n"))
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(results.filter { $0.hasPrefix("PASS") }.count, 14, output)
    }
}
