import ESP
import Filtering
import IKE
import Packet
import Policy
import TestSupport
import XCTest
@testable import Agent
@testable import XFRM

/// Records XFRM requests and answers queries from a scripted kernel: the kernel datapath's
/// logic without a kernel (the real one is in Tests/Agent/kernel-agent.sh and boot-mode.sh).
final class RecordingXFRMChannel: XFRMChannel {
    var performed: [(type: XFRMMessageType, body: [UInt8], operation: String)] = []
    /// What a dump of policies / states returns.
    var policyDump: [XFRMRequest] = []
    var stateDump: [XFRMRequest] = []
    /// Refuse requests whose description contains this text.
    var refuse: String?

    func perform(_ request: XFRMRequest, describing operation: String) throws(XFRMError) {
        if let refuse, operation.contains(refuse) { throw XFRMError(operation: operation, code: 22) }
        performed.append((request.type, request.body, operation))
    }

    func query(_ request: XFRMRequest, describing operation: String) throws(XFRMError) -> [NetlinkMessage] {
        let answers: [XFRMRequest]
        switch request.type {
        case .getPolicy: answers = policyDump.map { XFRMRequest(.newPolicy, flags: [], fixed: $0.body) }
        case .getSA where Netlink.Flags(rawValue: request.flags).contains(.dump): answers = stateDump
        default: answers = []
        }
        return answers.flatMap { try! NetlinkMessage.split($0.encoded(sequence: 1)) }
    }

    func types() -> [XFRMMessageType] { performed.map(\.type) }
}

final class KernelDatapathTests: XCTestCase {
    func compiled(_ policy: RunningPolicy) -> [XFRMPolicy] {
        XFRMPolicyCompiler.policies(table: policy.decider.table, exemptions: policy.decider.exemptions, broadcast: [],
                                    localAddresses: [me], sourceAddress: { _ in me })
    }

    func testTheTableBecomesPoliciesInPrecedenceOrderBothWays() throws {
        let policies = compiled(try labPolicy())
        // IKE first, then each filter in precedence order.
        XCTAssertTrue(policies.prefix(16).allSatisfy { $0.priority < XFRMPolicyCompiler.band.lowerBound + 100 && $0.templates.isEmpty })
        let filters = policies.filter { $0.priority >= XFRMPolicyCompiler.band.lowerBound + 1000 }
        XCTAssertTrue(filters.allSatisfy { $0.selector.owner == 0 })
        XCTAssertEqual(filters.map(\.priority), filters.map(\.priority).sorted())
        let telnet = filters.filter { $0.selector.destinationPort == 23 }
        XCTAssertEqual(Set(telnet.map(\.direction)), [.inbound, .outbound])
        XCTAssertTrue(telnet.allSatisfy { $0.action == .block })
        let secure = filters.filter { $0.selector.source == Subnet(host: me) && $0.selector.destination == Subnet("10.77.1.0/24")! && $0.selector.protocolNumber == 0 }
        XCTAssertEqual(secure.count, 2)
        XCTAssertEqual(secure.first?.templates, [XFRMTemplate(securityProtocol: 50, reqid: XFRMPolicyCompiler.reqid)])
        // Inbound passthrough makes the inbound template optional; outbound stays required.
        let passthrough = compiled(try labPolicy(inpass: true)).filter { !$0.templates.isEmpty }
        XCTAssertTrue(passthrough.filter { $0.direction == .inbound }.allSatisfy { $0.templates[0].optional })
        XCTAssertTrue(passthrough.filter { $0.direction == .outbound }.allSatisfy { !$0.templates[0].optional })
    }

    func testSynchronizeUpdatesOnlyWhatChangedThenDeletesWhatWentAway() throws {
        let channel = RecordingXFRMChannel()
        let kernel = KernelDatapath(policy: try labPolicy(), channel: channel)
        let policies = compiled(kernel.policy)
        XCTAssertEqual(try kernel.synchronize(policies).changed, policies.count)
        XCTAssertTrue(channel.types().allSatisfy { $0 == .updatePolicy })
        channel.performed.removeAll()
        XCTAssertEqual(try kernel.synchronize(policies).changed, 0, "nothing changed, nothing sent")
        XCTAssertTrue(channel.performed.isEmpty)
        // A table without the telnet filter: its two policies go, after any update.
        let fewer = policies.filter { $0.selector.destinationPort != 23 }
        let result = try kernel.synchronize(fewer)
        XCTAssertEqual(result.removed, 2)
        XCTAssertEqual(channel.types(), [.deletePolicy, .deletePolicy])
        // A refused policy is reported, the others still go in.
        channel.performed.removeAll()
        channel.refuse = "proto 6"
        XCTAssertThrowsError(try kernel.synchronize(policies))
        XCTAssertTrue(channel.performed.isEmpty, "only the refused telnet policies differed")
    }

    func testAStartAdoptsThePreviousRunsPoliciesAndDeletesItsSAs() throws {
        let channel = RecordingXFRMChannel()
        let previous = compiled(try labPolicy())
        channel.policyDump = previous.map(\.update) + [XFRMPolicy(selector: XFRMSelector(source: Subnet(host: me), destination: Subnet(host: peer)),
                                                                   direction: .outbound, action: .allow, priority: 0).update]  // not Ward's
        let (ours, _) = saPair()
        channel.stateDump = [try KernelDatapath.state(ours.inbound, source: peer, selector: ours.selector, inbound: true).add,
                             try KernelDatapath.state(ours.outbound, source: me, selector: ours.selector, inbound: false).add,
                             XFRMState(source: me, destination: peer, spi: 9, securityProtocol: 50, tunnel: false, reqid: 1, selector: nil,
                                       replayWindow: 0, extendedSequenceNumbers: false, algorithms: [], udpEncapsulation: nil, lifetime: XFRMLifetime()).add]
        let kernel = KernelDatapath(policy: try labPolicy(), channel: channel)
        let adopted = try kernel.adoptPrevious()
        XCTAssertEqual(adopted.policies, previous.count, "the priority-0 policy is someone else's")
        XCTAssertEqual(adopted.states, 2, "only the SAs with Ward's reqid")
        XCTAssertEqual(channel.types(), [.deleteSA, .deleteSA])
        // What the previous run's outbound SA carried is renegotiated (once), so traffic this
        // host only receives comes back too.
        XCTAssertEqual(kernel.resumeRequests(localAddresses: [me], now: 0),
                       [AcquireRequest(selector: .hosts(me, peer), local: me, peer: peer, filter: kernel.policy.filterIdentity(for: .hosts(me, peer)))])
        XCTAssertTrue(kernel.resumeRequests(localAddresses: [me], now: 0).isEmpty)
        channel.performed.removeAll()
        XCTAssertEqual(try kernel.synchronize(previous).changed, 0, "the same table replaces nothing: no window")
    }

    func testPairsBecomeTwoStatesInboundFirstAndFailuresUndoTheHalf() throws {
        let channel = RecordingXFRMChannel()
        let kernel = KernelDatapath(policy: try labPolicy(), channel: channel)
        let (pair, _) = saPair()
        try kernel.install(pair, now: 0)
        XCTAssertEqual(channel.types(), [.newSA, .newSA])
        let inbound = try XCTUnwrap(try NetlinkMessage.split(XFRMRequest(.newSA, flags: [], fixed: channel.performed[0].body).encoded(sequence: 1)).first)
        XCTAssertEqual(try XFRMStateInfo(decoding: inbound).spi, 0x1000)
        XCTAssertEqual(kernel.securityAssociations.map(\.inboundSPI), [0x1000])
        channel.performed.removeAll()
        channel.refuse = "outbound SA"
        let (second, _) = saPair(inboundSPI: 0x1001, outboundSPI: 0x2001)
        XCTAssertThrowsError(try kernel.install(second, now: 1))
        XCTAssertEqual(channel.types(), [.newSA, .deleteSA], "the inbound half is taken back")
        XCTAssertEqual(kernel.securityAssociations.count, 1)
        channel.refuse = nil
        channel.performed.removeAll()
        kernel.remove(inboundSPI: 0x1000)
        XCTAssertEqual(channel.types(), [.deleteSA, .deleteSA])
        XCTAssertTrue(kernel.securityAssociations.isEmpty)
    }

    func testAcquiresAskForWhatTheUserspaceDatapathWouldAndExpiresRekeyOrRemove() throws {
        let channel = RecordingXFRMChannel()
        let policy = try labPolicy()
        let kernel = KernelDatapath(policy: policy, channel: channel)
        let flow = XFRMSelector(source: Subnet(host: me), destination: Subnet(host: peer), protocolNumber: 17, sourcePort: 40000, destinationPort: 9999)
        let packet = PacketSelector(source: me, destination: peer, protocolNumber: 17, sourcePort: 40000, destinationPort: 9999)
        guard case .negotiate(let rank) = policy.ruling(packet, direction: .outbound) else { return XCTFail("the lab negotiates") }
        let priority = XFRMPolicyCompiler.priority(forRank: rank)
        let (acquires, _) = kernel.handle(.acquire(flow: flow, templateDestination: peer, policyPriority: priority), now: 0)
        XCTAssertEqual(acquires, [AcquireRequest(selector: Datapath.selector(for: packet, filter: policy.decider.table.filters[rank]), local: me, peer: peer,
                                                 filter: policy.decider.table.filters[rank].identity)])
        // A priority that is not a negotiate filter's asks for nothing.
        XCTAssertTrue(kernel.handle(.acquire(flow: flow, templateDestination: peer, policyPriority: 7), now: 0).acquires.isEmpty)
        let (pair, _) = saPair()
        try kernel.install(pair, now: 0)
        func info(_ spi: UInt32, _ destination: IPAddress) -> XFRMStateInfo {
            XFRMStateInfo(source: me, destination: destination, spi: spi, securityProtocol: 50, reqid: XFRMPolicyCompiler.reqid, bytes: 0, packets: 0,
                          replayed: 0, integrityFailed: 0)
        }
        XCTAssertEqual(kernel.handle(.expire(info(0x2000, peer), hard: false), now: 1).acquires.map(\.rekey), [true])
        XCTAssertTrue(kernel.handle(.expire(info(0x2000, peer), hard: false), now: 2).acquires.isEmpty, "one rekey per pair")
        XCTAssertTrue(kernel.handle(.expire(info(0x1000, me), hard: false), now: 2).acquires.isEmpty, "an inbound soft expiry asks nothing")
        XCTAssertEqual(kernel.handle(.expire(info(0x1000, me), hard: true), now: 3).expired, [0x1000])
        XCTAssertTrue(kernel.securityAssociations.isEmpty)
    }

    func testASoftAssociationOpensAClearPathJustAheadOfItsFilterUntilThePeerAnswersOrItIdles() throws {
        // The lab policy with soft=yes, and a more specific block (telnet) that must still win.
        let lab = FilterList(name: "Lab", filters: [Filter(source: .me, destination: .subnet(Subnet("10.77.1.0/24")!))])
        let telnet = FilterList(name: "Telnet", filters: [Filter(source: .me, destination: .subnet(Subnet("10.77.1.0/24")!), protocolSelector: .tcp,
                                                                 destinationPort: 23)])
        let soft = FilterAction(name: "Soft", action: .negotiate, fallbackToClear: true)
        let drop = FilterAction(name: "Drop", action: .block, securityMethods: [])
        let running = try runningPolicy("Soft", rules: [("Soft", lab, soft), ("Telnet", telnet, drop)])
        let channel = RecordingXFRMChannel()
        let kernel = KernelDatapath(policy: running, channel: channel, sourceAddress: { _ in me })
        running.negotiationStarted(with: peer, now: 0)
        _ = kernel.tick(now: 1)
        XCTAssertTrue(channel.performed.isEmpty, "no fallback before 3 seconds")
        _ = kernel.tick(now: 3.5)
        let installed = try XCTUnwrap(kernel.softAssociations[peer])
        XCTAssertEqual(Set(installed.map(\.direction)), [.outbound, .inbound])
        let out = try XCTUnwrap(installed.first { $0.direction == .outbound })
        XCTAssertEqual(out.selector, XFRMSelector(source: Subnet(host: me), destination: Subnet(host: peer), owner: 1))
        XCTAssertEqual(out.action, .allow)
        XCTAssertEqual(out.lifetime.hardIdleSeconds, 300)
        // Just ahead of its own filter, behind the more specific telnet block.
        let softRank = try XCTUnwrap(running.decider.table.filters.firstIndex { $0.action == .negotiate && $0.source == Subnet(host: me) })
        let blockRank = try XCTUnwrap(running.decider.table.filters.firstIndex { $0.action == .block })
        XCTAssertEqual(out.priority, XFRMPolicyCompiler.priority(forRank: softRank) - 1)
        XCTAssertLessThan(XFRMPolicyCompiler.priority(forRank: blockRank), out.priority)
        XCTAssertEqual(channel.types(), [.updatePolicy, .updatePolicy])
        // A table change moves the filters' slots: the clear path goes and comes back at the
        // new slot on the next tick (the association itself is kept).
        channel.performed.removeAll()
        _ = try kernel.synchronize(XFRMPolicyCompiler.policies(table: running.decider.table, exemptions: running.decider.exemptions, broadcast: [],
                                                               localAddresses: [me], sourceAddress: { _ in me }))
        XCTAssertNil(kernel.softAssociations[peer])
        XCTAssertEqual(channel.types().filter { $0 == .deletePolicy }.count, 2)
        _ = kernel.tick(now: 5)
        XCTAssertEqual(kernel.softAssociations[peer]?.count, 2)
        // The peer answers IKE: the clear path goes.
        channel.performed.removeAll()
        kernel.peerAnswered(peer)
        XCTAssertEqual(channel.types(), [.deletePolicy, .deletePolicy])
        XCTAssertNil(kernel.softAssociations[peer])
        // Again, and this time the kernel idles it out: the decider forgets it too.
        running.negotiationStarted(with: peer, now: 10)
        _ = kernel.tick(now: 14)
        XCTAssertNotNil(kernel.softAssociations[peer])
        channel.performed.removeAll()
        _ = kernel.handle(.policyExpire(out.key, priority: out.priority, hard: true), now: 320)
        XCTAssertNil(kernel.softAssociations[peer])
        XCTAssertEqual(channel.types(), [.deletePolicy], "the other direction's policy goes too")
        XCTAssertFalse(running.decider.softAssociations.pendingPeers.contains(peer))
    }

    func testEachFilterBindingHasItsOwnReqidInItsTemplatesAndItsSAs() throws {
        let gatewayA = address("10.77.0.1"), gatewayB = address("10.77.0.2")
        let snapshot = try BranchOfficePolicy.snapshot(me: gatewayA, gateway: gatewayB, local: "10.77.1", remote: "10.77.2")
        let running = RunningPolicy()
        try running.update([snapshot], addresses: StaticAddressProvider(local: [gatewayA]))
        let channel = RecordingXFRMChannel()
        let kernel = KernelDatapath(policy: running, channel: channel, sourceAddress: { _ in gatewayA })
        let table = running.decider.table
        func rank(_ rule: String) throws -> Int { try XCTUnwrap(table.filters.firstIndex { $0.origin.rule.name == rule }) }
        let reqids = kernel.reqids(for: table)
        XCTAssertEqual(reqids[try rank("broad out")], reqids[try rank("broad in")], "a tunnel's two rules are one binding")
        XCTAssertEqual(reqids[try rank("specific out")], reqids[try rank("specific in")])
        XCTAssertNotEqual(reqids[try rank("broad out")], reqids[try rank("specific out")], "nested rules never share SAs")
        XCTAssertTrue(reqids.allSatisfy { XFRMPolicyCompiler.reqids.contains($0) && $0 != XFRMPolicyCompiler.reqid })
        let specificReqid = reqids[try rank("specific out")], broadReqid = reqids[try rank("broad out")]

        let policies = XFRMPolicyCompiler.policies(table: table, exemptions: running.decider.exemptions, broadcast: [], localAddresses: [gatewayA],
                                                   sourceAddress: { _ in gatewayA }, reqids: reqids)
        func templateReqids(_ source: String, _ destination: String, _ direction: XFRMDirection) -> [UInt32] {
            policies.filter { $0.selector.source == Subnet(source)! && $0.selector.destination == Subnet(destination)! && $0.direction == direction }
                .flatMap(\.templates).map(\.reqid)
        }
        XCTAssertEqual(templateReqids("10.77.1.128/25", "10.77.2.128/25", .outbound), [specificReqid])
        XCTAssertEqual(templateReqids("10.77.2.128/25", "10.77.1.128/25", .inbound), [specificReqid],
                       "inbound /25 traffic must arrive under the specific rule's SA")
        XCTAssertEqual(templateReqids("10.77.2.0/24", "10.77.1.0/24", .inbound), [broadReqid])

        let specific = TrafficSelector(local: Subnet("10.77.1.128/25")!, remote: Subnet("10.77.2.128/25")!)
        var (pair, _) = saPair(inboundSPI: 0x1200, outboundSPI: 0x2200, selector: specific, filter: table.filters[try rank("specific out")].identity)
        pair.peer = .init(gatewayB, 500)
        try kernel.install(pair, now: 0)
        let states = try channel.performed.filter { $0.type == .newSA }.map { body in
            try XFRMStateInfo(decoding: try XCTUnwrap(try NetlinkMessage.split(XFRMRequest(.newSA, flags: [], fixed: body.body).encoded(sequence: 1)).first))
        }
        XCTAssertEqual(states.map(\.reqid), [specificReqid, specificReqid], "both SAs carry the binding's reqid")
        XCTAssertEqual(kernel.securityAssociations.first?.serves?.rule, "specific out")

        // trace: the specific rule's packet would use its SA; the broad rule's would negotiate.
        let specificPacket = PacketSelector(source: address("10.77.1.200"), destination: address("10.77.2.200"), protocolNumber: 1)
        guard case .securityAssociation(let spi, _, _, _) = kernel.outboundChoice(for: specificPacket, now: 0) else { return XCTFail("the /25 SA") }
        XCTAssertEqual(spi, 0x2200)
        let broadPacket = PacketSelector(source: address("10.77.1.5"), destination: address("10.77.2.5"), protocolNumber: 1)
        guard case .negotiation(let request) = kernel.outboundChoice(for: broadPacket, now: 0) else { return XCTFail("no /24 SA yet") }
        XCTAssertEqual(request.filter, table.filters[try rank("broad out")].identity)

        // The same policy compiled again keeps the reqids (the SA stays usable); an edited
        // action gets a new one and its old pair is retired.
        try running.update([snapshot], addresses: StaticAddressProvider(local: [gatewayA]))
        XCTAssertEqual(kernel.reqids(for: running.decider.table), reqids)
        XCTAssertEqual(kernel.pairsNoLongerCovered(now: 1), [])
        var edited = snapshot
        let key = try XCTUnwrap(edited.filterActions.first { $0.value.name == "Specific" }?.key)
        edited.filterActions[key]?.securityMethods = try QuickModeSecurityMethod.parseList("ESP[AES128,SHA1]")
        try running.update([edited], addresses: StaticAddressProvider(local: [gatewayA]))
        let next = kernel.reqids(for: running.decider.table)
        XCTAssertNotEqual(next[try rank("specific out")], specificReqid)
        XCTAssertEqual(next[try rank("broad out")], broadReqid)
        XCTAssertEqual(kernel.pairsNoLongerCovered(now: 2), [0x1200])
    }
}
