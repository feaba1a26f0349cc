import ESP
import Filtering
import Foundation
import IKE
import Packet
import Policy
import Transforms
@testable import Agent

/// Records what the datapath hands to the host and the wire.
final class RecordingSink: PacketSink {
    var transmitted: [(packet: [UInt8], to: IPAddress)] = []
    var delivered: [[UInt8]] = []

    func transmit(_ packet: UnsafeRawBufferPointer, to destination: IPAddress) -> Bool {
        transmitted.append((Array(packet), destination))
        return true
    }

    func deliver(_ packet: UnsafeRawBufferPointer) -> Bool {
        delivered.append(Array(packet))
        return true
    }
}

func address(_ text: String) -> IPAddress { IPAddress(text)! }

let me = address("10.77.1.1"), peer = address("10.77.1.2"), outsider = address("10.77.2.9")

/// One assigned local policy `name` in force on `me`, each rule tying a filter list to a filter
/// action (in the order given; a more specific filter still wins).
func runningPolicy(_ name: String, rules: [(name: String, list: FilterList, action: FilterAction)]) throws -> RunningPolicy {
    let policy = IPsecPolicy(name: name, assigned: true)
    let running = RunningPolicy()
    try running.update([PolicySnapshot(store: "local", policy: policy,
                                       rules: rules.map { Rule(policyID: policy.id, name: $0.name, filterListID: $0.list.id, filterActionID: $0.action.id) },
                                       filterLists: rules.map(\.list), filterActions: rules.map(\.action))],
                       addresses: StaticAddressProvider(local: [me]))
    return running
}

/// The agent tests' policy, as the netsh script in Tests/Agent/policy.txt writes it: the lab
/// network 10.77.1.0/24 negotiates, telnet from it is blocked, port 8080 is clear.
func labPolicy(inpass: Bool = false) throws -> RunningPolicy {
    let lab = FilterList(name: "Lab", filters: [Filter(source: .me, destination: .subnet(Subnet("10.77.1.0/24")!))])
    let telnet = FilterList(name: "Telnet", filters: [Filter(source: .subnet(Subnet("10.77.1.0/24")!), destination: .me,
                                                             protocolSelector: .tcp, destinationPort: 23, mirrored: false)])
    let web = FilterList(name: "Web", filters: [Filter(source: .me, destination: .subnet(Subnet("10.77.1.0/24")!), protocolSelector: .tcp,
                                                       destinationPort: 8080)])
    let secure = FilterAction(name: "Lab Secure", action: .negotiate, inboundPassthrough: inpass)
    let drop = FilterAction(name: "Drop", action: .block, securityMethods: [])
    let permit = FilterAction(name: "Permit", action: .permit, securityMethods: [])
    return try runningPolicy("Lab", rules: [("Secure lab", lab, secure), ("No telnet", telnet, drop), ("Web", web, permit)])
}

/// An IPv4 packet with valid checksums: UDP or TCP (ports), or ICMP echo.
func ipv4(_ source: IPAddress, _ destination: IPAddress, protocolNumber: UInt8, sourcePort: UInt16 = 40000, destinationPort: UInt16 = 7,
          payload: [UInt8] = Array("ward datapath test payload".utf8)) -> [UInt8] {
    guard case .v4(let s) = source, case .v4(let d) = destination else { fatalError("IPv4 only") }
    var transport: [UInt8]
    switch protocolNumber {
    case 17: transport = [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF),
                          UInt8((8 + payload.count) >> 8), UInt8((8 + payload.count) & 0xFF), 0, 0]
    case 6: transport = [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF),
                         0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
    default: transport = [8, 0, 0, 0, 0, 1, 0, 1]
    }
    transport += payload
    let total = 20 + transport.count
    let packet = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0x12, 0x34, 0x40, 0, 64, protocolNumber, 0, 0] + s.octets + d.octets + transport
    let buffer = PacketBuffer()
    try! buffer.load(packet)
    try! IPLayout.updateIPv4Checksum(buffer, headerLength: 20)
    return buffer.array
}

/// A transport-mode AES-CBC/HMAC-SHA1 SA pair between `me` and `peer`, as IKE would hand it
/// over (`mirror`: the peer's view of the same pair, to build and read the other side's ESP).
/// `filter`: the specific filter the pair is bound to (nil: the default response rule's).
func saPair(inboundSPI: UInt32 = 0x1000, outboundSPI: UInt32 = 0x2000, lifetime: Lifetime = .unlimited,
            selector: TrafficSelector = .hosts(me, peer), filter: FilterIdentity? = nil) -> (ours: NegotiatedSAPair, theirs: NegotiatedSAPair) {
    func parameters(_ spi: UInt32, to destination: IPAddress, seed: UInt8) -> SAParameters {
        SAParameters(spi: spi, destination: destination, encryption: .aesCBC(keyBits: 128),
                     encryptionKey: (0..<16).map { $0 &+ seed }, integrity: .hmacSHA1_96, integrityKey: (0..<20).map { $0 &* 3 &+ seed },
                     lifetime: lifetime)
    }
    let transform = QuickModeTransform(ipsecProtocol: .esp, cipher: .aesCBC(keyBits: 128), integrity: .hmacSHA1_96, encapsulation: .transport)
    let inbound = parameters(inboundSPI, to: me, seed: 1), outbound = parameters(outboundSPI, to: peer, seed: 2)
    return (NegotiatedSAPair(selector: selector, peer: .init(peer, 500), inbound: inbound, outbound: outbound, transform: transform, filter: filter),
            NegotiatedSAPair(selector: selector.reversed, peer: .init(me, 500), inbound: outbound, outbound: inbound, transform: transform))
}

extension RunningPolicy {
    /// The identity of the negotiate filter that contains `selector`, as IKE binds a pair.
    func filterIdentity(for selector: TrafficSelector) -> FilterIdentity? {
        let table = decider.table
        guard let rank = table.filter(containing: selector.local, selector.remote, protocolNumber: selector.protocolID,
                                      localPort: selector.localPort, remotePort: selector.remotePort),
              table.filters[rank].action == .negotiate else { return nil }
        return table.filters[rank].identity
    }
}

/// The ESP packet the other side sends for `inner` under the outbound SA of `pair` (its view),
/// with the sequence number `sequence` when given.
func protected(_ inner: [UInt8], under pair: NegotiatedSAPair, sequence: UInt64 = 0) throws -> [UInt8] {
    let outbound = try SecurityAssociation(pair.outbound, now: 0)
    if sequence > 0 { outbound.testingSetSequence(sequence) }
    let buffer = PacketBuffer()
    try buffer.load(inner)
    try outbound.encapsulate(buffer, now: 0, ivSource: CountingIVSource())
    return buffer.array
}

/// A fixed IV source: tests need no randomness to check a round trip.
final class CountingIVSource: IVSource {
    var counter: UInt8 = 0
    func fill(_ iv: UnsafeMutableRawBufferPointer) throws(TransformError) {
        counter &+= 1
        for index in iv.indices { iv[index] = counter &+ UInt8(truncatingIfNeeded: index) }
    }
}

extension Datapath {
    /// Feeds one outbound packet.
    func send(_ packet: [UInt8], now: Double = 0) -> AcquireRequest? {
        let buffer = PacketBuffer()
        try! buffer.load(packet)
        return outbound(buffer, now: now)
    }

    func receiveClear(_ packet: [UInt8], now: Double = 0) {
        let buffer = PacketBuffer()
        try! buffer.load(packet)
        inboundClear(buffer, now: now)
    }

    func receiveProtected(_ packet: [UInt8], now: Double = 0) {
        let buffer = PacketBuffer()
        try! buffer.load(packet)
        inboundProtected(buffer, now: now)
    }
}
