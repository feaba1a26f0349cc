import Agent
import Directory
import DomainClient
import DomainStore
import Foundation
import GroupPolicy
import Netsh

/// `ipsec show rsop` and `ipsec gpupdate`: Group Policy as this host receives it.
///
/// Logging mode asks the running agent (what it holds in force and why); planning mode
/// (`som=`) reads the directory with the caller's Kerberos tickets, as an administrator runs
/// the RSoP snap-in's planning mode, and says which policy a computer placed there would
/// receive, and from which GPO.
enum GroupPolicyCommands {
    static var all: [ExtensionCommand] { [rsop, gpupdate] }

    static var rsop: ExtensionCommand {
        ExtensionCommand(
            context: ["ipsec"], words: ["show", "rsop"],
            parameters: [ParameterSpec("mode", "logging|planning"), ParameterSpec("som", "<container DN>"), ParameterSpec("computer", "<account>"),
                         ParameterSpec("site", "<site name>"),
                         ParameterSpec("domain", "<domain or controller>")],
            summary: "Shows the Resultant Set of Policy: which GPO's IPsec policy applies, why the others do not, and every layer in force.",
            remarks: ["Logging mode (the default) asks the running agent about this host.",
                      "Planning mode (som=\"OU=...,DC=...\") asks the directory with your Kerberos tickets what a computer in that container would receive.",
                      "Planning mode with computer=NAME$ evaluates that computer account where it is, with its own groups (site=NAME adds a site)."],
            run: { _, arguments in
                let planned = arguments.string("som") != nil || arguments.string("computer") != nil
                let mode = arguments.string("mode")?.lowercased() ?? (planned ? "planning" : "logging")
                switch mode {
                case "logging":
                    return CommandOutput(try DynamicCommands.ask(ControlRequest(command: "show rsop")))
                case "planning":
                    let target: PlanningTarget
                    if let som = arguments.string("som") {
                        target = .scope(som)
                    } else if let computer = arguments.string("computer") {
                        target = .computer(computer.hasSuffix("$") ? computer : computer + "$")
                    } else {
                        throw arguments.fail("som", "planning mode needs the container (som=\"OU=...,DC=...\") or the computer (computer=NAME$)")
                    }
                    return CommandOutput(try plan(target, site: arguments.string("site"), domain: arguments.string("domain")))
                default:
                    throw arguments.fail("mode", "'\(mode)' is not logging or planning")
                }
            })
    }

    static var gpupdate: ExtensionCommand {
        ExtensionCommand(
            context: ["ipsec"], words: ["gpupdate"], parameters: [],
            summary: "Reads Group Policy now (as gpupdate /force): the GPO list and the assigned IPsec policy, applied at once.",
            run: { _, _ in
                let cycle = try DynamicCommands.ask(ControlRequest(command: "gpupdate"))
                let deadline = Date().addingTimeInterval(120)
                while Date() < deadline {
                    let answer = try DynamicCommands.ask(ControlRequest(command: "gpupdate status", arguments: ["cycle": cycle]))
                    if answer.hasPrefix("done\n") {
                        return CommandOutput("Updating policy...\n\n" + answer.dropFirst(5))
                    }
                    if answer.hasPrefix("failed\n") {
                        throw NetshError("gpupdate: " + answer.dropFirst(7))
                    }
                    usleep(200_000)
                }
                throw NetshError("gpupdate: the agent did not finish reading Group Policy within 120 s")
            })
    }

    enum PlanningTarget {
        case scope(String)
        case computer(String)
    }

    private static func plan(_ target: PlanningTarget, site: String?, domain: String?) throws -> String {
        guard let name = domain ?? MachineDomain.name() else {
            throw NetshError("show rsop: no domain: give domain=<name> (resolv.conf has no search domain)")
        }
        do {
            let connection = try DomainControllerLocator.connect(domain: name)
            let discovery = GroupPolicyDiscovery(directory: connection)
            let result: GroupPolicyResult
            let som: String
            switch target {
            case .scope(let scope):
                result = try discovery.plan(scope: scope, site: site, now: Date())
                som = scope
            case .computer(let account):
                result = try discovery.discover(account: account, addresses: [], siteName: site, now: Date())
                som = result.computerDN.parentDN ?? result.computerDN
            }
            var text = GroupPolicyReport.text(result, mode: "planning")
            if let applied = result.applied, let policyDN = applied.policyDN {
                let (entries, _) = try AssignedPolicyReader(directory: connection, namingContext: result.domain).fetch(policyDN)
                let snapshot = try AssignedPolicyReader.snapshot(of: policyDN, entries: entries, namingContext: result.domain, gpoName: applied.gpoName)
                text += "\n\nA computer in \(som) would receive policy '\(snapshot.policy.name)' from GPO '\(applied.gpoName)':\n" + GroupPolicyReport.rules(snapshot)
            } else {
                text += "\n\nA computer in \(som) would receive no domain IPsec policy: its local policy applies."
            }
            return text
        } catch {
            throw NetshError("show rsop: \(error)")
        }
    }
}
