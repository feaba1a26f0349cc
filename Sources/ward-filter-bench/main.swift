// Filter-table benchmark (release build, not a test): lookup time with 10, 1,000 and 10,000
// specific filters of a realistic mix (hosts, subnets, ports), beside the linear reference in
// the same run, and the compile time.
//   swift run -c release ward-filter-bench [LOOKUPS]
import Filtering
import Foundation
import Packet
import Policy

let lookups = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000
var generator = SystemRandomNumberGenerator()
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
let me = IPAddress("10.77.1.1")!
let provider = StaticAddressProvider(local: [me])

print("filters  compile ms  lookup ns  linear ns  speed-up")
for count in [10, 1_000, 10_000] {
    // Half mirrored (so rules are count/4 filters × 2 directions on average), hosts and subnets
    // in 10.0.0.0/8, a third with ports.
    var rules: [Rule] = [], lists: [FilterList] = []
    let policy = IPsecPolicy(name: "bench")
    let actions = [FilterAction(name: "permit", action: .permit, securityMethods: []),
                   FilterAction(name: "block", action: .block, securityMethods: []), FilterAction(name: "secure")]
    var produced = 0, index = 0
    while produced < count {
        let host = Bool.random(using: &generator)
        let a = UInt32.random(in: 0..<0x00FF_FFFF, using: &generator) | 0x0A00_0000
        let destination = Subnet(address: .v4(IPv4Address(a)), prefixLength: host ? 32 : [16, 24, 28].randomElement(using: &generator)!)!
        let ports = Int.random(in: 0..<3, using: &generator) == 0
        let mirrored = Bool.random(using: &generator)
        let filter = Filter(source: .me, destination: .subnet(destination), protocolSelector: ports ? .tcp : .any,
                            destinationPort: ports ? UInt16.random(in: 1...1024, using: &generator) : 0, mirrored: mirrored)
        let list = FilterList(name: "l\(index)", filters: [filter])
        lists.append(list)
        rules.append(Rule(policyID: policy.id, name: "r\(index)", filterListID: list.id, filterActionID: actions[index % 3].id))
        produced += mirrored ? 2 : 1
        index += 1
    }
    let snapshot = PolicySnapshot(store: "local", policy: policy, rules: rules, filterLists: lists, filterActions: actions)
    let compileStart = now()
    let table = FilterTable(try! FilterCompiler.compile([snapshot], addresses: provider))
    let compileMs = Double(now() - compileStart) / 1e6
    // Packets: half aimed at filter addresses, half random.
    let packets: [PacketSelector] = (0..<1024).map { i in
        let target: IPAddress
        if i % 2 == 0, let filter = table.filters.randomElement(using: &generator) {
            target = filter.destination.network == .v4(.any) ? .v4(IPv4Address(UInt32.random(in: 0...UInt32.max, using: &generator))) : filter.destination.network
        } else {
            target = .v4(IPv4Address(UInt32.random(in: 0x0A00_0000...0x0AFF_FFFF, using: &generator)))
        }
        return PacketSelector(source: me, destination: target, protocolNumber: 6, sourcePort: 40000,
                              destinationPort: UInt16.random(in: 1...1024, using: &generator))
    }
    var sink = 0
    func time(_ body: (PacketSelector) -> Int?) -> Double {
        let rounds = lookups
        let start = now()
        for i in 0..<rounds { sink &+= body(packets[i & 1023]) ?? -1 }
        return Double(now() - start) / Double(rounds)
    }
    let fast = time { table.lookup($0) }
    let linearRounds = max(1, lookups / max(1, count / 10))
    let linearStart = now()
    for i in 0..<linearRounds { sink &+= table.linearLookup(packets[i & 1023]) ?? -1 }
    let linear = Double(now() - linearStart) / Double(linearRounds)
    for packet in packets.prefix(200) { precondition(table.lookup(packet) == table.linearLookup(packet)) }
    print(String(format: "%7d  %10.1f  %9.0f  %9.0f  %7.0fx", table.filters.count, compileMs, fast, linear, linear / fast) + (sink == 42 ? " " : ""))
}
