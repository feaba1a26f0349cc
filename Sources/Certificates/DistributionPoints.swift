import SwiftASN1
import X509

extension Certificate {
    /// The HTTP URLs of the certificate's CRL distribution points (RFC 5280 §4.2.1.13,
    /// extension 2.5.29.31): each DistributionPoint's fullName uniformResourceIdentifier
    /// ([6] IA5String) that starts with `http://`. Other schemes (LDAP, HTTPS) are skipped; a
    /// malformed extension yields none. At most 4, each at most 512 bytes.
    public var crlDistributionPointURLs: [String] {
        guard let ext = extensions[oid: [2, 5, 29, 31]], let root = try? DER.parse(ext.value) else { return [] }
        var urls: [String] = []
        func walk(_ node: ASN1Node, depth: Int) {
            guard depth < 8, urls.count < 4 else { return }
            switch node.content {
            case .constructed(let children):
                for child in children { walk(child, depth: depth + 1) }
            case .primitive(let bytes):
                // uniformResourceIdentifier is GeneralName's [6], implicitly tagged.
                guard node.identifier.tagClass == .contextSpecific, node.identifier.tagNumber == 6, bytes.count <= 512,
                      let text = String(bytes: bytes, encoding: .ascii), text.lowercased().hasPrefix("http://") else { return }
                urls.append(text)
            }
        }
        walk(root, depth: 0)
        return urls
    }
}
