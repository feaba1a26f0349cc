import Foundation
import TestSupport
import XCTest

/// Group Policy on every host against a real Active Directory domain (Tests/Domain/
/// group-policy.sh): two Samba AD DCs replicating, two hosts joined in different OUs running
/// `wardd --domain` as their computer accounts; the precedence table with `show rsop`'s
/// reasons, planning mode, a policy change by polling and by `gpupdate`, traffic under the
/// domain policy, and the faults (a corrupt blob, DC1 away, both away, the cache across a
/// restart, a GPO unlinked while the DCs are down), with a capture counting clear packets.
final class GroupPolicyInteropTests: XCTestCase {
    func testHostsTakeTheirIPsecPolicyFromGroupPolicy() throws {
        guard geteuid() == 0 else { throw XCTSkip("the Group Policy test needs root (network namespaces, domain controllers)") }
        for tool in ["/usr/sbin/samba", "/usr/bin/samba-tool", "/usr/bin/kinit", "/usr/bin/ldapsearch", "/usr/bin/ldapmodify", "/usr/bin/tcpdump"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("the Group Policy test needs \(tool) (scripts/setup.sh installs it)")
        }
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Domain/group-policy.sh")
        let (output, status) = try Subprocess.run(script.path, [binaries.path])
        let results = output.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") }
        print(results.joined(separator: "\n"))
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(results.filter { $0.hasPrefix("PASS") }.count, 42, output)
    }
}
