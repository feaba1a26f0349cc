import Packet

/// Policy directions (XFRM_POLICY_IN/OUT/FWD).
public enum XFRMDirection: UInt8, Sendable, Hashable, CaseIterable {
    case inbound = 0, outbound = 1, forward = 2
}

/// `struct xfrm_user_tmpl`: the SA a `negotiate` policy requires.
public struct XFRMTemplate: Hashable, Sendable {
    /// 50 (ESP) or 51 (AH).
    public var securityProtocol: UInt8
    /// Tunnel mode: the outer addresses; transport mode leaves them nil (the packet's own).
    public var tunnelSource: IPAddress?
    public var tunnelDestination: IPAddress?
    /// Inbound only: clear text is accepted too (a filter action's inbound passthrough).
    public var optional: Bool
    public var reqid: UInt32

    public init(securityProtocol: UInt8, tunnelSource: IPAddress? = nil, tunnelDestination: IPAddress? = nil, optional: Bool = false, reqid: UInt32) {
        self.securityProtocol = securityProtocol
        self.tunnelSource = tunnelSource
        self.tunnelDestination = tunnelDestination
        self.optional = optional
        self.reqid = reqid
    }

    var isTunnel: Bool { tunnelDestination != nil }

    static let size = 64

    func encoded(family: UInt16) -> [UInt8] {
        var writer = StructWriter(size: Self.size)
        writer.address(tunnelDestination, at: 0)         // id.daddr
        writer.u8(securityProtocol, at: 20)               // id.proto (spi at 16 stays 0: any)
        writer.u16(tunnelDestination.map(XFRMFamily.of) ?? family, at: 24)  // family
        writer.address(tunnelSource, at: 28)              // saddr
        writer.u32(reqid, at: 44)                         // reqid
        writer.u8(isTunnel ? 1 : 0, at: 48)               // mode
        writer.u8(optional ? 1 : 0, at: 50)               // optional
        writer.u32(.max, at: 52)                          // aalgos: any
        writer.u32(.max, at: 56)                          // ealgos: any
        writer.u32(.max, at: 60)                          // calgos: any
        return writer.bytes
    }
}

/// `struct xfrm_userpolicy_info` with its templates: one SPD entry in the kernel.
public struct XFRMPolicy: Hashable, Sendable, CustomStringConvertible {
    public enum Action: UInt8, Sendable { case allow = 0, block = 1 }

    public var selector: XFRMSelector
    public var direction: XFRMDirection
    public var action: Action
    /// Lower wins.
    public var priority: UInt32
    /// Empty: permit or block as `action` says; otherwise the SAs the traffic must use.
    public var templates: [XFRMTemplate]
    public var lifetime: XFRMLifetime

    public init(selector: XFRMSelector, direction: XFRMDirection, action: Action, priority: UInt32, templates: [XFRMTemplate] = [],
                lifetime: XFRMLifetime = XFRMLifetime()) {
        self.selector = selector
        self.direction = direction
        self.action = action
        self.priority = priority
        self.templates = templates
        self.lifetime = lifetime
    }

    /// What the kernel identifies a policy by (besides mark and interface id): replacing a
    /// policy with the same key is atomic.
    public struct Key: Hashable, Sendable {
        public var selector: XFRMSelector
        public var direction: XFRMDirection
    }

    public var key: Key { Key(selector: selector, direction: direction) }

    static let size = 168

    /// XFRM_MSG_UPDPOLICY: add, or replace the policy with the same selector and direction.
    public var update: XFRMRequest {
        var writer = StructWriter(size: Self.size)
        selector.write(into: &writer, at: 0)               // sel
        lifetime.write(into: &writer, at: 56)              // lft (curlft at 120 stays 0)
        writer.u32(priority, at: 152)                      // priority
        writer.u8(direction.rawValue, at: 160)             // dir
        writer.u8(action.rawValue, at: 161)                // action
        let templates = templates.flatMap { $0.encoded(family: selector.family) }
        return XFRMRequest(.updatePolicy, flags: [.request, .acknowledge], fixed: writer.bytes,
                           attributes: templates.isEmpty ? [] : [(XFRMAttribute.template, templates)])
    }

    /// XFRM_MSG_DELPOLICY by selector and direction (`struct xfrm_userpolicy_id`).
    public static func delete(_ key: Key) -> XFRMRequest {
        var writer = StructWriter(size: 64)
        key.selector.write(into: &writer, at: 0)
        writer.u8(key.direction.rawValue, at: 60)
        return XFRMRequest(.deletePolicy, flags: [.request, .acknowledge], fixed: writer.bytes)
    }

    /// XFRM_MSG_DELPOLICY by the kernel's own index of the policy (from a dump): removes
    /// exactly that policy, whatever its selector says.
    public static func delete(index: UInt32, direction: XFRMDirection) -> XFRMRequest {
        var writer = StructWriter(size: 64)
        writer.u32(index, at: 56)
        writer.u8(direction.rawValue, at: 60)
        return XFRMRequest(.deletePolicy, flags: [.request, .acknowledge], fixed: writer.bytes)
    }

    /// The kernel's index of a policy in a dump (`xfrm_userpolicy_info.index`).
    public static func index(of message: NetlinkMessage) throws(XFRMDecodingError) -> UInt32 {
        try StructReader(message.payload, origin: message.payloadOffset).u32(at: 156, "index")
    }

    /// XFRM_MSG_GETPOLICY as a dump of every policy.
    public static let dump = XFRMRequest(.getPolicy, flags: [.request, .dump], fixed: [UInt8](repeating: 0, count: 64))

    /// Reads one policy of a dump (XFRM_MSG_NEWPOLICY), templates included.
    public init(decoding message: NetlinkMessage) throws(XFRMDecodingError) {
        let reader = StructReader(message.payload, origin: message.payloadOffset)
        try reader.require(Self.size, "xfrm_userpolicy_info")
        selector = try XFRMSelector.read(reader, at: 0)
        priority = try reader.u32(at: 152, "priority")
        guard let direction = XFRMDirection(rawValue: try reader.u8(at: 160, "dir")) else {
            throw XFRMDecodingError(field: "dir", offset: message.payloadOffset + 160, reason: "unknown direction")
        }
        self.direction = direction
        action = try reader.u8(at: 161, "action") == 1 ? .block : .allow
        lifetime = XFRMLifetime(hardIdleSeconds: try reader.u64(at: 56 + 56, "lft.hard_use_expires_seconds"))
        var templates: [XFRMTemplate] = []
        if let raw = try message.attributes(after: Self.size)[XFRMAttribute.template] {
            var offset = raw.startIndex
            while raw.endIndex - offset >= XFRMTemplate.size {
                let t = StructReader(raw[offset..<(offset + XFRMTemplate.size)], origin: message.payloadOffset)
                let family = try t.u16(at: 24, "tmpl.family"), tunnel = try t.u8(at: 48, "tmpl.mode") == 1
                templates.append(XFRMTemplate(securityProtocol: try t.u8(at: 20, "tmpl.id.proto"),
                                              tunnelSource: tunnel ? try t.address(at: 28, family: family, "tmpl.saddr") : nil,
                                              tunnelDestination: tunnel ? try t.address(at: 0, family: family, "tmpl.id.daddr") : nil,
                                              optional: try t.u8(at: 50, "tmpl.optional") != 0, reqid: try t.u32(at: 44, "tmpl.reqid")))
                offset += XFRMTemplate.size
            }
        }
        self.templates = templates
    }

    public var description: String {
        let verdict = action == .block ? "block" : templates.isEmpty ? "allow" : "ipsec"
        return "\(direction) \(selector) priority \(priority) \(verdict)"
    }
}
