import Foundation

/// The objects a new local store holds, as Windows Server 2003 ships them (reference d.1–d.3):
/// two filter lists, three filter actions and three example policies, none assigned.
///
/// Their GUIDs are fixed, so an import or a later release can recognise and replace them. They
/// are Ward's own values (reference g.22): Windows' real GUIDs are not claimed.
public struct PredefinedObjects: Sendable {
    public var filterLists: [FilterList]
    public var filterActions: [FilterAction]
    public var policies: [IPsecPolicy]
    public var rules: [Rule]

    public enum ID {
        public static let allIPTraffic = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000001")!
        public static let allICMPTraffic = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000002")!
        public static let permit = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000011")!
        public static let requestSecurity = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000012")!
        public static let requireSecurity = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000013")!
        public static let clientRespondOnly = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000021")!
        public static let serverRequestSecurity = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000022")!
        public static let secureServerRequireSecurity = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000023")!
        public static let filterAllIP = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000101")!
        public static let filterAllICMP = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000102")!
        public static let serverAllIPRule = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000201")!
        public static let serverAllICMPRule = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000202")!
        public static let secureAllIPRule = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000203")!
        public static let secureAllICMPRule = UUID(uuidString: "7761D7A0-3F1B-4C6E-9A30-000000000204")!
    }

    /// The predefined set, stamped with `now` as their last change.
    public init(now: Date) {
        filterLists = [
            FilterList(id: ID.allIPTraffic, name: "All IP Traffic",
                       description: "Every IP packet between this computer and any other computer. ISAKMP (IKE) is exempt by default.",
                       filters: [Filter(id: ID.filterAllIP, source: .me, destination: .any)], whenChanged: now),
            FilterList(id: ID.allICMPTraffic, name: "All ICMP Traffic",
                       description: "Every ICMP packet between this computer and any other computer.",
                       filters: [Filter(id: ID.filterAllICMP, source: .me, destination: .any, protocolSelector: .icmp)],
                       whenChanged: now),
        ]
        filterActions = [
            FilterAction(id: ID.permit, name: "Permit", description: "Let unsecured IP packets pass.",
                         action: .permit, securityMethods: [], whenChanged: now),
            FilterAction(id: ID.requestSecurity, name: "Request Security (Optional)",
                         description: "Accept unsecured traffic and ask peers for security; talk in the clear to peers that do not answer IKE.",
                         action: .negotiate, inboundPassthrough: true, fallbackToClear: true,
                         securityMethods: QuickModeSecurityMethod.requestSecurityDefaults, whenChanged: now),
            FilterAction(id: ID.requireSecurity, name: "Require Security",
                         description: "Accept unsecured inbound traffic but always answer with IPsec; never fall back to clear text.",
                         action: .negotiate, inboundPassthrough: true, fallbackToClear: false,
                         securityMethods: QuickModeSecurityMethod.requireSecurityDefaults, whenChanged: now),
        ]
        policies = [
            IPsecPolicy(id: ID.clientRespondOnly, name: "Client (Respond Only)",
                        description: "Communicate in the clear; secure only the traffic a server requests, through the default response rule.",
                        whenChanged: now),
            IPsecPolicy(id: ID.serverRequestSecurity, name: "Server (Request Security)",
                        description: "Request Kerberos-authenticated security for all IP traffic; allow clear text with clients that do not answer.",
                        whenChanged: now),
            IPsecPolicy(id: ID.secureServerRequireSecurity, name: "Secure Server (Require Security)",
                        description: "Require Kerberos-authenticated security for all IP traffic; no clear text with untrusted clients.",
                        whenChanged: now),
        ]
        rules = [
            Rule(id: ID.serverAllIPRule, policyID: ID.serverRequestSecurity, name: "All IP Traffic",
                 filterListID: ID.allIPTraffic, filterActionID: ID.requestSecurity, whenChanged: now),
            Rule(id: ID.serverAllICMPRule, policyID: ID.serverRequestSecurity, name: "All ICMP Traffic",
                 filterListID: ID.allICMPTraffic, filterActionID: ID.permit, whenChanged: now),
            Rule(id: ID.secureAllIPRule, policyID: ID.secureServerRequireSecurity, name: "All IP Traffic",
                 filterListID: ID.allIPTraffic, filterActionID: ID.requireSecurity, whenChanged: now),
            Rule(id: ID.secureAllICMPRule, policyID: ID.secureServerRequireSecurity, name: "All ICMP Traffic",
                 filterListID: ID.allICMPTraffic, filterActionID: ID.permit, whenChanged: now),
        ]
    }
}
