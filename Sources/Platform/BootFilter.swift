import Filtering
import Foundation

/// The boot-time filter (reference c.8): nftables rules that hold from early boot
/// (`wardd --boot`, run by `ward-boot.service` before the network comes up) until the agent has
/// its policy in force, and that do not depend on any process staying alive.
///
/// - `stateful`: outbound traffic passes and starts a flow; inbound passes only as a reply to
///   one (conntrack `established,related`);
/// - `block`: nothing passes either way;
/// - `permit`: no table at all.
/// In `stateful` and `block` the loopback interface, DHCP (v4 and v6) and IPv6 neighbour
/// discovery pass — without them the host cannot get an address or reach a neighbour, and
/// Windows likewise always lets DHCP through — and so do the `bootexemptions`, each in its
/// direction.
public enum BootFilter {
    public static let table = "ward-boot"

    /// The nftables script that replaces the boot table (nil: permit, no table).
    public static func ruleset(mode: BootMode, exemptions: [BootExemption]) -> String? {
        guard mode != .permit else { return nil }
        func chain(_ name: String, hook: String, policy: String, direction: Direction) -> String {
            var rules = [direction == .inbound ? "iif lo accept" : "oif lo accept"]
            if mode == .stateful && direction == .inbound { rules.append("ct state established,related accept") }
            rules += ["udp sport { 67, 68, 546, 547 } udp dport { 67, 68, 546, 547 } accept",
                      "icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query, mld-listener-report, mld2-listener-report } accept"]
            for exemption in exemptions where exemption.direction == direction {
                var match = ""
                if let number = exemption.protocolNumber { match += "meta l4proto \(number) " }
                if exemption.sourcePort != 0 { match += "th sport \(exemption.sourcePort) " }
                if exemption.destinationPort != 0 { match += "th dport \(exemption.destinationPort) " }
                rules.append(match + "accept")
            }
            return "  chain \(name) {\n    type filter hook \(hook) priority -300; policy \(policy);\n"
                + rules.map { "    \($0)\n" }.joined() + "  }\n"
        }
        let outboundPolicy = mode == .stateful ? "accept" : "drop"
        // Created if missing, deleted, and written again in one transaction: a boot table
        // replaced by another is never absent in between.
        return "table inet \(table)\ndelete table inet \(table)\n"
            + "table inet \(table) {\n" + chain("input", hook: "input", policy: "drop", direction: .inbound)
            + chain("output", hook: "output", policy: outboundPolicy, direction: .outbound) + "}\n"
    }

    /// Puts the boot table in force, replacing an earlier one atomically, or removes it for
    /// `permit`.
    public static func install(mode: BootMode, exemptions: [BootExemption]) throws {
        guard let script = ruleset(mode: mode, exemptions: exemptions) else {
            remove()
            return
        }
        let (status, output) = nft(["-f", "-"], input: script)
        guard status == 0 else { throw SteeringError(command: "nft -f - (boot table \(table))", output: output) }
    }

    /// Takes the boot table away (the agent does once its policy is in force).
    @discardableResult
    public static func remove() -> Bool { nft(["delete", "table", "inet", table], input: nil).0 == 0 }

    private static var nftPath: String { FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft") ? "/usr/sbin/nft" : "/sbin/nft" }

    private static func nft(_ arguments: [String], input: String?) -> (Int32, String) {
        do { return (0, try SystemCommand.run(nftPath, arguments, input: input)) } catch { return (1, error.output) }
    }
}
