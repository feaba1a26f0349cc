import Foundation
import Policy
import PolicyStore

extension StaticCommands {
    static let filterSelectorParameters = [
        ParameterSpec("filterlist", required: true), ParameterSpec("srcaddr", required: true, "me|any|DNS|WINS|DHCP|GATEWAY|<address>|<name>"),
        ParameterSpec("dstaddr", required: true, "me|any|DNS|WINS|DHCP|GATEWAY|<address>|<name>"),
    ]
    static let filterOptionParameters = [
        ParameterSpec("protocol", "ANY|ICMP|TCP|UDP|RAW|<0-255>"), ParameterSpec("mirrored", yesNo),
        ParameterSpec("srcmask", "<mask>|<prefix>"), ParameterSpec("dstmask", "<mask>|<prefix>"),
        ParameterSpec("srcport", "<0-65535>"), ParameterSpec("dstport", "<0-65535>"),
    ]

    static var filterCommands: [CommandSpec] {
        [
            CommandSpec(words: ["add", "filter"],
                        parameters: filterSelectorParameters + [ParameterSpec("description")] + filterOptionParameters,
                        summary: "Adds a filter to a filter list (the list is created when missing).",
                        remarks: ["A server type (DNS, WINS, DHCP, GATEWAY) on one side needs me on the other.",
                                  "Ports are allowed only with protocol TCP or UDP; 0 means any port.",
                                  "A DNS name is resolved now; one filter is added per address.",
                                  "Defaults: protocol=ANY mirrored=yes masks=255.255.255.255 ports=0."],
                        run: addFilter),
            CommandSpec(words: ["delete", "filter"], parameters: filterSelectorParameters + filterOptionParameters,
                        summary: "Deletes every filter of the list that matches; parameters left out match anything.",
                        run: deleteFilter),
        ]
    }

    /// The filters one `add filter` line describes (several when a name resolves to several addresses).
    static func filters(from arguments: BoundArguments, resolver: NameResolver, description: String) throws -> [Filter] {
        let sources = try arguments.filterSide(address: "srcaddr", mask: "srcmask", resolver: resolver)
        let destinations = try arguments.filterSide(address: "dstaddr", mask: "dstmask", resolver: resolver)
        let (protocolSelector, sourcePort, destinationPort) = try arguments.protocolAndPorts()
        let mirrored = try arguments.bool("mirrored") ?? true
        var filters: [Filter] = []
        for source in sources {
            for destination in destinations {
                if let a = source.address.family, let b = destination.address.family, a != b { continue }
                let filter = Filter(description: description, source: source.address, destination: destination.address,
                                    sourceDNSName: source.dnsName, destinationDNSName: destination.dnsName,
                                    protocolSelector: protocolSelector, sourcePort: sourcePort, destinationPort: destinationPort,
                                    mirrored: mirrored)
                do { try filter.validate() } catch { throw NetshError("\(arguments.command): \(error.description)") }
                filters.append(filter)
            }
        }
        if filters.isEmpty {
            throw arguments.fail("dstaddr", "source and destination have no address of the same IP version")
        }
        return filters
    }

    static func addFilter(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let listName = try arguments.requiredString("filterlist")
        let filters = try filters(from: arguments, resolver: session.resolver, description: try checkDescription(arguments) ?? "")
        try session.write { transaction in
            if let listID = try transaction.filterListID(named: listName) {
                try transaction.append(filters, toFilterList: listID, named: listName)
            } else {
                try checkName(listName, tag: "filterlist", arguments)
                try transaction.insert(FilterList(name: listName, filters: filters))
            }
        }
        return .none
    }

    static func deleteFilter(_ session: NetshSession, _ arguments: BoundArguments) throws -> CommandOutput {
        let sources = try arguments.filterSide(address: "srcaddr", mask: "srcmask", resolver: session.resolver).map(\.address)
        let destinations = try arguments.filterSide(address: "dstaddr", mask: "dstmask", resolver: session.resolver).map(\.address)
        let protocolSelector = try arguments.parse("protocol") { (text) throws(ValidationError) in try ProtocolSelector(netsh: text) }
        let sourcePort = try arguments.integer("srcport", in: 0...65535).map(UInt16.init)
        let destinationPort = try arguments.integer("dstport", in: 0...65535).map(UInt16.init)
        let mirrored = try arguments.bool("mirrored")
        let listName = try arguments.requiredString("filterlist")
        try session.write { transaction in
            var list = try transaction.requireFilterList(named: listName)
            let before = list.filters.count
            list.filters.removeAll { filter in
                sources.contains(filter.source) && destinations.contains(filter.destination)
                    && (protocolSelector == nil || protocolSelector == filter.protocolSelector)
                    && (sourcePort == nil || sourcePort == filter.sourcePort)
                    && (destinationPort == nil || destinationPort == filter.destinationPort)
                    && (mirrored == nil || mirrored == filter.mirrored)
            }
            if list.filters.count == before {
                throw NetshError("\(arguments.command): no filter in \(list.objectName) matches srcaddr=\(sources.map(\.description).joined(separator: ",")) dstaddr=\(destinations.map(\.description).joined(separator: ","))")
            }
            try transaction.update(list)
        }
        return .none
    }
}
