import Filtering
import Packet
import Platform
import Policy
import XCTest

final class ConfigurationTests: XCTestCase {
    func testParsersReadTheLinuxFiles() {
        XCTAssertEqual(ConfigurationParsers.nameservers(inResolvConf: """
            # generated
            search lab.example
            nameserver 10.77.0.53
            nameserver fe80::1%eth0
            nameserver   fd77::53
            options edns0
            """), [address("10.77.0.53"), address("fe80::1"), address("fd77::53")])
        let route = """
            Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
            eth0\t00000000\t01004D0A\t0003\t0\t0\t0\t00000000\t0\t0\t0
            eth0\t00004D0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
            """
        let route6 = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd770000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n"
        XCTAssertEqual(ConfigurationParsers.defaultGateways(ipv4Routes: route, ipv6Routes: route6), [address("10.77.0.1"), address("fd77::1")])
        XCTAssertEqual(ConfigurationParsers.dhcpServers(inLease: "lease {\n  option dhcp-server-identifier 10.77.0.67;\n}\n"), [address("10.77.0.67")])
        XCTAssertEqual(ConfigurationParsers.dhcpServers(inLease: "ADDRESS=10.77.1.1\nSERVER_ADDRESS=10.77.0.68\n"), [address("10.77.0.68")])
        XCTAssertEqual(ConfigurationParsers.addressList("10.77.0.44 # primary\n\nnot-an-address\n10.77.0.45\n"), [address("10.77.0.44"), address("10.77.0.45")])
    }

    func testThisMachineHasItsOwnAddresses() {
        let configuration = SystemConfiguration.read()
        XCTAssertFalse(configuration.localAddresses.contains(address("127.0.0.1")), "loopback is not `me`")
        XCTAssertEqual(configuration, SystemConfiguration.read(), "two reads of an unchanged machine are equal")
    }

    func testRecompiledWhenTheDNSServerChangesAndNeverReplacedByABadPolicy() throws {
        var b = PolicyBuilder()
        b.rule("dns", [Filter(source: .me, destination: .server(.dns), protocolSelector: .udp, destinationPort: 53)], action: .permit)
        b.rule("rest", [Filter(source: .me, destination: .any)], action: .negotiate)
        var configuration = SystemConfiguration(localAddresses: [me4], dnsServers: [address("10.77.0.53")])
        let running = RunningPolicy()
        try running.update([b.snapshot()], addresses: configuration)
        let query = { (server: String) in PacketSelector(source: me4, destination: address(server), protocolNumber: 17, sourcePort: 5000, destinationPort: 53) }
        XCTAssertEqual(running.decide(query("10.77.0.53"), direction: .outbound).verdict, .permit)
        XCTAssertEqual(running.decide(query("10.77.0.54"), direction: .outbound).verdict, .negotiate)
        // DHCP hands out a new DNS server: the agent sees a different configuration and recompiles.
        let before = configuration
        configuration.dnsServers = [address("10.77.0.54")]
        XCTAssertNotEqual(before, configuration)
        try running.update([b.snapshot()], addresses: configuration)
        XCTAssertEqual(running.decide(query("10.77.0.54"), direction: .outbound).verdict, .permit)
        XCTAssertEqual(running.decide(query("10.77.0.53"), direction: .outbound).verdict, .negotiate)
        XCTAssertEqual(running.generation, 2)
        // A policy that does not compile leaves the running table as it was.
        var bad = b
        bad.rule("broken", [Filter(source: .me, destination: .any, protocolSelector: .icmp, destinationPort: 1)], action: .block)
        XCTAssertThrowsError(try running.update([bad.snapshot()], addresses: configuration))
        XCTAssertEqual(running.generation, 2)
        XCTAssertEqual(running.decide(query("10.77.0.54"), direction: .outbound).verdict, .permit)
    }

    func testDefaultResponseRuleComesFromTheFirstPolicyThatHasItActive() throws {
        var persistent = PolicyBuilder()
        persistent.policy.defaultResponseRule.active = false
        var local = PolicyBuilder()
        local.policy.name = "Local"
        let running = RunningPolicy()
        XCTAssertNil(running.defaultResponse?.policy.name)
        try running.update([persistent.snapshot("persistent"), local.snapshot("local")], addresses: localMachine)
        XCTAssertEqual(running.defaultResponse?.store, "local")
        XCTAssertEqual(running.defaultResponse?.policy.name, "Local")
        // It adds no filter: traffic with no rule still passes in the clear.
        XCTAssertEqual(running.decide(tcp(me4, address("192.0.2.1")), direction: .outbound).verdict, .permit)
    }
}
