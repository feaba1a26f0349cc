import Foundation
import TestSupport
import XCTest

/// Transport mode needs kernel ESP on charon's side, which this host's kernel lacks: inside a
/// user-mode Linux guest, charon keys the Linux kernel's XFRM (kernel-netlink) and Ward's ESP
/// on raw sockets exchanges pings with it, both ways round (Tests/Interop, --kernel).
final class KernelCharonInteropTests: XCTestCase {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    func testTransportModeAgainstCharonWithKernelESP() throws {
        guard geteuid() == 0 else { throw XCTSkip("kernel interop needs root (network namespaces, raw sockets)") }
        for tool in ["/usr/bin/linux.uml", "/usr/lib/ipsec/charon", "/usr/sbin/swanctl"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("kernel charon interop needs \(tool) (scripts/setup.sh installs it)") }
        }
        let peer = CharonInteropTests.peer
        guard FileManager.default.isExecutableFile(atPath: peer.path) else { throw XCTSkip("ward-ike-peer was not built next to the tests") }
        // The guest mounts the host read-only and only the share read-write: results come back there.
        let share = URL(fileURLWithPath: "/tmp/ward-uml")
        let work = share.appendingPathComponent("charon-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        // The guest has its own /tmp: what it runs must be in the share (the checkout may be under /tmp).
        let copy = work.appendingPathComponent("ward-ike-peer")
        try FileManager.default.copyItem(at: peer, to: copy)
        let script = work.appendingPathComponent("charon-interop.sh").path
        try FileManager.default.copyItem(at: Self.tests.appendingPathComponent("Interop/charon-interop.sh"), to: URL(fileURLWithPath: script))
        let (output, status) = try Subprocess.run("/usr/bin/env", [
            "LAB_SHARE=\(share.path)", "WARD_INTEROP_OUT=\(work.path)/out",
            Self.tests.appendingPathComponent("Kernel/uml-run.sh").path, "-t", "500", "--", script, "--kernel", copy.path,
        ])
        let results = output.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") || $0.hasPrefix("charon interop") }
        print(results.joined(separator: "\n"))
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(results.filter { $0.hasPrefix("PASS") }.count, 4, output)
    }
}
