// wardd: the Ward IPsec agent. Loads the effective policy from the stores, puts the userspace
// datapath in the path of every packet (Docs/datapath.md), negotiates SAs with IKE, and answers
// `ward ipsec dynamic` on its control socket. Runs in the foreground; systemd supervises it
// (packaging/wardd.service). Logs go to stderr, one key=value line per event.
import Agent
import ArgumentParser
import Console
import Monitor
import DomainClient
import Foundation
import Filtering
import Platform

@main
struct Wardd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wardd",
        abstract: "The Ward IPsec agent: enforces the assigned policy on every packet, negotiates with IKE.")

    @Option(help: "Policy database (default: $WARD_STORE or /var/lib/ward/policy.db).")
    var store: String?
    @Option(help: "Control socket (default: /run/ward/ward.sock).")
    var socket: String = "/run/ward/ward.sock"
    @Option(help: "Saved `set config` values (default: /var/lib/ward/config.json).")
    var config: String = "/var/lib/ward/config.json"
    @Option(help: "Certificate store (default: /etc/ward/certs; ward certificate manages it).")
    var certificates: String = "/etc/ward/certs"
    @Option(help: "Comma-separated interfaces whose inbound traffic is decided (default: every Ethernet interface).")
    var interfaces: String?
    @Option(help: "How packets reach the agent: nftables or tc (default: nftables when the kernel has it, else tc).")
    var steering: String?
    @Option(help: "Who carries the packets: userspace (default, any kernel) or kernel (XFRM; needs a kernel with ESP).")
    var datapath: String = "userspace"
    @Flag(help: "Put the boot-time filter (set config bootmode, bootexemptions) in force and exit: run before the network comes up (packaging/ward-boot.service).")
    var boot = false
    @Flag(help: "Stay in the foreground (wardd always does; accepted for systemd units and tests).")
    var foreground = false
    @Option(help: "Take this host's IPsec policy from Group Policy in this Active Directory domain (e.g. ward.test); off by default.")
    var domain: String?
    @Option(help: "The computer account (sAMAccountName) the host binds as (default: the short host name, upper case, with $).")
    var machineAccount: String?
    @Option(help: "The keytab holding the computer account's keys, for Group Policy and Kerberos in IKE (default: /etc/krb5.keytab; 0600).")
    var keytab: String = "/etc/krb5.keytab"
    @Option(help: "The last domain policy in force, used at start and while no domain controller answers (default: /var/lib/ward/domain-cache.json).")
    var domainCache: String = "/var/lib/ward/domain-cache.json"
    @Option(help: "Seconds between Group Policy refreshes of the assignment (default: 5400, plus up to a third more at random).")
    var gpRefresh: Double = 5_400
    @Option(help: "Seconds between polls of the assigned policy, instead of the policy's own polling interval (labs and tests).")
    var gpPoll: Double?
    @Option(help: "Serve the web console and /metrics on ADDRESS:PORT (e.g. 127.0.0.1:8843; off by default). Off loopback it serves TLS with a self-signed certificate; `ward console url` prints a login URL.")
    var console: String?
    @Flag(help: "Log debug detail.")
    var verbose = false
    @Option(help: ArgumentHelp("Interop test oracles only: write every installed SA's keys to this file (tshark's esp_sa form).", visibility: .hidden))
    var oracleKeylog: String?

    func run() throws {
        umask(0o077)
        guard geteuid() == 0 else { throw ValidationError("wardd needs root (TUN devices, raw sockets, netlink, nftables)") }
        var configuration = AgentConfiguration()
        configuration.storePath = store ?? ProcessInfo.processInfo.environment["WARD_STORE"] ?? "/var/lib/ward/policy.db"
        configuration.socketPath = socket
        configuration.configPath = config
        configuration.certificatePath = certificates
        guard let kind = DatapathKind(rawValue: datapath.lowercased()) else {
            throw ValidationError("--datapath: '\(datapath)' is not userspace or kernel")
        }
        configuration.datapath = kind
        configuration.interfaces = interfaces.map { $0.split(separator: ",").map(String.init) }
        configuration.oracleKeyLog = oracleKeylog
        if let steering {
            guard let mechanism = PacketSteering.Mechanism(rawValue: steering.lowercased()) else {
                throw ValidationError("--steering: '\(steering)' is not nftables or tc")
            }
            configuration.steering.mechanism = mechanism
        }
        let log = Log(minimum: verbose ? .debug : .info)
        configuration.domainCachePath = domainCache
        configuration.kerberosKeytab = keytab
        if let domain {
            guard gpRefresh >= 1, (gpPoll ?? 1) >= 1 else { throw ValidationError("--gp-refresh and --gp-poll: at least 1 second") }
            let identity = MachineIdentity(account: machineAccount, keytab: keytab)
            // Before any thread starts: Kerberos reads the environment once per context.
            do { try identity.install() } catch {
                // The cached domain policy still goes in force; binding will fail and say so.
                log(.error, "machine identity not usable; the domain policy comes from the cache only", ["reason": error])
            }
            var settings = GroupPolicyWorker.Configuration(domain: domain, identity: identity)
            settings.refreshBase = gpRefresh
            settings.refreshJitter = gpRefresh / 3
            settings.pollOverride = gpPoll
            configuration.groupPolicy = settings
        }
        if let oracleKeylog { log(.warning, "SA keys are written for test oracles: never run so in production", ["oracle_keylog": oracleKeylog]) }
        if boot {
            // A stored value that does not parse must not leave the host unfiltered: the
            // default mode (stateful, no exemptions) goes in force, and the exit status says so.
            let settings = AgentSettings.load(path: config)
            var failure: String?
            var (mode, exemptions) = (BootMode.stateful, [BootExemption]())
            do { (mode, exemptions) = try settings.bootFilter() } catch { failure = "\(error)" }
            do {
                try BootFilter.install(mode: mode, exemptions: exemptions)
            } catch {
                log(.error, "boot-time filter not installed", ["reason": error])
                throw ExitCode(1)
            }
            log(failure == nil ? .notice : .error, "boot-time filter in force",
                ["bootmode": mode.rawValue, "bootexemptions": exemptions.isEmpty ? "none" : exemptions.map(\.description).joined(separator: " "),
                 "reason": failure ?? "as configured"])
            if failure != nil { throw ExitCode(1) }
            return
        }
        let credentialDirectory = (socket as NSString).deletingLastPathComponent
        var monitor: MonitorState?
        if let console {
            raiseDescriptorLimit()
            do {
                let server = ConsoleServer(configuration: try .init(
                    listen: console, credentialDirectory: credentialDirectory,
                    certificateDirectory: ((config as NSString).deletingLastPathComponent as NSString).appendingPathComponent("console"),
                    storePath: configuration.storePath, socketPath: socket), state: MonitorState(),
                    audit: { command, outcome in log(.notice, "console change", ["command": command, "outcome": outcome]) })
                let credentials = try server.start()
                monitor = server.state
                configuration.consoleURL = credentials.baseURL
                log(.notice, "console serving", ["url": credentials.baseURL, "tls_sha256": credentials.fingerprint ?? "none (loopback)",
                                                 "tokens": credentialDirectory])
            } catch {
                log(.error, "startup failed", ["reason": error])
                throw ExitCode(1)
            }
        }
        let runtime = AgentRuntime(configuration: configuration, log: log)
        if let monitor { runtime.monitor = { monitor.publish($0) } }
        defer { if console != nil { ConsoleCredentials.remove(directory: credentialDirectory) } }
        do {
            try runtime.run()
        } catch {
            log(.error, "startup failed", ["reason": error])
            throw ExitCode(1)
        }
    }
}

/// The console holds one descriptor per client: the soft limit goes up to the hard one, so a
/// thousand browsers or scrapers do not starve the agent of descriptors.
private func raiseDescriptorLimit() {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
}
