import ESP
import Filtering
import Foundation
import IKE
import Packet

/// The control API: `ipsec dynamic` commands that `ward` sends over the control socket.
extension AgentRuntime {
    /// Answers one request. A malformed request is refused with a message naming what was wrong;
    /// nothing a client sends can stop the agent.
    func handle(_ request: Data) -> ControlResponse {
        guard !request.isEmpty else { return ControlResponse(status: 1, output: "empty or oversized request") }
        let decoded: ControlRequest
        do { decoded = try JSONDecoder().decode(ControlRequest.self, from: request) } catch {
            return ControlResponse(status: 1, output: "malformed request: not a JSON control request (\(request.count) bytes)")
        }
        let report = MonitorReport(runtime: self, arguments: decoded.arguments)
        switch decoded.command.lowercased() {
        case "trace sa": return traceSA(decoded.arguments)
        case "show rsop": return ControlResponse(status: 0, output: ResultantSetOfPolicy(runtime: self).text)
        case "gpupdate":
            guard let worker = groupPolicy else {
                return ControlResponse(status: 1, output: "gpupdate: this host takes no domain policy (wardd was started without --domain)")
            }
            return ControlResponse(status: 0, output: String(worker.updateNow()))
        case "gpupdate status":
            // Answered once the cycle `cycle` has run and its event was applied (the loop
            // drains events every second): "done" and the state, or "running".
            guard let worker = groupPolicy, let cycle = decoded.arguments["cycle"].flatMap({ Int($0) }) else {
                return ControlResponse(status: 1, output: "gpupdate status: cycle is required")
            }
            let done = worker.completedCycles >= cycle
            drainGroupPolicy()
            guard done else { return ControlResponse(status: 0, output: "running") }
            return ControlResponse(status: 0, output: (groupPolicyCycleFailed ? "failed\n" : "done\n") + groupPolicyStatus)
        case "show mmsas": return ControlResponse(status: 0, output: report.mainModeSAs())
        case "show qmsas": return ControlResponse(status: 0, output: report.quickModeSAs())
        case "show stats":
            switch decoded.arguments["type"]?.lowercased() {
            case nil: return ControlResponse(status: 0, output: report.ikeStatistics() + "\n" + report.ipsecStatistics())
            case "ike": return ControlResponse(status: 0, output: report.ikeStatistics())
            case "ipsec": return ControlResponse(status: 0, output: report.ipsecStatistics())
            case let other?: return ControlResponse(status: 1, output: "show stats: type '\(other)' is not ike or ipsec")
            }
        case "show config": return ControlResponse(status: 0, output: report.configuration())
        case "show mmfilter": return ControlResponse(status: 0, output: report.mainModeFilters())
        case "show qmfilter": return ControlResponse(status: 0, output: report.quickModeFilters())
        case "show all":
            return ControlResponse(status: 0, output: [report.configuration(), report.dynamicMainModePolicies(), report.dynamicQuickModePolicies(),
                                                       report.dynamicRules(), report.mainModeFilters(), report.quickModeFilters(),
                                                       report.mainModeSAs(), report.quickModeSAs(), report.ikeStatistics(),
                                                       report.ipsecStatistics()].joined(separator: "\n"))
        case "set config":
            return setConfig(decoded.arguments)
        case "show mmpolicy": return ControlResponse(status: 0, output: report.dynamicMainModePolicies())
        case "show qmpolicy": return ControlResponse(status: 0, output: report.dynamicQuickModePolicies())
        case "show rule": return ControlResponse(status: 0, output: report.dynamicRules())
        default:
            if let response = handleDynamic(decoded.command.lowercased(), decoded.arguments, order: decoded.order) { return response }
            return ControlResponse(status: 1, output: "the agent does not know the command '\(decoded.command)'")
        }
    }

    private func setConfig(_ arguments: [String: String]) -> ControlResponse {
        guard let property = arguments["property"], let value = arguments["value"] else {
            return ControlResponse(status: 1, output: "set config: property and value are required")
        }
        var next = settings
        do {
            try next.set(property, value)
            try next.save(path: configuration.configPath)
        } catch {
            return ControlResponse(status: 1, output: "set config: \(error)")
        }
        settings = next
        log(.notice, "config set", ["property": property.lowercased(), "value": value])
        let restart = AgentSettings.restartRequired.contains(property.lowercased())
        return ControlResponse(status: 0, output: restart ? "The new value of \(property.lowercased()) takes effect when the IPsec agent (wardd) restarts." : "")
    }

    /// `ward ipsec trace` asks which SA an outbound packet would use now: arguments `srcaddr`,
    /// `dstaddr`, `protocol` (a number), `srcport`, `dstport`.
    func traceSA(_ arguments: [String: String]) -> ControlResponse {
        guard let source = arguments["srcaddr"].flatMap({ IPAddress($0) }), let destination = arguments["dstaddr"].flatMap({ IPAddress($0) }) else {
            return ControlResponse(status: 1, output: "trace sa: srcaddr and dstaddr must be IP addresses")
        }
        func number<T: FixedWidthInteger>(_ tag: String, _: T.Type) -> T? { arguments[tag].map { T($0) } ?? 0 }
        guard let protocolNumber = number("protocol", UInt8.self), let sourcePort = number("srcport", UInt16.self),
              let destinationPort = number("dstport", UInt16.self) else {
            return ControlResponse(status: 1, output: "trace sa: protocol is 0-255 and ports are 0-65535")
        }
        let packet = PacketSelector(source: source, destination: destination, protocolNumber: protocolNumber, sourcePort: sourcePort,
                                    destinationPort: destinationPort)
        return ControlResponse(status: 0, output: backend.outboundChoice(for: packet, now: now).text)
    }
}
