import DomainClient
import Foundation
import Platform

/// Where the agent keeps things and how it steers packets; every path can be overridden (tests
/// run several agents, one per network namespace).
public struct AgentConfiguration: Sendable {
    /// The policy database (`/var/lib/ward/policy.db`).
    public var storePath = "/var/lib/ward/policy.db"
    /// The control socket (`/run/ward/ward.sock`), root only.
    public var socketPath = "/run/ward/ward.sock"
    /// `ipsec dynamic set config` values that survive a restart (`/var/lib/ward/config.json`).
    public var configPath = "/var/lib/ward/config.json"
    /// The certificate store (`/etc/ward/certs`, `ward certificate`).
    public var certificatePath = "/etc/ward/certs"
    /// Interfaces whose inbound traffic is decided; nil: every Ethernet interface that is up.
    public var interfaces: [String]?
    public var steering = PacketSteering(interfaces: [])
    /// Seconds between checks of the stores for changes (their own polling interval applies too).
    public var storeCheckInterval = 1.0
    /// Who does the per-packet work: the userspace datapath (default, every kernel) or the
    /// kernel's XFRM (`wardd --datapath kernel`; needs a kernel with ESP).
    public var datapath = DatapathKind.userspace
    /// Log every packet decision (noisy; `ipsecdiagnostics` raises it too).
    public var verbose = false
    /// Interop test oracles only: where to write every installed SA's keys (`OracleKeyLog`).
    public var oracleKeyLog: String?

    /// Group Policy: the domain, the machine's identity and the intervals (`wardd --domain`);
    /// nil: the host takes no domain policy.
    public var groupPolicy: GroupPolicyWorker.Configuration?
    /// The machine account's keytab for Kerberos in IKE (`wardd --keytab`); nil, or a keytab
    /// that cannot be read, leaves Kerberos out of the offers (the agent says so at start).
    public var kerberosKeytab: String?
    /// The last domain policy in force (`/var/lib/ward/domain-cache.json`, 0600).
    public var domainCachePath = "/var/lib/ward/domain-cache.json"

    /// Where the web console serves (`wardd --console`), for `show config`; nil: off.
    public var consoleURL: String?

    public init() {}
}

/// The two datapath backends (`DatapathBackend`).
public enum DatapathKind: String, Sendable, CaseIterable {
    case userspace, kernel
}
