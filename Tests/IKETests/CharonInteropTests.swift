import Foundation
import TestSupport
import XCTest

/// strongSwan's charon and Ward negotiate IKEv1 in two network namespaces, both ways round,
/// and ICMP crosses the tunnel between charon's userspace ESP and Ward's (Tests/Interop).
final class CharonInteropTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Interop/charon-interop.sh")

    static var peer: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ward-ike-peer")
    }

    func testCharonAndWardNegotiateAndCarryTraffic() throws {
        guard geteuid() == 0 else { throw XCTSkip("charon interop needs root (network namespaces)") }
        for tool in ["/usr/lib/ipsec/charon", "/usr/sbin/swanctl", "/usr/sbin/nft", "/usr/bin/tshark", "/usr/bin/dumpcap"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("charon interop needs \(tool) (scripts/setup.sh installs it)") }
        }
        guard FileManager.default.isExecutableFile(atPath: Self.peer.path) else {
            throw XCTSkip("ward-ike-peer was not built next to the tests (\(Self.peer.path))")
        }
        let (output, status) = try Subprocess.run(Self.script.path, [Self.peer.path])
        let results = output.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") || $0.hasPrefix("charon interop") }
        print(results.joined(separator: "\n"))
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(results.filter { $0.hasPrefix("PASS") }.count, 15, output)
    }
}
