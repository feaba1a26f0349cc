import Certificates
import Foundation

/// The CERT payload path: what a peer's CERT payloads, a CRL file or a store file can hold.
/// The first byte picks the target; the rest is the input. CERT payloads are given as a list
/// of (2-byte length, bytes) items, checked against a rule whose root is a real CA (strongSwan
/// pki, "C=CH, O=lab, CN=lab CA"), so path building and signature checks run on whatever
/// parses. Every call must return or throw, never trap, and stay within bounded memory.
let rootDER = Array(Data(base64Encoded: "MIIDHDCCAgSgAwIBAgIIV17kNMXLyWIwDQYJKoZIhvcNAQELBQAwLDELMAkGA1UEBhMCQ0gxDDAKBgNVBAoTA2xhYjEPMA0GA1UEAxMGbGFiIENBMB4XDTI2MTEyOTE0MjI0OFoXDTM2MTEyNjE0MjI0OFowLDELMAkGA1UEBhMCQ0gxDDAKBgNVBAoTA2xhYjEPMA0GA1UEAxMGbGFiIENBMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAngD24Sq64C7uWb6SViKC3jGlFSHgRC4UIqxhi9qlck+JMOvd46yhwm7qgR1rrxyebm/BkuIFoomaRaZ3BbaAY0+bNj8qQZq2qiMKxuK8WE+sQ3g4si+GeOOLna/haTYKqNK8hgMXZMmMdyhjDSIPxDbDFh3hqT4LO1dxXSWOuBjkKYSPRyhHKOuEZauJYOE41dDD4rPIuU8+TngcWuzM/tW1DYvqaoNFv0Oy5w8WnitJPM5spyR/nfBgX/BC88q2QrLwTI4DwCh1cncg0jcAlXVAME1wWa5JOWjaqHO78VVcTSsPwUanw10M/neKeCP67SMTx/vGFq1bT/ShAWox/wIDAQABo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQU1c0c3ehjErXPKWOhWVigqgXS7CIwDQYJKoZIhvcNAQELBQADggEBABysFoYpXTw5ZsfNaIIhhVpcI3BJJ3QahEvAdJ429dB5X1GeEasQIvwy7RF4HzQbJh89/zL+CGFSVjTf6/TClf5X91R/V0Pv5DCMr9+lC5Jdacw7cqdZowpy579BNyRBUfTVjfw2CUj4AdJVfaOXGihhp0xwsLOjjsSPtJnPVDNqCR1YxoLP8lap37cdROzJGtmdJyZ+0RBmFYERhca0TKK7exKrm4mToruNH+zcZDQThq2ZL28gVHDs5KL3TpwcBlbxOEXeXlOrx1ejZQVsWm44AoE3LU9f1kTCx23FG0Joj2DNMh6GPAecAz1qb3w7txAIk/A5O95ndgmDlwGvdcU=")!)
let inventory = CertificateInventory(certificates: [try! StoredCertificate(der: rootDER)])
let authenticator = CertificateSettings(inventory: inventory, revocationCheck: .strict, clock: { Date(timeIntervalSince1970: 1_800_000_000) })
    .authenticator(roots: [(name: "C=CH, O=lab, CN=lab CA", certificateMapping: false, excludeCAName: false)])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 4 {
    case 0:
        var payloads: [[UInt8]] = []
        var offset = 0
        while offset + 2 <= bytes.count {
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            offset += 2
            let end = min(bytes.count, offset + length)
            payloads.append(Array(bytes[offset..<end]))
            offset = end
        }
        _ = try? authenticator.authenticatePeer(certificates: payloads, identity: .fqdn("h.lab.test"), signature: Array(repeating: 1, count: 64),
                                                hash: Array(repeating: 2, count: 32), authenticationMethod: 9)
    case 1:
        if let list = try? RevocationList(bytes: bytes) { _ = list.revoked.count }
    case 2:
        if let stored = try? StoredCertificate(der: bytes) { _ = stored.isCA; _ = stored.keyDescription }
    default:
        _ = try? DistinguishedNamePattern(String(decoding: bytes, as: UTF8.self))
        _ = try? IKESignatureKey(privateKey: bytes)
    }
    return 0
}
