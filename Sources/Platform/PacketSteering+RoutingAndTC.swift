import Foundation

/// The steering for kernels without nftables' `inet` and `netdev` families (the user-mode Linux
/// guest of the kernel tests, slim kernels): the same two TUN devices, reached another way.
///
/// - outbound: two `ip rule`s — the agent's own packets (its socket mark) use the main table;
///   every other packet uses table 5741, which holds a copy of each main-table route pointed
///   at the outbound device with the route's source address, the device's MTU and the MSS
///   that fits ESP. A blackhole default stays behind, as with nftables.
/// - inbound: a `clsact` qdisc on each interface whose ingress filters pass ESP, IKE (UDP
///   500/4500) and ICMPv6 to the stack and redirect every other IP packet to the inbound
///   device (`mirred egress redirect`, which keeps the Ethernet header, as `fwd` does).
///
/// Routes are copied when the agent starts: a route added later reaches the agent only after
/// a restart (Docs/datapath.md).
extension PacketSteering {
    func installRoutingAndTC(families: [String]) throws(SteeringError) {
        for family in families {
            run(ignoringFailure: "/usr/sbin/ip", [family, "rule", "del", "priority", String(table - 1)])
            run(ignoringFailure: "/usr/sbin/ip", [family, "rule", "del", "priority", String(table)])
            run(ignoringFailure: "/usr/sbin/ip", [family, "route", "flush", "table", String(table)])
            try run("/usr/sbin/ip", [family, "route", "replace", "blackhole", "default", "metric", "4294967295", "table", String(table)])
            var copied = 0
            for route in try mainRoutes(family: family) {
                // IPv6 link-local stays on its own link: neighbour discovery needs it.
                let linkLocal = route.destination.hasPrefix("fe80:")
                var arguments = [family, "route", "replace", route.destination, "dev", linkLocal ? route.device : outboundDevice, "table", String(table)]
                if !linkLocal {
                    if let source = route.source { arguments += ["src", source] }
                    arguments += ["mtu", String(mtu), "advmss", String(family == "-4" ? mss : mss - 20)]
                }
                try run("/usr/sbin/ip", arguments)
                copied += 1
            }
            if copied > 0 || family == "-4" {
                try run("/usr/sbin/ip", [family, "rule", "add", "priority", String(table - 1), "fwmark", hex(agentMark), "lookup", "main"])
                try run("/usr/sbin/ip", [family, "rule", "add", "priority", String(table), "lookup", String(table)])
            }
        }
        for interface in interfaces {
            run(ignoringFailure: "/usr/sbin/tc", ["qdisc", "del", "dev", interface, "clsact"])
            try run("/usr/sbin/tc", ["qdisc", "add", "dev", interface, "clsact"])
            let pass: [[String]] = [
                ["protocol", "ip", "u32", "match", "ip", "protocol", "50", "0xff"],
                ["protocol", "ip", "u32", "match", "ip", "protocol", "17", "0xff", "match", "ip", "dport", "500", "0xffff"],
                ["protocol", "ip", "u32", "match", "ip", "protocol", "17", "0xff", "match", "ip", "dport", "4500", "0xffff"],
                ["protocol", "ipv6", "u32", "match", "ip6", "protocol", "58", "0xff"],
                ["protocol", "ipv6", "u32", "match", "ip6", "protocol", "50", "0xff"],
                ["protocol", "ipv6", "u32", "match", "ip6", "protocol", "17", "0xff", "match", "ip6", "dport", "500", "0xffff"],
                ["protocol", "ipv6", "u32", "match", "ip6", "protocol", "17", "0xff", "match", "ip6", "dport", "4500", "0xffff"],
            ]
            for (index, match) in pass.enumerated() {
                // A match without an action ends classification with "ok": the packet goes on
                // to the stack (no gact module needed).
                try run("/usr/sbin/tc", ["filter", "add", "dev", interface, "ingress", "prio", String(index + 1)] + match + ["classid", "1:1"])
            }
            for (offset, protocolName) in ["ip", "ipv6"].enumerated() {
                try run("/usr/sbin/tc", ["filter", "add", "dev", interface, "ingress", "prio", String(pass.count + 1 + offset), "protocol", protocolName,
                                         "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", inboundDevice])
            }
        }
    }

    /// The main table's routes: destination, device, and the source address to use (the
    /// route's own, or for IPv4 the device's first address).
    private func mainRoutes(family: String) throws(SteeringError) -> [(destination: String, device: String, source: String?)] {
        let listing = try run("/usr/sbin/ip", ["-o", family, "route", "show", "table", "main"])
        var routes: [(String, String, String?)] = []
        for line in listing.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard let destination = words.first, let deviceIndex = words.firstIndex(of: "dev"), deviceIndex + 1 < words.count else { continue }
            if ["unreachable", "blackhole", "prohibit", "multicast", "broadcast", "local"].contains(destination) { continue }
            let device = words[deviceIndex + 1]
            if device == outboundDevice || device == inboundDevice || device == "lo" { continue }
            var source = words.firstIndex(of: "src").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
            // IPv4 picks the device's address; IPv6 source selection (RFC 6724, longest
            // matching prefix) already finds the right one on its own.
            if source == nil && family == "-4" {
                let addresses = (try? run("/usr/sbin/ip", ["-o", family, "addr", "show", "dev", device, "scope", "global"])) ?? ""
                source = addresses.split(separator: " ").map(String.init).drop { !$0.hasPrefix("inet") }.dropFirst().first?
                    .split(separator: "/").first.map(String.init)
            }
            routes.append((destination, device, source))
        }
        return routes
    }
}
