import Foundation
import TestSupport
import XCTest

/// The domain store against a real Active Directory domain controller (Samba 4 AD DC in a
/// network namespace, Tests/Domain/domain-store.sh): Windows' default policies read, the
/// server-isolation example written and equal to a local store's, dump replayed, objects where
/// [MS-GPIPSEC] puts them (ldapsearch), GPO assignment with GPT.INI on SYSVOL, concurrent
/// administrators, and bad input, with `samba-tool dbcheck` after each case.
final class DomainStoreInteropTests: XCTestCase {
    func testDomainStoreAgainstSambaActiveDirectory() throws {
        guard geteuid() == 0 else { throw XCTSkip("the domain store test needs root (network namespaces, a domain controller)") }
        for tool in ["/usr/sbin/samba", "/usr/bin/samba-tool", "/usr/bin/kinit", "/usr/bin/ldapsearch", "/usr/bin/smbclient", "/usr/bin/xxd"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("the domain store test needs \(tool) (scripts/setup.sh installs it)")
        }
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Domain/domain-store.sh")
        let (output, status) = try Subprocess.run(script.path, [binaries.path])
        let results = output.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") }
        print(results.joined(separator: "\n"))
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(results.filter { $0.hasPrefix("PASS") }.count, 44, output)
    }
}
