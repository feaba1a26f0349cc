import Foundation
import Policy

/// Ward's policy export file (`exportpolicy` / `importpolicy`), documented in
/// `Docs/export-format.md`.
///
/// A JSON object: `format` is always `"ward-ipsec-policy"`, `version` the layout version
/// (currently 1); then every policy of the exported store with its rules, and every filter list
/// and filter action of that store. Objects keep their GUIDs and last-change times, so an
/// import recreates exactly what was exported.
public struct PolicyExport: Codable, Equatable, Sendable {
    public static let formatName = "ward-ipsec-policy"
    public static let currentVersion = 1

    public struct PolicyEntry: Codable, Equatable, Sendable {
        public var policy: IPsecPolicy
        public var rules: [Rule]

        public init(policy: IPsecPolicy, rules: [Rule]) {
            self.policy = policy
            self.rules = rules
        }
    }

    public var format: String
    public var version: Int
    /// The store the file was exported from (informational; import targets the current store).
    public var store: StoreLocation
    public var policies: [PolicyEntry]
    public var filterLists: [FilterList]
    public var filterActions: [FilterAction]

    public init(store: StoreLocation, policies: [PolicyEntry], filterLists: [FilterList], filterActions: [FilterAction]) {
        format = Self.formatName
        version = Self.currentVersion
        self.store = store
        self.policies = policies
        self.filterLists = filterLists
        self.filterActions = filterActions
    }

    /// The file's bytes: pretty-printed, keys sorted, times in ISO 8601.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Reads and checks a file's bytes; errors name the path and what is wrong.
    public static func decode(_ data: Data, path: String) throws(StoreError) -> PolicyExport {
        struct Header: Decodable { var format: String?; var version: Int? }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let header = try? decoder.decode(Header.self, from: data) else {
            throw .badImport(path: path, reason: "not a JSON object (expected a Ward policy export)")
        }
        guard header.format == formatName else {
            throw .badImport(path: path, reason: "format is \(header.format.map { "'\($0)'" } ?? "missing"); expected '\(formatName)'")
        }
        guard let version = header.version, (1...currentVersion).contains(version) else {
            throw .badImport(path: path, reason: "version \(header.version.map(String.init) ?? "missing") is not supported (this Ward reads 1...\(currentVersion))")
        }
        do {
            return try decoder.decode(PolicyExport.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw .badImport(path: path, reason: "\(codingPath(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw .badImport(path: path, reason: "\(codingPath(context.codingPath + [key])): missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .badImport(path: path, reason: "\(codingPath(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .badImport(path: path, reason: "\(codingPath(context.codingPath)): missing value")
        } catch {
            throw .badImport(path: path, reason: "\(error)")
        }
    }

    private static func codingPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop(while: { $0 == "." }).description
    }
}

extension StoreTransaction {
    /// Adds an export's objects to this store. An object with the same GUID as a stored one
    /// replaces it (so re-importing, or importing the predefined objects, does not duplicate);
    /// an object whose name is taken by a different GUID is refused. An imported policy's rules
    /// replace that policy's stored rules.
    public func importDocument(_ document: PolicyExport) throws {
        for list in document.filterLists {
            let keep = at(list.whenChanged)
            if try filterList(id: list.id) != nil { try keep.update(list) } else { try keep.insert(list) }
        }
        for action in document.filterActions {
            let keep = at(action.whenChanged)
            if try filterAction(id: action.id) != nil { try keep.update(action) } else { try keep.insert(action) }
        }
        for entry in document.policies {
            let keep = at(entry.policy.whenChanged)
            if try policy(id: entry.policy.id) != nil {
                for rule in try rules(ofPolicy: entry.policy.id) { try deleteRule(rule) }
                try keep.update(entry.policy)
            } else {
                try keep.insert(entry.policy)
            }
            for rule in entry.rules {
                guard rule.policyID == entry.policy.id else {
                    throw StoreError.invalid(ValidationError(object: "rule '\(rule.name)'", field: "policy",
                                                             "is filed under policy '\(entry.policy.name)' but names another policy id"))
                }
                try at(rule.whenChanged).insert(rule)
            }
            // Rule inserts stamp the policy; put back the exported time.
            try keep.touchPolicy(entry.policy.id)
        }
    }
}
