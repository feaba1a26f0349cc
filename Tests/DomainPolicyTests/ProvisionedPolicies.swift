import DomainPolicy
import Foundation

/// The IP Security objects Samba provisions into every new domain, copied by Samba from a
/// Windows Server domain (`/usr/share/samba/setup/provision.ldif`, Debian package
/// samba-ad-provision), read at test time: Windows' own blobs as test vectors.
enum ProvisionedPolicies {
    static let path = "/usr/share/samba/setup/provision.ldif"
    static let namingContext = "DC=ward,DC=test"

    /// The entries under `CN=IP Security,CN=System`, or nil (with the reason printed) when
    /// Samba's provisioning data is not installed.
    static func entries() -> [DirectoryEntry]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            print("skipped: \(path) is not installed (apt-get install samba-ad-provision)")
            return nil
        }
        return parse(text.replacingOccurrences(of: "${DOMAINDN}", with: namingContext))
            .filter { $0.dn.lowercased().hasSuffix(",cn=ip security,cn=system,\(namingContext.lowercased())") }
    }

    /// A small LDIF reader (RFC 2849): records split by blank lines, folded lines joined,
    /// `::` values base64.
    static func parse(_ text: String) -> [DirectoryEntry] {
        var entries: [DirectoryEntry] = []
        for record in text.components(separatedBy: "\n\n") {
            var lines: [String] = []
            for line in record.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("#") { continue }
                if line.hasPrefix(" "), !lines.isEmpty { lines[lines.count - 1] += line.dropFirst() } else { lines.append(String(line)) }
            }
            var entry: DirectoryEntry?
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = String(line[..<colon])
                var rest = line[line.index(after: colon)...]
                var value: [UInt8]
                if rest.hasPrefix(":") {
                    rest = rest.dropFirst()
                    value = Array(Data(base64Encoded: rest.trimmingCharacters(in: .whitespaces)) ?? Data())
                } else {
                    value = Array(rest.trimmingCharacters(in: .whitespaces).utf8)
                }
                if name == "dn" {
                    entry = DirectoryEntry(dn: String(decoding: value, as: UTF8.self))
                } else {
                    entry?.attributes[name.lowercased(), default: []].append(value)
                }
            }
            if let entry { entries.append(entry) }
        }
        return entries
    }
}
