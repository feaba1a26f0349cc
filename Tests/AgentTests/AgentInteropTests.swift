import Foundation
import TestSupport
import XCTest

/// Two `wardd` agents in network namespaces enforce a netsh policy on real traffic
/// (Tests/Agent/agent-interop.sh): ESP between them, block, permit, unruled hosts, counters,
/// bad input, control socket refusals, a store that fails to load, a peer restart, rekeying.
final class AgentInteropTests: XCTestCase {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Agent")
    static var binaries: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    func run(_ script: String, _ arguments: [String] = [], expectedPasses: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        guard geteuid() == 0 else { throw XCTSkip("the agent tests need root (network namespaces, TUN, nftables)") }
        for tool in ["/usr/sbin/nft", "/usr/sbin/ip", "/usr/bin/tshark", "/usr/bin/dumpcap", "/usr/bin/python3", "/usr/bin/setpriv"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("the agent tests need \(tool) (scripts/setup.sh installs it)") }
        }
        guard FileManager.default.isReadableFile(atPath: "/dev/net/tun") else { throw XCTSkip("the agent needs /dev/net/tun") }
        for binary in ["ward", "wardd"] where !FileManager.default.isExecutableFile(atPath: Self.binaries.appendingPathComponent(binary).path) {
            throw XCTSkip("\(binary) was not built next to the tests (\(Self.binaries.path))")
        }
        let (output, status) = try Subprocess.run(Self.scripts.appendingPathComponent(script).path, [Self.binaries.path] + arguments)
        let results = output.split(separator: "\n").filter { $0.hasPrefix("PASS") || $0.hasPrefix("FAIL") || $0.hasPrefix("==") || $0.contains("interop:") }
        print(results.joined(separator: "\n"))
        XCTAssertEqual(status, 0, output, file: file, line: line)
        XCTAssertEqual(results.filter { $0.hasPrefix("PASS") }.count, expectedPasses, output, file: file, line: line)
    }

    func testWardAgentsProtectTrafficBetweenThem() throws {
        try run("agent-interop.sh", expectedPasses: 104)
    }

    /// `wardd` and strongSwan's charon (userspace ESP, kernel-libipsec): tunnel mode in UDP 4500,
    /// Ward initiating, charon initiating, and Ward behind an nftables NAT (Tests/Agent/charon-agent.sh).
    func testWardAgentAndStrongSwanCarryTrafficBothWaysAndThroughNAT() throws {
        for tool in ["/usr/lib/ipsec/charon", "/usr/sbin/swanctl"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("the charon agent test needs \(tool) (scripts/setup.sh installs it)")
        }
        try run("charon-agent.sh", ["ward-initiates", "charon-initiates", "nat"], expectedPasses: 55)
    }

    /// Every SA carries only its own rule's traffic (Tests/Agent/binding-agents.sh): a broad
    /// tunnel rule and a more specific one inside it, towards one gateway, in both orders,
    /// against charon's two children and a second wardd; tshark decrypts the captures with the
    /// agent's keys and every packet's SPI serves the rule `ward ipsec trace` names; charon's
    /// traffic for the specific rule under the broad SA is refused, counted and logged.
    func testEachRuleTravelsUnderItsOwnSAAgainstStrongSwanAndWard() throws {
        for tool in ["/usr/lib/ipsec/charon", "/usr/sbin/swanctl"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("the SA binding test needs \(tool) (scripts/setup.sh installs it)")
        }
        try run("binding-agents.sh", expectedPasses: 34)
    }

    /// `wardd` and charon authenticating with certificates strongSwan's `pki` made: RSA with
    /// either side initiating, and ECDSA P-256; each side names how the other proved itself.
    func testWardAgentAndStrongSwanAuthenticateWithCertificates() throws {
        for tool in ["/usr/lib/ipsec/charon", "/usr/sbin/swanctl", "/usr/bin/pki"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("the certificate interop test needs \(tool) (scripts/setup.sh installs it)")
        }
        try run("charon-agent.sh", ["cert-rsa-ward", "cert-rsa-charon", "cert-ecdsa"], expectedPasses: 58)
    }

    /// Two `wardd` with certificates from a three-level chain strongSwan's `pki` made: the good
    /// path, then expired, not yet valid, wrong CA, revoked, no CRL under strongcrlcheck=2,
    /// an unmapped subject under certmap:yes, and a certificate without its key — each logged
    /// with its reason, counted, no SA, both agents alive — and CRLs fetched from HTTP
    /// distribution points under strongcrlcheck=2 (Tests/Agent/cert-agents.sh).
    func testWardAgentsAuthenticateWithCertificatesAndRefuseBadOnes() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/pki") else {
            throw XCTSkip("the certificate agents test needs /usr/bin/pki (scripts/setup.sh installs strongswan-pki)")
        }
        try run("cert-agents.sh", expectedPasses: 43)
    }

    /// The boot-time filter with no agent running (stateful, block, permit, bad values), the
    /// agent taking over from it, and the kernel datapath's SPD on this host's kernel: in
    /// place, kept through SIGKILL with no clear packet on the wire, adopted by the restarted
    /// agent, removed by an orderly stop (Tests/Agent/boot-mode.sh).
    func testBootModesAndTheKernelSPDHoldWithoutTheAgent() throws {
        try run("boot-mode.sh", expectedPasses: 28)
    }

    /// The leak test on this host's default steering: a numbered UDP stream while the sending
    /// agent is killed with SIGKILL and restarted three times — no clear datagram on the wire,
    /// the stream resumes (Tests/Agent/leak-host.sh; both datapaths in a kernel with ESP:
    /// KernelAgentInteropTests).
    func testAKilledAgentLeaksNoClearTextAndTrafficResumes() throws {
        try run("leak-host.sh", expectedPasses: 6)
    }
}
