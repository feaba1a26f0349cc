import Agent
import Foundation
import Netsh
import Platform

/// `ipsec dynamic`: commands that act on the running agent (`wardd`) through its control
/// socket (`/run/ward/ward.sock`, or `$WARD_SOCKET`). The shell binds and checks the
/// arguments with netsh's rules; the agent answers with the text to print.
enum DynamicCommands {
    static var socketPath: String { ProcessInfo.processInfo.environment["WARD_SOCKET"] ?? "/run/ward/ward.sock" }

    static var all: [ExtensionCommand] {
        let address = "<address>|me|any"
        return [
            command(["show", "mmsas"], [ParameterSpec("srcaddr", address), ParameterSpec("dstaddr", address),
                                        ParameterSpec("format", "list|table"), ParameterSpec("resolvedns", "yes|no")],
                    "Shows the Main Mode (ISAKMP) security associations."),
            command(["show", "qmsas"], [ParameterSpec("srcaddr", address), ParameterSpec("dstaddr", address),
                                        ParameterSpec("protocol", "ANY|ICMP|TCP|UDP|<0-255>"), ParameterSpec("format", "list|table"),
                                        ParameterSpec("resolvedns", "yes|no")],
                    "Shows the Quick Mode (IPsec) security associations with their traffic."),
            command(["show", "stats"], [ParameterSpec("type", "ike|ipsec")], "Shows IKE Main Mode and IPsec driver statistics."),
            command(["show", "config"], [], "Shows the agent's configuration properties."),
            command(["show", "mmfilter"], [ParameterSpec("name"), ParameterSpec("type", "generic|specific")],
                    "Shows the Main Mode filters in force."),
            command(["show", "qmfilter"], [ParameterSpec("name"), ParameterSpec("type", "generic|specific")],
                    "Shows the Quick Mode filters in force, in precedence order."),
            command(["show", "all"], [ParameterSpec("resolvedns", "yes|no")], "Shows configuration, filters, SAs and statistics."),
            command(["show", "mmpolicy"], [ParameterSpec("name")], "Shows the dynamic Main Mode policies.", keywords: ["all"]),
            command(["show", "qmpolicy"], [ParameterSpec("name")], "Shows the dynamic Quick Mode policies.", keywords: ["all"]),
            command(["show", "rule"], [ParameterSpec("type", "tunnel|transport")], "Shows the dynamic rules."),
            command(["add", "mmpolicy"], mainModePolicy(nameRequired: true), "Adds a Main Mode policy to the running agent (not stored)."),
            command(["set", "mmpolicy"], mainModePolicy(nameRequired: true), "Changes a dynamic Main Mode policy."),
            command(["delete", "mmpolicy"], [ParameterSpec("name")], "Deletes a dynamic Main Mode policy (or all).", keywords: ["all"]),
            command(["add", "qmpolicy"], quickModePolicy, "Adds a Quick Mode policy to the running agent (not stored)."),
            command(["set", "qmpolicy"], quickModePolicy, "Changes a dynamic Quick Mode policy."),
            command(["delete", "qmpolicy"], [ParameterSpec("name")], "Deletes a dynamic Quick Mode policy (or all).", keywords: ["all"]),
            command(["add", "rule"], rule(mmpolicyRequired: true), "Adds a rule to the running agent: filters and actions in one step (not stored).",
                    remarks: ["Defaults: protocol=ANY mirrored=yes conntype=all actioninbound=negotiate actionoutbound=negotiate masks=255.255.255.255.",
                              "kerberos, psk and rootca: the order on the command line is the order of preference."]),
            command(["set", "rule"], rule(mmpolicyRequired: false), "Changes a dynamic rule, found by its filter (srcaddr … tunneldstaddress)."),
            command(["delete", "rule"], ruleIdentity(required: false), "Deletes a dynamic rule, found by its filter (or all).", keywords: ["all"]),
            command(["delete", "all"], [], "Deletes every dynamic rule and policy."),
            command(["set", "config"], [ParameterSpec("property", required: true,
                                                      "ipsecdiagnostics|ikelogging|strongcrlcheck|ipsecloginterval|ipsecexempt|bootmode|bootexemptions"),
                                        ParameterSpec("value", required: true, "<value>")],
                    "Sets an agent configuration property.",
                    remarks: ["ipsecexempt, bootmode and bootexemptions take effect when wardd restarts."]),
        ]
    }

    private static func mainModePolicy(nameRequired: Bool) -> [ParameterSpec] {
        [ParameterSpec("name", required: nameRequired), ParameterSpec("qmpermm", "<integer>"), ParameterSpec("mmlifetime", "<minutes>"),
         ParameterSpec("softsaexpirationtime", "<seconds>"), ParameterSpec("mmsecmethods", "\"<cipher>-<hash>-<group> ...\"")]
    }

    private static var quickModePolicy: [ParameterSpec] {
        [ParameterSpec("name", required: true), ParameterSpec("soft", "yes|no"), ParameterSpec("pfsgroup", "GRP1|GRP2|GRP3|GRPMM|NOPFS"),
         ParameterSpec("qmsecmethods", "\"ESP[<cipher>,<hash>]:<k>k/<s>s ...\"")]
    }

    private static func ruleIdentity(required: Bool) -> [ParameterSpec] {
        [ParameterSpec("srcaddr", required: required, "<address>|me|any|DNS|WINS|DHCP|GATEWAY"),
         ParameterSpec("dstaddr", required: required, "<address>|me|any|DNS|WINS|DHCP|GATEWAY"),
         ParameterSpec("protocol", "ANY|ICMP|TCP|UDP|RAW|<0-255>"), ParameterSpec("srcport", "<0-65535>"), ParameterSpec("dstport", "<0-65535>"),
         ParameterSpec("mirrored", "yes|no"), ParameterSpec("conntype", "lan|dialup|all"), ParameterSpec("srcmask", "<mask>|<prefix>"),
         ParameterSpec("dstmask", "<mask>|<prefix>"), ParameterSpec("tunneldstaddress", "<address>")]
    }

    private static func rule(mmpolicyRequired: Bool) -> [ParameterSpec] {
        let identity = ruleIdentity(required: true)
        return Array(identity.prefix(2)) + [ParameterSpec("mmpolicy", required: mmpolicyRequired), ParameterSpec("qmpolicy")] + identity.dropFirst(2)
            + [ParameterSpec("actioninbound", "permit|block|negotiate"), ParameterSpec("actionoutbound", "permit|block|negotiate"),
               ParameterSpec("kerberos", "yes|no"), ParameterSpec("psk", "<string>"),
               ParameterSpec("rootca", repeatable: true, "\"<CA name> certmap:yes|no excludecaname:yes|no\"")]
    }

    private static func command(_ words: [String], _ parameters: [ParameterSpec], _ summary: String,
                                remarks: [String] = [], keywords: [String] = []) -> ExtensionCommand {
        ExtensionCommand(context: ["ipsec", "dynamic"], words: words, parameters: parameters, summary: summary, remarks: remarks,
                         keywords: keywords) { _, arguments in
            var values: [String: String] = [:]
            for parameter in parameters { values[parameter.name] = arguments.string(parameter.name) }
            for keyword in keywords where arguments.keyword(keyword) { values[keyword] = "yes" }
            return CommandOutput(try ask(ControlRequest(command: words.joined(separator: " "), arguments: values, order: arguments.orderedTags)))
        }
    }

    /// Sends one request to the agent; its output without the final newline, or its refusal
    /// (or the socket's failure) as the command's error.
    static func ask(_ request: ControlRequest) throws -> String {
        let answer: String
        do throws(SocketError) { answer = try UnixControlSocket.exchange(path: socketPath, request: request.encoded) } catch {
            throw NetshError("\(request.command): the agent (wardd) is not reachable at \(socketPath): \(error.reason)")
        }
        let response = ControlResponse.decode(answer)
        guard response.status == 0 else { throw NetshError(response.output) }
        return response.output.hasSuffix("\n") ? String(response.output.dropLast()) : response.output
    }
}
