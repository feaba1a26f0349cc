import Filtering
import IKE
import Packet
import Policy
import Transforms
import XCTest

/// The engines negotiate what the stored policy says: rules, filter actions, ISAKMP security
/// methods in order, `qmpfs`, and the default response rule for peers no rule covers.
final class PolicyDrivenTests: XCTestCase {
    let hostA = IPAddress("10.77.0.1")!, hostB = IPAddress("10.77.0.2")!

    func method(_ text: String) -> QuickModeSecurityMethod { try! QuickModeSecurityMethod(netsh: text) }

    /// One policy with one negotiate rule towards `peer` (or none), as `ward ipsec static` stores it.
    func running(me: IPAddress, peer: IPAddress?, mainModeMethods: String, quickModeMethods: [String], qmpfs: Bool,
                 key: String = "k", defaultResponse: DefaultResponseRule? = nil, protocolSelector: ProtocolSelector = .any) throws -> RunningPolicy {
        var policy = IPsecPolicy(name: "P", assigned: true)
        policy.isakmp.securityMethods = try MainModeSecurityMethod.parseList(mainModeMethods)
        policy.defaultResponseRule = defaultResponse ?? DefaultResponseRule(active: false)
        var rules: [Rule] = [], lists: [FilterList] = [], actions: [FilterAction] = []
        if let peer {
            let list = FilterList(name: "to peer", filters: [Filter(source: .me, destination: .subnet(Subnet(host: peer)),
                                                                    protocolSelector: protocolSelector)])
            let action = FilterAction(name: "secure", action: .negotiate, quickModePFS: qmpfs, securityMethods: quickModeMethods.map(method))
            lists.append(list)
            actions.append(action)
            rules.append(Rule(policyID: policy.id, name: "peer", filterListID: list.id, filterActionID: action.id,
                              authenticationMethods: [.preSharedKey(key)]))
        }
        let running = RunningPolicy()
        try running.update([PolicySnapshot(store: "local", policy: policy, rules: rules, filterLists: lists, filterActions: actions)],
                           addresses: StaticAddressProvider(local: [me], servers: [:], broadcast: []))
        return running
    }

    func testRulesChooseTheMethodsAndQuickModePFSUsesTheMainModeGroup() throws {
        let a = try running(me: hostA, peer: hostB, mainModeMethods: "DES-MD5-1 AES128-SHA1-3",
                            quickModeMethods: ["ESP[DES,MD5]", "ESP[AES128,SHA1]"], qmpfs: true)
        let b = try running(me: hostB, peer: hostA, mainModeMethods: "AES128-SHA1-3 3DES-SHA1-2",
                            quickModeMethods: ["ESP[AES128,SHA1]:900s"], qmpfs: true)
        let lab = EnginePair(a: RunningPolicyProvider(a), b: RunningPolicyProvider(b))
        lab.acquire()
        let installedA = try XCTUnwrap(lab.installs("A").first)
        XCTAssertEqual(installedA.transform.cipher, .aesCBC(keyBits: 128))
        XCTAssertEqual(installedA.transform.pfsGroup, .modp2048, "qmpfs takes the negotiated Main Mode group (DH 2048)")
        XCTAssertEqual(installedA.outbound.lifetime.hardSeconds, 900, "B's shorter lifetime reached A")
        XCTAssertEqual(lab.a.mainModeSummaries.first?.transform, Phase1Transform.psk(.aesCBC(keyBits: 128), .sha1, .modp2048).description)
    }

    func testARuleForOneProtocolStillKeysMainModeWithThePeer() throws {
        let a = try running(me: hostA, peer: hostB, mainModeMethods: "3DES-SHA1-2", quickModeMethods: ["ESP[3DES,SHA1]"], qmpfs: false,
                            protocolSelector: .tcp)
        let b = try running(me: hostB, peer: hostA, mainModeMethods: "3DES-SHA1-2", quickModeMethods: ["ESP[3DES,SHA1]"], qmpfs: false,
                            protocolSelector: .tcp)
        let lab = EnginePair(a: RunningPolicyProvider(a), b: RunningPolicyProvider(b))
        let tcp = TrafficSelector(local: Subnet(host: hostA), remote: Subnet(host: hostB), protocolID: 6)
        lab.acquire(tcp)
        XCTAssertEqual(lab.installs("B").first?.selector, tcp.reversed)
        // UDP is not covered: no rule, so no Quick Mode (and no SA) for it.
        lab.acquire(TrafficSelector(local: Subnet(host: hostA), remote: Subnet(host: hostB), protocolID: 17))
        XCTAssertEqual(lab.installs("A").count, 1)
    }

    func testDefaultResponseRuleAnswersAPeerNoRuleCovers() throws {
        let a = try running(me: hostA, peer: hostB, mainModeMethods: "3DES-SHA1-2", quickModeMethods: ["ESP[3DES,SHA1]"], qmpfs: false)
        let response = DefaultResponseRule(active: true, securityMethods: [method("ESP[3DES,SHA1]"), method("AH[SHA1]")],
                                           authenticationMethods: [.preSharedKey("k")])
        let b = try running(me: hostB, peer: nil, mainModeMethods: "3DES-SHA1-2", quickModeMethods: [], qmpfs: false, defaultResponse: response)
        let lab = EnginePair(a: RunningPolicyProvider(a), b: RunningPolicyProvider(b))
        lab.acquire()
        XCTAssertEqual(lab.installs("B").first?.transform.cipher, .tripleDESCBC)
        XCTAssertEqual(lab.installs("B").first?.selector, .hosts(hostB, hostA))
    }

    func testNoRuleAndNoDefaultResponseRefusesMainMode() throws {
        let a = try running(me: hostA, peer: hostB, mainModeMethods: "3DES-SHA1-2", quickModeMethods: ["ESP[3DES,SHA1]"], qmpfs: false)
        let b = try running(me: hostB, peer: nil, mainModeMethods: "3DES-SHA1-2", quickModeMethods: [], qmpfs: false)
        let lab = EnginePair(a: RunningPolicyProvider(a), b: RunningPolicyProvider(b))
        lab.acquire()
        XCTAssertTrue(lab.installs("A").isEmpty)
        XCTAssertTrue(lab.events("B").contains(.negotiationFailed(peer: hostA, reason: "no rule negotiates Main Mode with 10.77.0.1")))
        XCTAssertTrue(lab.events("A").contains { if case .negotiationFailed(_, let reason) = $0 { reason.contains("NO-PROPOSAL-CHOSEN") } else { false } })
    }
}
