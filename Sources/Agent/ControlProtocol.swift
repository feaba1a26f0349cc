import Foundation

/// One request on the control socket: an `ipsec dynamic` command, as `ward` bound it (its
/// words, e.g. "show mmsas", and its tags with their values). One JSON line.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var command: String
    public var arguments: [String: String]
    /// The tags in the order they were typed (kerberos/psk/rootca: order of preference).
    public var order: [String]

    public init(command: String, arguments: [String: String] = [:], order: [String] = []) {
        self.command = command
        self.arguments = arguments
        self.order = order
    }

    public var encoded: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) }
}

/// The answer: an exit status (0 success, 1 the command failed) and the text to print.
public struct ControlResponse: Codable, Sendable, Equatable {
    public var status: Int32
    public var output: String

    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }

    public var encoded: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) + "\n" }

    /// Decodes an answer; a reply that is not one names what was received.
    public static func decode(_ text: String) -> ControlResponse {
        guard let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(text.utf8)) else {
            return ControlResponse(status: 1, output: "the agent's answer is not a control response (\(text.prefix(80).debugDescription))")
        }
        return response
    }
}
