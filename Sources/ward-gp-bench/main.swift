// ward-gp-bench: the Group Policy client's query sequence for a fleet of simulated hosts
// against one domain controller (scripts/bench-gp.sh runs it). Not a test.
//
//   ward-gp-bench SERVER PHASE COUNT PREFIX
//
// Each operation connects and binds (SASL GSSAPI, sealed) as the agent's Group Policy thread
// does every cycle. PHASE is `baseline` (COUNT binds with the root DSE read that follows each:
// the least a cycle costs, the run's own yardstick), `discover` (the discovery of computers
// PREFIX0$ … PREFIX<COUNT-1>$: their GPOs and assignment, then the poll of the policy) or
// `poll` (COUNT polls of the policy PREFIX0$ is assigned: the stamp of its closure). Prints
// `searches=N seconds=S` on one line (searches after the bind); the caller measures the DC's CPU.
import Directory
import DomainPolicy
import Foundation
import GroupPolicy

/// Counts the searches the client sends.
final class CountingDirectory: GroupPolicyDirectory {
    let inner: LDAPConnection
    var searches = 0
    init(_ inner: LDAPConnection) { self.inner = inner }
    var serverName: String { inner.serverName }
    func search(base: String, scope: SearchScope, filter: String, attributes: [String], securityDescriptor: Bool) throws(DirectoryError) -> [DirectoryEntry] {
        searches += 1
        return try inner.search(base: base, scope: scope, filter: filter, attributes: attributes, securityDescriptor: securityDescriptor)
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 5, let count = Int(arguments[3]), count > 0 else {
    FileHandle.standardError.write(Data("usage: ward-gp-bench SERVER baseline|discover|poll COUNT PREFIX\n".utf8))
    exit(2)
}
let (server, phase, prefix) = (arguments[1], arguments[2], arguments[4])
do {
    let first = GroupPolicyDiscovery(directory: CountingDirectory(try LDAPConnection(host: server)))
    let assigned = try first.discover(account: "\(prefix)0$", addresses: [], now: Date())
    guard let policyDN = assigned.applied?.policyDN else { throw GroupPolicyError("\(prefix)0$ is assigned no policy") }
    var searches = 0
    let start = Date()
    for index in 0..<count {
        let directory = CountingDirectory(try LDAPConnection(host: server))
        switch phase {
        case "baseline": break
        case "discover":
            let result = try GroupPolicyDiscovery(directory: directory).discover(account: "\(prefix)\(index)$", addresses: [], now: Date())
            guard let dn = result.applied?.policyDN else { throw GroupPolicyError("\(prefix)\(index)$ is assigned no policy") }
            _ = try AssignedPolicyReader(directory: directory, namingContext: result.domain).stamp(of: dn)
        case "poll": _ = try AssignedPolicyReader(directory: directory, namingContext: assigned.domain).stamp(of: policyDN)
        default: throw GroupPolicyError("phase '\(phase)' is not baseline, discover or poll")
        }
        searches += directory.searches
    }
    print("searches=\(searches) seconds=\(Date().timeIntervalSince(start))")
} catch {
    FileHandle.standardError.write(Data("ward-gp-bench: \(error)\n".utf8))
    exit(1)
}
