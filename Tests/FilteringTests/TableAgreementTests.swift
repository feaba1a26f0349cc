import Filtering
import Packet
import Policy
import XCTest

/// Property: the indexed table and the linear reference give the same answer, for random
/// policies (hosts, subnets, me, any, dynamic servers, mirrored, ports, protocols, tunnels,
/// connection types, IPv4 and IPv6) and random packets biased towards the filters' addresses.
final class TableAgreementTests: XCTestCase {
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testFastAndLinearAgreeOnRandomPolicies() throws {
        var generator = SeededGenerator(state: 2026)
        let hosts4 = (0..<12).map { address("10.77.\($0 % 3).\($0 * 7 % 250 + 1)") }
        let hosts6 = (0..<6).map { address("fd77::\($0 + 1)") }
        func randomAddress(v6: Bool) -> FilterAddress {
            switch Int.random(in: 0..<6, using: &generator) {
            case 0: return .any
            case 1: return .me
            case 2: return .server([ServerType.dns, .gateway, .wins, .dhcp].randomElement(using: &generator)!)
            case 3: return .subnet(Subnet(host: (v6 ? hosts6 : hosts4).randomElement(using: &generator)!))
            default:
                let base = (v6 ? hosts6 : hosts4).randomElement(using: &generator)!
                return .subnet(Subnet(address: base, prefixLength: v6 ? [16, 48, 64, 120].randomElement(using: &generator)! : [8, 16, 24, 30].randomElement(using: &generator)!)!)
            }
        }
        var checked = 0
        for _ in 0..<60 {
            var b = PolicyBuilder()
            for index in 0..<Int.random(in: 1...25, using: &generator) {
                let v6 = Bool.random(using: &generator)
                var filters: [Filter] = []
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    var source = randomAddress(v6: v6), destination = randomAddress(v6: v6)
                    if source.isServer { destination = .me }
                    if destination.isServer { source = .me }
                    if source == .me && destination == .me { destination = .any }
                    let proto: ProtocolSelector = [.any, .tcp, .udp, .icmp].randomElement(using: &generator)!
                    let ports = proto.hasPorts && Bool.random(using: &generator)
                    filters.append(Filter(source: source, destination: destination, protocolSelector: proto,
                                          sourcePort: ports && Bool.random(using: &generator) ? 40000 : 0,
                                          destinationPort: ports ? [80, 443, 53].randomElement(using: &generator)! : 0,
                                          mirrored: Bool.random(using: &generator)))
                }
                b.rule("r\(index)", filters, action: [.permit, .block, .negotiate].randomElement(using: &generator)!,
                       connection: [.all, .all, .lan, .dialup].randomElement(using: &generator)!)
            }
            let table = FilterTable(try FilterCompiler.compile([b.snapshot()], addresses: localMachine))
            let all4 = hosts4 + [me4, address("10.77.0.53"), address("10.77.0.1"), address("192.0.2.1")]
            let all6 = hosts6 + [me6, address("2001:db8::1")]
            for _ in 0..<300 {
                let v6 = Bool.random(using: &generator)
                let pool = v6 ? all6 : all4
                let proto: UInt8 = [1, 6, 17, 47].randomElement(using: &generator)!
                let packet = PacketSelector(source: pool.randomElement(using: &generator)!, destination: pool.randomElement(using: &generator)!,
                                            protocolNumber: proto, sourcePort: proto == 6 || proto == 17 ? [40000, 80, 53, 1234].randomElement(using: &generator)! : 0,
                                            destinationPort: proto == 6 || proto == 17 ? [80, 443, 53, 40000].randomElement(using: &generator)! : 0)
                let interface: InterfaceKind = Bool.random(using: &generator) ? .lan : .dialup
                XCTAssertEqual(table.lookup(packet, interface: interface), table.linearLookup(packet, interface: interface), "\(packet)")
                checked += 1
            }
        }
        print("table agreement: \(checked) random lookups, fast == linear")
    }
}
