import DomainPolicy
import GroupPolicy

/// A directory in memory for Group Policy processing: entries by DN, the three scopes, and
/// the LDAP filter subset the client sends (RFC 4515: &, |, !, equality, presence), case-blind
/// as AD compares these attributes. It counts searches.
final class InMemoryDirectory: GroupPolicyDirectory {
    var entries: [DirectoryEntry] = []
    var searches: [String] = []
    let serverName = "dc-fake:389"

    func add(_ dn: String, _ attributes: [String: [String]]) {
        entries.append(DirectoryEntry(dn: dn, attributes: Dictionary(uniqueKeysWithValues: attributes.map { ($0.key.lowercased(), $0.value.map { Array($0.utf8) }) })))
    }

    func search(base: String, scope: SearchScope, filter: String, attributes: [String], securityDescriptor: Bool) throws(DirectoryError) -> [DirectoryEntry] {
        searches.append(filter)
        let key = base.lowercased()
        if base.isEmpty {
            return entries.filter { $0.dn.isEmpty }
        }
        guard entries.contains(where: { $0.dn.lowercased() == key }) || scope != .base else {
            throw DirectoryError(code: DirectoryError.noSuchObject, operation: "search \(base)", message: "No such object")
        }
        let matches = entries.filter { entry in
            let dn = entry.dn.lowercased()
            switch scope {
            case .base: return dn == key
            case .oneLevel: return dn.hasSuffix("," + key) && !dn.dropLast(key.count + 1).contains(where: { $0 == "," })
            case .subtree: return dn == key || dn.hasSuffix("," + key)
            }
        }.filter { matchesFilter(Substring(filter), $0) }
        return matches.map { entry in
            var result = DirectoryEntry(dn: entry.dn)
            for (name, values) in entry.attributes where attributes.contains("*") || attributes.contains(where: { $0.lowercased() == name }) {
                if name == "ntsecuritydescriptor" && !securityDescriptor { continue }
                result.attributes[name] = values
            }
            return result
        }
    }

    private func matchesFilter(_ text: Substring, _ entry: DirectoryEntry) -> Bool {
        var body = text
        guard body.first == "(", body.last == ")" else { return false }
        body = body.dropFirst().dropLast()
        switch body.first {
        case "&": return parts(body.dropFirst()).allSatisfy { matchesFilter($0, entry) }
        case "|": return parts(body.dropFirst()).contains { matchesFilter($0, entry) }
        case "!": return !matchesFilter(body.dropFirst(), entry)
        default:
            guard let equals = body.firstIndex(of: "=") else { return false }
            let name = body[..<equals].lowercased(), value = String(body[body.index(after: equals)...]).lowercased()
            if name == "distinguishedname" { return entry.dn.lowercased() == value }
            let values = entry.strings(name).map { $0.lowercased() }
            return value == "*" ? !values.isEmpty : values.contains(value)
        }
    }

    private func parts(_ text: Substring) -> [Substring] {
        var result: [Substring] = [], depth = 0, start = text.startIndex
        for index in text.indices {
            if text[index] == "(" { if depth == 0 { start = index }; depth += 1 }
            if text[index] == ")" { depth -= 1; if depth == 0 { result.append(text[start...index]) } }
        }
        return result
    }
}

extension InMemoryDirectory {
    func set(_ dn: String, _ attribute: String, bytes: [[UInt8]]) {
        guard let index = entries.firstIndex(where: { $0.dn.lowercased() == dn.lowercased() }) else { return }
        entries[index].attributes[attribute.lowercased()] = bytes
    }

    func set(_ dn: String, _ attribute: String, _ values: [String]) { set(dn, attribute, bytes: values.map { Array($0.utf8) }) }
}
