import Foundation

/// Puts the agent in the path of every packet the host sends or receives, with nftables and
/// policy routing (Docs/datapath.md explains the choice and its failure behaviour):
///
/// - outbound: a `route` chain on the output hook marks every locally generated packet that is
///   not the agent's own (socket mark `agentMark`) and not loopback; an `ip rule` sends marked
///   packets to a table whose only route leads into the outbound TUN device. Behind it, a
///   blackhole route: if the device ever vanishes, marked packets are dropped, not sent clear.
/// - inbound: a `netdev` ingress chain on each Ethernet interface forwards every IP packet into
///   the inbound TUN device (the agent reads it there, with the 14-byte Ethernet header the
///   forward keeps), except what the agent's sockets take directly — ESP (protocol 50), IKE
///   (UDP 500/4500) — and IPv6 neighbour discovery and MLD, which the link needs (both ways).
///   Non-first IP fragments go to the stack too: they carry no ports, so the first fragment
///   decides. A datagram whose first fragment the agent took never reassembles in the kernel
///   (it times out), while one the agent passes — an IKE message carrying certificates, larger
///   than the MTU — does.
/// - TCP's MSS is clamped in both directions so that ESP's overhead fits the path.
///
/// The rules are applied with `nft -f -` and `ip`, one atomic nftables transaction.
public struct PacketSteering: Sendable, Equatable {
    /// The mark of the agent's own sockets: their packets are never steered.
    public var agentMark: UInt32 = 0x5741_0001
    /// The mark that sends a packet to the outbound device.
    public var steerMark: UInt32 = 0x5741_0002
    /// The routing table (and rule priority) used for steering.
    public var table: Int = 5741
    public var outboundDevice = "ward-out"
    public var inboundDevice = "ward-in"
    /// nftables table name (two: `inet` and `netdev`).
    public var nftTable = "ward"
    /// Interfaces whose inbound traffic is steered (Ethernet-type: veth, eth…).
    public var interfaces: [String]
    /// MTU of the outbound device: room for ESP, UDP encapsulation and a tunnel header.
    public var mtu = 1400

    /// Forces a mechanism (nil: nftables when the kernel has it, else routing and tc).
    public var mechanism: Mechanism?

    /// How packets are steered into the agent.
    public enum Mechanism: String, Sendable, Equatable {
        /// An nftables route chain marks outbound packets for policy routing; a netdev ingress
        /// chain forwards inbound ones. Needs nf_tables with the inet and netdev families.
        case nftables
        /// Policy routing sends everything but the agent's own packets to the outbound device
        /// (routes copied from the main table, with the device's MTU and MSS); tc ingress
        /// filters redirect inbound packets. For kernels without those nftables families.
        case routingAndTC = "tc"

        /// Bytes of link-layer header in front of each packet read from the inbound device:
        /// nftables' netdev `fwd` keeps the Ethernet header, tc's redirect to a TUN device
        /// (which has no header_ops) does not.
        public var inboundLinkHeaderLength: Int { self == .nftables ? 14 : 0 }
    }

    public init(interfaces: [String]) { self.interfaces = interfaces }

    /// The TCP MSS that fits `mtu` (IPv4 header 20 + TCP 20; IPv6 is 20 more and is clamped
    /// by the kernel's own PMTU handling).
    public var mss: Int { mtu - 40 }

    /// The nftables ruleset, for `nft -f -`.
    public var ruleset: String {
        var text = """
            table inet \(nftTable)
            delete table inet \(nftTable)
            table inet \(nftTable) {
              chain output {
                type route hook output priority mangle; policy accept;
                meta mark \(hex(agentMark)) accept
                oifname "lo" accept
                icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect, mld-listener-report, mld2-listener-report } accept
                tcp flags syn tcp option maxseg size set \(mss)
                meta mark set \(hex(steerMark))
              }
            }
            table netdev \(nftTable)
            delete table netdev \(nftTable)

            """
        text += "table netdev \(nftTable) {\n"
        for interface in interfaces {
            text += """
                  chain in-\(interface) {
                    type filter hook ingress device "\(interface)" priority 0; policy accept;
                    meta protocol != { ip, ip6 } accept
                    meta l4proto esp accept
                    udp dport { 500, 4500 } accept
                    ip frag-off & 0x1fff != 0 accept
                    frag frag-off != 0 accept
                    icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, nd-redirect, mld-listener-query, mld-listener-report, mld2-listener-report } accept
                    tcp flags syn tcp option maxseg size set \(mss)
                    fwd to "\(inboundDevice)"
                  }

                """
        }
        return text + "}\n"
    }

    /// Installs the devices' settings, routes, rules and the packet-filter rules: with
    /// nftables when the kernel has the `inet` and `netdev` families, otherwise (or when
    /// `mechanism` says so) with policy routing and tc. Returns the mechanism used. Throws
    /// naming the command that failed and what it printed.
    @discardableResult
    public func install() throws(SteeringError) -> Mechanism {
        for device in [outboundDevice, inboundDevice] {
            run(ignoringFailure: "/usr/sbin/ip", ["link", "set", device, "addrgenmode", "none"])
            try run("/usr/sbin/ip", ["link", "set", device, "up", "mtu", String(mtu)])
        }
        // Inbound packets arrive "on" the inbound TUN device, which has no address: the kernel's
        // reverse-path filter drops everything on an address-less device (strict or loose), so
        // it is off there. The effective value is the larger of `all` and the device's, so
        // `all` goes to 0 as well; every other interface keeps its own setting (systemd and
        // Debian set each one, not just `all`). Neither device gets an IPv6 link-local address:
        // they send nothing of their own.
        for (key, value) in [("net.ipv4.conf.\(inboundDevice).rp_filter", "0"), ("net.ipv4.conf.all.rp_filter", "0"),
                             ("net.ipv4.conf.\(inboundDevice).accept_local", "1")] {
            writeSysctl(key, value)
        }
        // A host whose new devices start without IPv6 (default.disable_ipv6=1) still gets its
        // IPv6 traffic steered: IPv6 is switched on for the two devices. Only a kernel without
        // IPv6 at all skips the IPv6 rules (it has no IPv6 traffic to steer).
        let hasIPv6 = FileManager.default.fileExists(atPath: "/proc/sys/net/ipv6")
        if hasIPv6 {
            for device in [outboundDevice, inboundDevice] { writeSysctl("net.ipv6.conf.\(device).disable_ipv6", "0") }
        }
        let families = hasIPv6 ? ["-4", "-6"] : ["-4"]
        if mechanism != .routingAndTC {
            do {
                try installNftables(families: families)
                return .nftables
            } catch {
                // Only the nftables tables go: the routing rules and tc filters a previous run
                // left keep steering until their replacements are in (no clear-text window).
                run(ignoringFailure: "/usr/sbin/nft", ["delete", "table", "inet", nftTable])
                run(ignoringFailure: "/usr/sbin/nft", ["delete", "table", "netdev", nftTable])
                if mechanism == .nftables { throw error }
            }
        }
        try installRoutingAndTC(families: families)
        return .routingAndTC
    }

    /// The ruleset first — one atomic transaction, which changes nothing when the kernel
    /// refuses it — then the routing: a refusal leaves whatever a previous run installed
    /// untouched for the fallback to take over.
    private func installNftables(families: [String]) throws(SteeringError) {
        try run("/usr/sbin/nft", ["-f", "-"], input: ruleset)
        for family in families {
            try run("/usr/sbin/ip", [family, "route", "replace", "default", "dev", outboundDevice, "table", String(table)])
            try run("/usr/sbin/ip", [family, "route", "replace", "blackhole", "default", "metric", "4294967295", "table", String(table)])
            try ensureRule(family: family, priority: table, ["fwmark", hex(steerMark), "lookup", String(table)])
        }
    }

    /// Removes the ruleset, rules and routes (an orderly stop; the devices go with the agent).
    public func uninstall() {
        run(ignoringFailure: "/usr/sbin/nft", ["delete", "table", "inet", nftTable])
        run(ignoringFailure: "/usr/sbin/nft", ["delete", "table", "netdev", nftTable])
        for family in ["-4", "-6"] {
            run(ignoringFailure: "/usr/sbin/ip", [family, "rule", "del", "priority", String(table)])
            run(ignoringFailure: "/usr/sbin/ip", [family, "rule", "del", "priority", String(table - 1)])
            run(ignoringFailure: "/usr/sbin/ip", [family, "route", "flush", "table", String(table)])
        }
        for interface in interfaces { run(ignoringFailure: "/usr/sbin/tc", ["qdisc", "del", "dev", interface, "clsact"]) }
    }

    /// Ethernet-type interfaces that are up, except loopback and Ward's own devices
    /// (/sys/class/net/*/type is 1 for ARPHRD_ETHER).
    public static func ethernetInterfaces(sysfs: String = "/sys/class/net") -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sysfs)) ?? []
        return names.sorted().filter { name in
            let type = (try? String(contentsOfFile: "\(sysfs)/\(name)/type", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return type == "1"
        }
    }

    func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    /// Makes `priority` hold exactly the rule `selector` (e.g. `fwmark 0x1 lookup 5741`)
    /// without a moment with none: a restarted agent finds the rule its predecessor left and
    /// keeps it; a different rule at that priority is replaced by adding the new one first.
    /// (Deleting and re-adding would let covered traffic out through the main table for the
    /// time between — the window the leak test caught.)
    func ensureRule(family: String, priority: Int, _ selector: [String]) throws(SteeringError) {
        let wanted = (["from", "all"] + selector).joined(separator: " ")
        let present = ((try? run("/usr/sbin/ip", [family, "rule", "show", "priority", String(priority)])) ?? "")
            .split(separator: "\n").map { line in
                // "5741:\tfrom all fwmark 0x5741 lookup 5741" → "from all fwmark 0x5741 lookup 5741"
                line.split(separator: ":", maxSplits: 1).last.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") } ?? ""
            }
        if present == [wanted] { return }
        if !present.contains(wanted) { try run("/usr/sbin/ip", [family, "rule", "add", "priority", String(priority)] + selector) }
        for stale in present where stale != wanted {
            run(ignoringFailure: "/usr/sbin/ip", [family, "rule", "del", "priority", String(priority)] + stale.split(separator: " ").dropFirst(2).map(String.init))
        }
    }

    private func writeSysctl(_ key: String, _ value: String) { SystemCommand.writeSysctl(key, value) }

    func run(ignoringFailure tool: String, _ arguments: [String]) {
        try? run(tool, arguments)
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String], input: String? = nil) throws(SteeringError) -> String {
        try SystemCommand.run(tool, arguments, input: input)
    }
}

/// A steering command that failed: the command line and what it printed.
public struct SteeringError: Error, Sendable, CustomStringConvertible {
    public var command: String
    public var output: String
    public var description: String { "\(command): \(output)" }
}
