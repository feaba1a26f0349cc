import Foundation

/// The blocks of a PEM file (RFC 7468): label and DER, in order. Text outside blocks (openssl's
/// "Bag Attributes", comments) is skipped.
struct PEMBlock {
    var label: String
    var der: [UInt8]

    /// The blocks in `bytes`, or nil when the bytes are not PEM text at all (DER, say).
    static func blocks(in bytes: [UInt8]) throws(CertificateError) -> [PEMBlock]? {
        guard let text = String(bytes: bytes, encoding: .utf8), text.contains("-----BEGIN ") else { return nil }
        var blocks: [PEMBlock] = []
        var label: String?
        var body = ""
        var line = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            line += 1
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("-----BEGIN "), trimmed.hasSuffix("-----") {
                label = String(trimmed.dropFirst(11).dropLast(5))
                body = ""
            } else if trimmed.hasPrefix("-----END "), let open = label {
                guard trimmed == "-----END \(open)-----" else { throw CertificateError("PEM", "line \(line): \(trimmed) closes \(open)") }
                guard let data = Data(base64Encoded: body) else { throw CertificateError("PEM", "line \(line): the \(open) block is not base64") }
                blocks.append(PEMBlock(label: open, der: Array(data)))
                label = nil
            } else if label != nil, !trimmed.contains(":") {
                body += trimmed
            }
        }
        if let label { throw CertificateError("PEM", "the \(label) block has no END line") }
        return blocks
    }

    /// PEM text of one DER block, 64 characters a line.
    static func text(label: String, der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(base64)
        while !rest.isEmpty { lines.append(rest.prefix(64)); rest = rest.dropFirst(64) }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }
}
