import ESP
import Foundation
import IKE
import Transforms

/// Test oracles only (`wardd --oracle-keylog FILE`): every installed SA's keys, one line each,
/// in the form of tshark's `uat:esp_sa` table, so that an interop test can decrypt a capture
/// and check which SA carried which packet. Never on by default; the file is created 0600 and
/// the agent logs loudly that keys are being written.
struct OracleKeyLog {
    let path: String

    /// Appends both SAs of `pair`; SAs whose algorithms tshark cannot name are skipped.
    func record(_ pair: NegotiatedSAPair) {
        let lines = [pair.inbound, pair.outbound].compactMap(Self.line)
        guard !lines.isEmpty else { return }
        let text = Data(lines.map { $0 + "\n" }.joined().utf8)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: text)
    }

    /// `"IPv4","*","*","0x0000abcd","AES-CBC [RFC3602]","0x…","HMAC-SHA-1-96 [RFC2404]","0x…"`.
    static func line(_ sa: SAParameters) -> String? {
        guard let encryption = encryptionName(sa.encryption), let integrity = integrityName(sa.integrity) else { return nil }
        func hex(_ bytes: [UInt8]) -> String { bytes.isEmpty ? "" : "0x" + bytes.map { String(format: "%02x", $0) }.joined() }
        let family = sa.destination.isIPv4 ? "IPv4" : "IPv6"
        return [family, "*", "*", String(format: "0x%08x", sa.spi), encryption, hex(sa.encryptionKey), integrity, hex(sa.integrityKey)]
            .map { "\"\($0)\"" }.joined(separator: ",")
    }

    static func encryptionName(_ algorithm: EncryptionAlgorithm?) -> String? {
        switch algorithm {
        case nil, .null: "NULL"
        case .desCBC: "DES-CBC [RFC2405]"
        case .tripleDESCBC: "TripleDES-CBC [RFC2451]"
        case .aesCBC: "AES-CBC [RFC3602]"
        case .aesGCM16: "AES-GCM with 16 octet ICV [RFC4106]"
        case .chacha20Poly1305: nil
        }
    }

    static func integrityName(_ algorithm: IntegrityAlgorithm?) -> String? {
        switch algorithm {
        case nil: "NULL"
        case .hmacMD5_96: "HMAC-MD5-96 [RFC2403]"
        case .hmacSHA1_96: "HMAC-SHA-1-96 [RFC2404]"
        case .hmacSHA256_128: "HMAC-SHA-256-128 [RFC4868]"
        case .hmacSHA384_192: "HMAC-SHA-384-192 [RFC4868]"
        case .hmacSHA512_256: "HMAC-SHA-512-256 [RFC4868]"
        }
    }
}
