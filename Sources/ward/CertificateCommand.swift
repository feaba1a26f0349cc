import Certificates
import Foundation

/// `ward certificate …`: the certificate store (`/etc/ward/certs`, or `--dir`, or
/// `$WARD_CERTS`). Not a netsh context — Windows manages certificates in its own store — so
/// plain subcommands:
///
///     ward certificate import FILE...        certificates, CRLs, private keys (PEM or DER)
///     ward certificate list                  subject, issuer, validity, fingerprint, key
///     ward certificate delete FINGERPRINT|SUBJECT
///     ward certificate map SUBJECT|sha256:FINGERPRINT COMPUTER    (certmap:yes)
///     ward certificate unmap SUBJECT|sha256:FINGERPRINT
///
/// A running wardd notices the change within a second.
struct CertificateCommand {
    var arguments: [String]

    static let usage = """
        usage: ward certificate [--dir DIR] import FILE...
               ward certificate [--dir DIR] list
               ward certificate [--dir DIR] delete FINGERPRINT|SUBJECT
               ward certificate [--dir DIR] map SUBJECT|sha256:FINGERPRINT COMPUTER
               ward certificate [--dir DIR] unmap SUBJECT|sha256:FINGERPRINT
        """

    func run() -> Int32 {
        var words = arguments
        var directory = ProcessInfo.processInfo.environment["WARD_CERTS"] ?? CertificateFileStore.defaultDirectory
        if words.first == "--dir" {
            guard words.count >= 2 else { return fail("--dir needs a directory") }
            directory = words[1]
            words.removeFirst(2)
        }
        guard let verb = words.first?.lowercased() else { return fail(Self.usage) }
        let rest = Array(words.dropFirst())
        let store = CertificateFileStore(directory: directory)
        do {
            switch verb {
            case "import":
                guard !rest.isEmpty else { return fail("import: name at least one file") }
                var files: [(name: String, bytes: [UInt8])] = []
                for path in rest {
                    guard let data = FileManager.default.contents(atPath: path) else { return fail("import: \(path) cannot be read") }
                    files.append((path, Array(data)))
                }
                let result = try store.importFiles(files)
                for stored in result.certificates {
                    print("Imported certificate \(stored.certificate.subject) (SHA-256 \(stored.fingerprint.prefix(16))…)"
                          + (result.keysFor.contains(stored.fingerprint) ? " with its private key" : ""))
                }
                for fingerprint in result.keysFor where !result.certificates.contains(where: { $0.fingerprint == fingerprint }) {
                    print("Imported the private key of certificate \(fingerprint.prefix(16))…")
                }
                for list in result.revocationLists { print("Imported CRL of \(list.issuer) (\(list.revoked.count) revoked)") }
            case "list":
                print(Self.listing(store.load()), terminator: "")
            case "delete":
                guard rest.count == 1 else { return fail("delete: give one fingerprint (8 hex digits or more) or subject") }
                for stored in try store.delete(rest[0]) { print("Deleted \(stored.certificate.subject) (\(stored.fingerprint.prefix(16))…)") }
            case "map":
                guard rest.count == 2 else { return fail("map: give SUBJECT (or sha256:FINGERPRINT) and COMPUTER") }
                try store.map(rest[0], to: rest[1])
                print("Mapped \(rest[0]) to \(rest[1])")
            case "unmap":
                guard rest.count == 1 else { return fail("unmap: give SUBJECT or sha256:FINGERPRINT") }
                guard try store.unmap(rest[0]) else { return fail("unmap: no mapping for \(rest[0])") }
                print("Removed the mapping of \(rest[0])")
            case "help", "-h", "--help":
                print(Self.usage)
            default:
                return fail("'\(verb)' is not import, list, delete, map or unmap\n" + Self.usage)
            }
        } catch {
            return fail("\(verb): \(error)")
        }
        return 0
    }

    /// The store as `list` prints it.
    static func listing(_ inventory: CertificateInventory) -> String {
        let formatter = ISO8601DateFormatter()
        var out = ""
        for stored in inventory.certificates {
            let c = stored.certificate
            out += """
                Subject        : \(c.subject)
                Issuer         : \(c.issuer)
                Valid          : \(formatter.string(from: c.notValidBefore)) to \(formatter.string(from: c.notValidAfter))
                SHA-256        : \(stored.fingerprint)
                Key            : \(stored.keyDescription)\(stored.key != nil ? ", private key stored" : "")
                CA             : \(stored.isCA ? "yes" : "no")


                """
        }
        for list in inventory.revocationLists {
            out += "CRL of         : \(list.issuer)\nUpdated        : \(formatter.string(from: list.thisUpdate))"
                + (list.nextUpdate.map { ", next \(formatter.string(from: $0))" } ?? "") + "\nRevoked        : \(list.revoked.count)\n\n"
        }
        for mapping in inventory.mappings { out += "certmap        : \(mapping.match) -> \(mapping.computer)\n" }
        for problem in inventory.problems { out += "Problem        : \(problem)\n" }
        if out.isEmpty { out = "The certificate store is empty.\n" }
        return out
    }

    func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data(("ward certificate: " + message + "\n").utf8))
        return 1
    }
}
