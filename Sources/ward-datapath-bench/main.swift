// Datapath benchmark (release build, not a test): what `Datapath` adds to ESP per packet.
// Outbound: a 1,400-byte TCP segment is decided by the filter table (the agent tests' policy,
// see Tests/Agent/policy.txt), matched to its SA and encapsulated; inbound: an ESP packet is
// decapsulated, checked against its SA's selectors and the table, and delivered. Both beside
// bare `SecurityAssociation.encapsulate` / `SecurityAssociationDatabase.decapsulate` of the same
// packet in the same run (the ratio is the cost of policy), with heap allocations per packet
// counted by an interposed allocator. The sink discards packets.
//   swift run -c release ward-datapath-bench [PACKETS]
import Agent
import ESP
import Filtering
import Foundation
import IKE
import MallocCounter
import Packet
import Policy
import Transforms

let packets = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000
let me = IPAddress("10.77.1.1")!, peer = IPAddress("10.77.1.2")!

final class DiscardingSink: PacketSink {
    var count = 0
    func transmit(_ packet: UnsafeRawBufferPointer, to destination: IPAddress) -> Bool { count += 1; return true }
    func deliver(_ packet: UnsafeRawBufferPointer) -> Bool { count += 1; return true }
}

func tcpSegment(from source: IPAddress, to destination: IPAddress, payload: Int) -> [UInt8] {
    guard case .v4(let s) = source, case .v4(let d) = destination else { fatalError("IPv4") }
    let total = 40 + payload
    var packet: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 6, 0, 0] + s.octets + d.octets
    packet += [0x9C, 0x40, 0x23, 0x29, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xFF, 0xFF, 0, 0, 0, 0]
    packet += (0..<payload).map { UInt8(truncatingIfNeeded: $0) }
    return packet
}

func policy() throws -> RunningPolicy {
    let policy = IPsecPolicy(name: "Lab", assigned: true)
    let lab = FilterList(name: "Lab", filters: [Filter(source: .me, destination: .subnet(Subnet("10.77.1.0/24")!))])
    let telnet = FilterList(name: "Telnet", filters: [Filter(source: .subnet(Subnet("10.77.1.0/24")!), destination: .me,
                                                             protocolSelector: .tcp, destinationPort: 23, mirrored: false)])
    let secure = FilterAction(name: "Lab Secure", action: .negotiate)
    let drop = FilterAction(name: "Drop", action: .block, securityMethods: [])
    let rules = [Rule(policyID: policy.id, name: "Secure lab", filterListID: lab.id, filterActionID: secure.id),
                 Rule(policyID: policy.id, name: "No telnet", filterListID: telnet.id, filterActionID: drop.id)]
    let running = RunningPolicy()
    try running.update([PolicySnapshot(store: "local", policy: policy, rules: rules, filterLists: [lab, telnet], filterActions: [secure, drop])],
                       addresses: StaticAddressProvider(local: [me]))
    return running
}

func parameters(_ spi: UInt32, to destination: IPAddress, _ encryption: EncryptionAlgorithm, _ integrity: Transforms.IntegrityAlgorithm?) -> SAParameters {
    SAParameters(spi: spi, destination: destination, encryption: encryption, encryptionKey: [UInt8](repeating: 3, count: encryption.keyMaterialLength),
                 integrity: integrity, integrityKey: [UInt8](repeating: 5, count: integrity?.keyLength ?? 0))
}

func measure(_ count: Int, _ body: () -> Void) -> (nanoseconds: Double, allocations: Double) {
    for _ in 0..<1000 { body() }
    let allocations = ward_allocation_count()
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<count { body() }
    let elapsed = DispatchTime.now().uptimeNanoseconds - start
    return (Double(elapsed) / Double(count), Double(ward_allocation_count() - allocations) / Double(count))
}

print("packets: \(packets) per measurement, 1,400-byte TCP payload")
print("suite                     path       bare ESP ns  datapath ns   ratio   allocs/pkt")
for (name, encryption, integrity) in [("AES-GCM-128", EncryptionAlgorithm.aesGCM16(keyBits: 128), Transforms.IntegrityAlgorithm?.none),
                                      ("AES-CBC-128+HMAC-SHA1", .aesCBC(keyBits: 128), .hmacSHA1_96)] {
    let sink = DiscardingSink()
    let datapath = Datapath(policy: try policy(), sink: sink)
    let inbound = parameters(0x1000, to: me, encryption, integrity), outbound = parameters(0x2000, to: peer, encryption, integrity)
    let transform = QuickModeTransform(ipsecProtocol: .esp, cipher: encryption, integrity: integrity, encapsulation: .transport)
    // Bound to the lab rule's filter, as IKE binds the pair it negotiates for it.
    let table = datapath.policy.decider.table
    let selector = TrafficSelector.hosts(me, peer)
    let filter = table.filter(containing: selector.local, selector.remote, protocolNumber: 0, localPort: 0, remotePort: 0).map { table.filters[$0].identity }
    try datapath.install(NegotiatedSAPair(selector: selector, peer: .init(peer, 500), inbound: inbound, outbound: outbound,
                                          transform: transform, filter: filter), now: 0)
    let buffer = PacketBuffer()
    let segment = tcpSegment(from: me, to: peer, payload: 1400)
    // Outbound: bare ESP vs. decide + SA lookup + ESP.
    let bareSA = try SecurityAssociation(outbound, now: 0)
    let iv = RandomIVSource()
    let bareOut = measure(packets) { try! buffer.load(segment); _ = try! bareSA.encapsulate(buffer, now: 1, ivSource: iv) }
    let pathOut = measure(packets) { try! buffer.load(segment); _ = datapath.outbound(buffer, now: 1) }
    // Inbound: ESP packets the peer would send, prepared in advance (each SAD sees each once).
    let peerSA = try SecurityAssociation(inbound, now: 0)
    let reply = tcpSegment(from: peer, to: me, payload: 1400)
    let prepared: [[UInt8]] = (0..<(packets + 1000)).map { _ in
        try! buffer.load(reply)
        _ = try! peerSA.encapsulate(buffer, now: 0, ivSource: iv)
        return buffer.array
    }
    let bareSAD = SecurityAssociationDatabase()
    bareSAD.add(inbound: try SecurityAssociation(inbound, now: 0))
    var next = 0
    let bareIn = measure(packets) { try! buffer.load(prepared[next]); next += 1; _ = try! bareSAD.decapsulate(buffer, now: 1) }
    next = 0
    let pathIn = measure(packets) { try! buffer.load(prepared[next]); next += 1; datapath.inboundProtected(buffer, now: 1) }
    for (path, bare, full) in [("outbound", bareOut, pathOut), ("inbound", bareIn, pathIn)] {
        print(name.padding(toLength: 26, withPad: " ", startingAt: 0) + path.padding(toLength: 10, withPad: " ", startingAt: 0)
              + String(format: "%12.0f %12.0f %7.2f %11.2f", bare.nanoseconds, full.nanoseconds, full.nanoseconds / bare.nanoseconds, full.allocations))
    }
    precondition(datapath.counters.outboundProtected > 0 && datapath.counters.inboundProtected > 0, "the datapath did not carry the packets")
}
