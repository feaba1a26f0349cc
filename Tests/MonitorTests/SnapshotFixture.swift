@testable import Agent
import ESP
import Foundation
import IKE
import Packet

/// Snapshots as the agent's loop makes them, with the numbers a test chooses.
enum SnapshotFixture {
    static func pair(inbound: UInt32, outbound: UInt32, peer: String = "10.77.1.2", sent: UInt64 = 0, received: UInt64 = 0,
                     packetsSent: UInt64 = 0, packetsReceived: UInt64 = 0, installedAt: Double = 0) -> InstalledSAPair {
        var outboundStatistics = IPsecStatistics(), inboundStatistics = IPsecStatistics()
        outboundStatistics.confidentialBytesSent = sent
        outboundStatistics.packetsSent = packetsSent
        inboundStatistics.confidentialBytesReceived = received
        inboundStatistics.packetsReceived = packetsReceived
        return InstalledSAPair(selector: TrafficSelector(local: Subnet("10.77.1.1/32")!, remote: Subnet(peer + "/32")!),
                               peer: IPAddress(peer)!, outboundSPI: outbound, inboundSPI: inbound, transform: "ESP AES-CBC-128 HMAC-SHA1-96 transport",
                               installedAt: installedAt, inbound: inboundStatistics, outbound: outboundStatistics, udpEncapsulated: false,
                               tunnel: false, serves: nil)
    }

    static func snapshot(uptime: Double, pairs: [InstalledSAPair] = [], protected: UInt64 = 0, keyAdds: UInt64 = 0, failures: UInt64 = 0,
                         blocked: UInt64 = 0, badSPI: UInt64 = 0) -> AgentSnapshot {
        var counters = DatapathCounters()
        counters.outboundProtected = protected
        counters.outboundBlocked = blocked
        var ike = IKEStatistics()
        ike.totalKeyAdd = keyAdds
        ike.negotiationFailures = failures
        var ipsec = IPsecStatistics()
        for pair in pairs {
            ipsec.confidentialBytesSent += pair.outbound.confidentialBytesSent
            ipsec.confidentialBytesReceived += pair.inbound.confidentialBytesReceived
            ipsec.packetsSent += pair.outbound.packetsSent
            ipsec.packetsReceived += pair.inbound.packetsReceived
        }
        ipsec.badSPIPackets = badSPI
        return AgentSnapshot(takenAt: Date(timeIntervalSince1970: 1_800_000_000 + uptime), uptime: uptime, mainModeSAs: [], quickModeSAs: pairs,
                             ike: ike, ipsec: ipsec, counters: counters, pendingKeyOperations: 0, activeTunnels: 0,
                             policySummary: "Lab (local)", tableGeneration: 3, filterCount: 9, compileSeconds: 0.002,
                             lastPolicyChange: Date(timeIntervalSince1970: 1_800_000_000), layers: [], layerStates: [], dynamicRuleCount: 0,
                             groupPolicy: nil, groupPolicyStatus: "no domain", resultantSetOfPolicyText: "", datapath: "userspace",
                             agentStarted: Date(timeIntervalSince1970: 1_800_000_000))
    }
}
