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
        // Nothing is deleted before its replacement is in place: a restarted agent takes over
        // the rules, routes and filters its predecessor left without a moment in which
        // covered traffic could bypass the devices (Docs/kernel-datapath.md, leak test).
        for family in families {
            try run("/usr/sbin/ip", [family, "route", "replace", "blackhole", "default", "metric", "4294967295", "table", String(table)])
            var copied: Set<String> = []
            for route in try mainRoutes(family: family) {
                // IPv6 link-local stays on its own link: neighbour discovery needs it.
                let linkLocal = route.destination.hasPrefix("fe80:")
                var arguments = [family, "route", "replace", route.destination, "dev", linkLocal ? route.device : outboundDevice, "table", String(table)]
                if !linkLocal {
                    if let source = route.source { arguments += ["src", source] }
                    arguments += ["mtu", String(mtu), "advmss", String(family == "-4" ? mss : mss - 20)]
                }
                try run("/usr/sbin/ip", arguments)
                copied.insert(route.destination)
            }
            // Routes an earlier run copied that the main table no longer has.
            for line in (try? run("/usr/sbin/ip", ["-o", family, "route", "show", "table", String(table)]))?.split(separator: "\n") ?? [] {
                let words = line.split(separator: " ").map(String.init)
                guard let destination = words.first, destination != "blackhole", !copied.contains(destination) else { continue }
                run(ignoringFailure: "/usr/sbin/ip", [family, "route", "del", destination, "table", String(table)])
            }
            if !copied.isEmpty || family == "-4" {
                try ensureRule(family: family, priority: table - 1, ["fwmark", hex(agentMark), "lookup", "main"])
                try ensureRule(family: family, priority: table, ["lookup", String(table)])
            }
        }
        for interface in interfaces {
            // The new filters go in at the priorities the previous run did not use, then the
            // previous run's go: classification never meets an empty ingress.
            run(ignoringFailure: "/usr/sbin/tc", ["qdisc", "add", "dev", interface, "clsact"])
            let existing = (try? run("/usr/sbin/tc", ["filter", "show", "dev", interface, "ingress"])) ?? ""
            let previousBase = existing.contains("pref 1 ") ? 1 : existing.contains("pref 101 ") ? 101 : nil
            let base = previousBase == 1 ? 101 : 1
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
                try run("/usr/sbin/tc", ["filter", "add", "dev", interface, "ingress", "prio", String(base + index)] + match + ["classid", "1:1"])
            }
            for (offset, protocolName) in ["ip", "ipv6"].enumerated() {
                try run("/usr/sbin/tc", ["filter", "add", "dev", interface, "ingress", "prio", String(base + pass.count + offset), "protocol", protocolName,
                                         "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", inboundDevice])
            }
            if let previousBase {
                for prio in previousBase..<(previousBase + pass.count + 2) {
                    run(ignoringFailure: "/usr/sbin/tc", ["filter", "del", "dev", interface, "ingress", "prio", String(prio)])
                }
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
