import Foundation
import TestSupport
import XCTest

/// `wardd` inside the user-mode Linux guest (Tests/Kernel/uml-run.sh), whose kernel has ESP
/// (but not nftables' inet/netdev families: the userspace datapath steers by policy routing
/// and tc there), on both datapaths (Tests/Agent/kernel-agent.sh): the userspace datapath
/// against charon on the kernel's ESP; `wardd --datapath kernel` against charon and against a
/// userspace `wardd`; and the leak test — a numbered UDP stream while the agent is killed with
/// SIGKILL and restarted three times: no clear datagram on the wire, the stream resumes —
/// and, on the kernel datapath, also when this host only receives the stream; soft associations
/// on the kernel datapath (clear after 3 s, a more specific block still blocks); the kernel
/// datapath in tunnel mode; the kernel datapath authenticating to charon with ECDSA
/// certificates; and two transport rules that differ only by port, each with its own reqid,
/// SA and methods (a tshark oracle over Ward's SA keys).
final class KernelAgentInteropTests: XCTestCase {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    func testBothDatapathsInteroperateAndNeverLeakInAKernelWithESP() throws {
        guard geteuid() == 0 else { throw XCTSkip("the kernel agent test needs root (user-mode Linux, namespaces)") }
        for tool in ["/usr/bin/linux.uml", "/usr/lib/ipsec/charon", "/usr/sbin/swanctl", "/usr/sbin/tc", "/usr/bin/tcpdump"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("the kernel agent test needs \(tool) (scripts/setup.sh installs it)") }
        }
        let binaries = AgentInteropTests.binaries
        // The guest sees the host read-only and has its own /tmp: what it runs goes into the share.
        let share = URL(fileURLWithPath: "/tmp/ward-uml")
        let work = share.appendingPathComponent("agent-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work.appendingPathComponent("bin"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        for binary in ["ward", "wardd"] {
            try FileManager.default.copyItem(at: binaries.appendingPathComponent(binary), to: work.appendingPathComponent("bin/\(binary)"))
        }
        for script in ["kernel-agent.sh", "lib.sh", "traffic.py"] {
            try FileManager.default.copyItem(at: Self.tests.appendingPathComponent("Agent/\(script)"), to: work.appendingPathComponent(script))
        }
        let (output, status) = try Subprocess.run("/usr/bin/env", [
            "LAB_SHARE=\(share.path)", "LAB_KERNEL_AGENT_OUT=\(work.path)/out",
            Self.tests.appendingPathComponent("Kernel/uml-run.sh").path, "-t", "900", "--",
            work.appendingPathComponent("kernel-agent.sh").path, work.appendingPathComponent("bin").path,
        ])
        let results = output.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") || $0.contains("interop:") }
        print(results.joined(separator: "\n"))
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(results.filter { $0.hasPrefix("PASS") }.count, 101, output)
    }
}
