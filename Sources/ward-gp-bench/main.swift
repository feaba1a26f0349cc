// ward-gp-bench: the Group Policy client's query sequence for a fleet of simulated hosts
// against one domain controller (scripts/bench-gp.sh runs it). Not a test.
//
//   ward-gp-bench SERVER PHASE COUNT PREFIX
//
// PHASE is `baseline` (COUNT root DSE reads: the cheapest search, the run's own yardstick),
// `discover` (the discovery of computers PREFIX0$ … PREFIX<COUNT-1>$: their GPOs, the
// assignment) or `poll` (COUNT polls of the policy PREFIX0$ is assigned: the stamp of its
// closure). Prints `searches=N seconds=S` on one line; the caller measures the DC's CPU.
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
    let directory = CountingDirectory(try LDAPConnection(host: server))
    let discovery = GroupPolicyDiscovery(directory: directory)
    var policyDN = ""
    var namingContext = ""
    if phase == "poll" {
        let result = try discovery.discover(account: "\(prefix)0$", addresses: [], now: Date())
        guard let assigned = result.applied?.policyDN else { throw GroupPolicyError("\(prefix)0$ is assigned no policy") }
        (policyDN, namingContext) = (assigned, result.domain)
    }
    let reader = AssignedPolicyReader(directory: directory, namingContext: namingContext)
    directory.searches = 0
    let start = Date()
    for index in 0..<count {
        switch phase {
        case "baseline": _ = try discovery.namingContexts()
        case "discover":
            let result = try discovery.discover(account: "\(prefix)\(index)$", addresses: [], now: Date())
            guard result.applied != nil else { throw GroupPolicyError("\(prefix)\(index)$ is assigned no policy") }
        case "poll": _ = try reader.stamp(of: policyDN)
        default: throw GroupPolicyError("phase '\(phase)' is not baseline, discover or poll")
        }
    }
    print("searches=\(directory.searches) seconds=\(Date().timeIntervalSince(start))")
} catch {
    FileHandle.standardError.write(Data("ward-gp-bench: \(error)\n".utf8))
    exit(1)
}
