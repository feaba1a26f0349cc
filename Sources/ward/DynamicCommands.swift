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
            command(["set", "config"], [ParameterSpec("property", required: true,
                                                      "ipsecdiagnostics|ikelogging|strongcrlcheck|ipsecloginterval|ipsecexempt|bootmode|bootexemptions"),
                                        ParameterSpec("value", required: true, "<value>")],
                    "Sets an agent configuration property.",
                    remarks: ["ipsecexempt, bootmode and bootexemptions take effect when wardd restarts."]),
        ]
    }

    private static func command(_ words: [String], _ parameters: [ParameterSpec], _ summary: String,
                                remarks: [String] = []) -> ExtensionCommand {
        ExtensionCommand(context: ["ipsec", "dynamic"], words: words, parameters: parameters, summary: summary, remarks: remarks) { _, arguments in
            var values: [String: String] = [:]
            for parameter in parameters { values[parameter.name] = arguments.string(parameter.name) }
            let request = ControlRequest(command: words.joined(separator: " "), arguments: values)
            let answer: String
            do throws(SocketError) { answer = try UnixControlSocket.exchange(path: socketPath, request: request.encoded) } catch {
                throw NetshError("\(words.joined(separator: " ")): the agent (wardd) is not reachable at \(socketPath): \(error.reason)")
            }
            let response = ControlResponse.decode(answer)
            guard response.status == 0 else { throw NetshError(response.output) }
            return CommandOutput(response.output.hasSuffix("\n") ? String(response.output.dropLast()) : response.output)
        }
    }
}
