import DomainPolicy
import Filtering
import Foundation
import GroupPolicy

/// The last domain policy put in force, kept on the host (`/var/lib/ward/domain-cache.json`,
/// 0600): the directory entries as read, so the same decoder reads them at start, with the
/// Group Policy result that chose them. Used at start and whenever no domain controller
/// answers; replaced only after a successful read, removed only when a successful read finds
/// that no GPO assigns a policy (fail closed: never open).
public struct DomainPolicyCache: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// One cached read.
    public struct Record: Codable, Sendable, Equatable {
        public var result: GroupPolicyResult
        public var policyDN: String
        public var namingContext: String
        public var stamp: [String]
        public var entries: [Entry]

        public struct Entry: Codable, Sendable, Equatable {
            public var dn: String
            public var attributes: [String: [Data]]
        }

        public init(result: GroupPolicyResult, policyDN: String, namingContext: String, stamp: [String], entries: [DirectoryEntry]) {
            self.result = result
            self.policyDN = policyDN
            self.namingContext = namingContext
            self.stamp = stamp
            self.entries = entries.map { Entry(dn: $0.dn, attributes: $0.attributes.mapValues { $0.map { Data($0) } }) }
        }

        public var directoryEntries: [DirectoryEntry] {
            entries.map { DirectoryEntry(dn: $0.dn, attributes: $0.attributes.mapValues { $0.map { [UInt8]($0) } }) }
        }

        /// The GPO that assigned it.
        public var gpoName: String { result.applied?.gpoName ?? "?" }

        /// The policy, decoded again.
        public func snapshot() throws(GroupPolicyError) -> PolicySnapshot {
            try AssignedPolicyReader.snapshot(of: policyDN, entries: directoryEntries, namingContext: namingContext, gpoName: gpoName)
        }
    }

    /// The cached record; nil when there is none.
    ///
    /// - Throws: naming the file when it exists but cannot be read as a cache.
    public func load() throws(GroupPolicyError) -> Record? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(Record.self, from: data)
        } catch {
            throw GroupPolicyError("domain cache \(path): not a cache Ward wrote (\(error.localizedDescription))")
        }
    }

    /// Replaces the cache atomically (a new file renamed over the old), root-only.
    public func save(_ record: Record) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(record)
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = path + ".new"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw GroupPolicyError("domain cache \(temporary): cannot be written")
        }
        guard rename(temporary, path) == 0 else {
            throw GroupPolicyError("domain cache \(path): rename failed (\(String(cString: strerror(errno))))")
        }
    }

    public func remove() { unlink(path) }
}
