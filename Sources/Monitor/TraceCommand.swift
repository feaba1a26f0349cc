import Agent
import DomainClient
import Filtering
import Foundation
import Kerberos
import Netsh
import Packet
import Platform
import Policy
import PolicyStore

/// `ipsec trace`: which rule decides a packet, and why — the persistent and assigned local
/// policies compiled against this machine's addresses, the decision, the policy, rule, filter
/// list and filter, the weight, and the nearest filters that did not decide it. `ward` and the
/// console's trace form run this same command, so both give the same answer.
public enum TraceCommand {
    /// The command, asking the agent at `socketPath` which SA it would use.
    public static func command(socketPath: String) -> ExtensionCommand {
        ExtensionCommand(
            context: ["ipsec"], words: ["trace"],
            parameters: [ParameterSpec("srcaddr", required: true, "<address>|me"), ParameterSpec("dstaddr", required: true, "<address>|me"),
                         ParameterSpec("protocol", "ANY|ICMP|TCP|UDP|<0-255>"), ParameterSpec("srcport", "<0-65535>"),
                         ParameterSpec("dstport", "<0-65535>"), ParameterSpec("direction", "in|out"),
                         ParameterSpec("conntype", "lan|dialup"), ParameterSpec("protected", "yes|no")],
            summary: "Explains what the stored policy does with a packet: decision, rule, filter, weight, near misses.",
            remarks: ["me stands for an address of this computer.", "direction defaults to out when srcaddr is me, else in.",
                      "protected=yes: the packet arrived through IPsec (inbound)."],
            run: { session, arguments in try run(session, arguments, socketPath: socketPath) })
    }

    static func run(_ session: NetshSession, _ arguments: ExtensionArguments, socketPath: String) throws -> CommandOutput {
        let machine = SystemConfiguration.read()
        func resolve(_ tag: String, peerIsIPv6: Bool?) throws -> IPAddress {
            let text = try arguments.requiredString(tag)
            if text.lowercased() == "me" {
                let wantV6 = peerIsIPv6 ?? false
                guard let local = machine.localAddresses.first(where: { $0.isIPv4 != wantV6 }) ?? machine.localAddresses.first else {
                    throw arguments.fail(tag, "this computer has no address to stand for 'me'")
                }
                return local
            }
            guard let address = IPAddress(text) else { throw arguments.fail(tag, "'\(text)' is not an IP address or me") }
            return address
        }
        let sourceText = try arguments.requiredString("srcaddr"), destinationText = try arguments.requiredString("dstaddr")
        let source = try resolve("srcaddr", peerIsIPv6: IPAddress(destinationText).map { !$0.isIPv4 })
        let destination = try resolve("dstaddr", peerIsIPv6: !source.isIPv4)
        guard source.isIPv4 == destination.isIPv4 else { throw arguments.fail("dstaddr", "source and destination are of different IP versions") }
        let protocolSelector: ProtocolSelector
        do { protocolSelector = try ProtocolSelector(netsh: arguments.string("protocol") ?? "ANY") } catch {
            throw arguments.fail("protocol", error.message)
        }
        func port(_ tag: String) throws -> UInt16 {
            guard let text = arguments.string(tag) else { return 0 }
            guard let value = UInt16(text) else { throw arguments.fail(tag, "'\(text)' is not a port 0-65535") }
            if value != 0 && !protocolSelector.hasPorts { throw arguments.fail(tag, "ports need protocol=TCP or UDP") }
            return value
        }
        let direction: Direction
        switch arguments.string("direction")?.lowercased() {
        case nil: direction = sourceText.lowercased() == "me" || machine.localAddresses.contains(source) ? .outbound : .inbound
        case "in", "inbound": direction = .inbound
        case "out", "outbound": direction = .outbound
        case let other?: throw arguments.fail("direction", "'\(other)' is not in or out")
        }
        let interface: InterfaceKind = arguments.string("conntype")?.lowercased() == "dialup" ? .dialup : .lan
        let protected = NetshBoolean.parse(arguments.string("protected") ?? "no") ?? false
        let packet = PacketSelector(source: source, destination: destination, protocolNumber: protocolSelector.number ?? 0,
                                    sourcePort: try port("srcport"), destinationPort: try port("dstport"))
        var snapshots = try PolicyLoader.assignedSnapshots { location, body in try session.readStore(location, body) }
        // The domain layer, as the agent last put it in force: in the local policy's place.
        let cache = DomainPolicyCache(path: ProcessInfo.processInfo.environment["WARD_DOMAIN_CACHE"] ?? AgentConfiguration().domainCachePath)
        do {
            if let record = try cache.load() {
                snapshots = snapshots.filter { $0.store == StoreLocation.persistent.rawValue } + [try record.snapshot()]
            }
        } catch { throw NetshError("trace: \(error)") }
        let filters: [SpecificFilter]
        do { filters = try FilterCompiler.compile(snapshots, addresses: machine) } catch { throw NetshError(error.message) }
        var decider = PolicyDecider(table: FilterTable(filters), broadcast: machine.broadcastAddresses)
        let explanation = decider.explain(packet, direction: direction, interface: interface, protected: protected)
        var lines = explanation.lines
        if direction == .outbound, explanation.decision.verdict == .negotiate {
            let at = lines.firstIndex(of: "Nearest other filters:") ?? lines.endIndex
            lines.insert("SA now      : " + agentChoice(packet, socketPath: socketPath), at: at)
        }
        // The seed's warning: Kerberos needs the KDCs in the clear.
        if KerberosReachability.reliesOnKerberos(decider.table) {
            let (_, kdcs) = KDCLocator.locate()
            lines += KerberosReachability.problems(&decider, local: machine.localAddresses, kdcs: kdcs)
                .map { "Warning     : a rule relies on Kerberos, and " + $0 }
        }
        let header = snapshots.isEmpty ? ["Policies    : none assigned (persistent, domain and local stores)"]
            : ["Policies    : " + snapshots.map { "\($0.policy.name) (\($0.store))" }.joined(separator: ", ") + " — \(filters.count) specific filters"]
        return CommandOutput((header + lines).joined(separator: "\n"))
    }

    /// Which SA the running agent would send the packet under (its own table: the same stores,
    /// plus its dynamic rules), or why that cannot be said.
    static func agentChoice(_ packet: PacketSelector, socketPath: String) -> String {
        let request = ControlRequest(command: "trace sa", arguments: [
            "srcaddr": "\(packet.source)", "dstaddr": "\(packet.destination)", "protocol": "\(packet.protocolNumber)",
            "srcport": "\(packet.sourcePort)", "dstport": "\(packet.destinationPort)",
        ])
        let answer: String
        do throws(SocketError) { answer = try UnixControlSocket.exchange(path: socketPath, request: request.encoded) } catch {
            return "unknown: the agent (wardd) is not reachable at \(socketPath) (\(error.reason))"
        }
        let response = ControlResponse.decode(answer)
        return response.status == 0 ? response.output : "unknown: \(response.output)"
    }
}
