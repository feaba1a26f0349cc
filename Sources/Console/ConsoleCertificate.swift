import Crypto
import Foundation
import Monitor
import Packet
import SwiftASN1
import X509

/// The console's TLS identity off loopback: a self-signed ECDSA P-256 certificate made at the
/// first start and kept (key 0600) so browsers can pin it; its SHA-256 fingerprint is what
/// `ward console url` prints for the administrator to compare.
struct ConsoleCertificate {
    let certificatePEM: String
    let keyPEM: String
    let fingerprint: String

    /// Reads `console-cert.pem` and `console-key.pem` from `directory`, or makes them.
    static func loadOrCreate(directory: String, host: String, now: Date = Date()) throws -> ConsoleCertificate {
        let certificatePath = directory + "/console-cert.pem", keyPath = directory + "/console-key.pem"
        if let certificate = FileManager.default.contents(atPath: certificatePath), let key = FileManager.default.contents(atPath: keyPath) {
            let pem = String(decoding: certificate, as: UTF8.self)
            return ConsoleCertificate(certificatePEM: pem, keyPEM: String(decoding: key, as: UTF8.self), fingerprint: try fingerprint(of: pem))
        }
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("Ward console on \(host)") }
        var alternativeNames: [GeneralName] = [.dnsName(host)]
        if let address = IPAddress(host) {
            let octets: [UInt8]
            switch address {
            case .v4(let v4): octets = v4.octets
            case .v6(let v6): octets = v6.octets
            }
            alternativeNames = [.ipAddress(ASN1OctetString(contentBytes: ArraySlice(octets)))]
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3_600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(alternativeNames)
            },
            issuerPrivateKey: .init(key))
        let pem = try certificate.serializeAsPEM().pemString + "\n"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(atPath: keyPath, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]),
              FileManager.default.createFile(atPath: certificatePath, contents: Data(pem.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw ConsoleError("cannot write the console's certificate and key in \(directory)")
        }
        return ConsoleCertificate(certificatePEM: pem, keyPEM: key.pemRepresentation, fingerprint: try fingerprint(of: pem))
    }

    static func fingerprint(of pem: String) throws -> String {
        let document = try PEMDocument(pemString: pem)
        return SHA256.hash(data: document.derBytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}

