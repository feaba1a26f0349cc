import Certificates
import Foundation
import SwiftASN1
import TestSupport
import X509
import XCTest

/// IKE signatures with stored keys, peer authentication's refusals, and the store on disk.
final class SignatureAndStoreTests: XCTestCase {
    func testSignaturesVerifyWithTheCertificatesKeyAndNotOtherwise() throws {
        let root = try TestPKI.root("Sig Root")
        for (kind, expected, length) in [(TestPKI.KeyKind.rsa2048, SignatureKeyKind.rsa(bits: 2048), 256), (.p256, .ecdsa(curve: .p256), 64)] {
            let host = try TestPKI.issue("sig.ward.test", by: root, kind: kind)
            let key = try IKESignatureKey(privateKey: host.keyPEM)
            XCTAssertEqual(key.kind, expected)
            XCTAssertEqual(key.kind.authenticationMethod, kind == .rsa2048 ? 3 : 9)
            let hash = (0..<32).map { UInt8($0) }
            let signature = try key.sign(hash)
            XCTAssertEqual(signature.count, length, "\(kind)")
            var spki = DER.Serializer()
            try spki.serialize(host.certificate.publicKey)
            let publicKey = try IKESignatureKey(subjectPublicKeyInfo: spki.serializedBytes)
            XCTAssertFalse(publicKey.isPrivate)
            XCTAssertTrue(publicKey.verify(signature, over: hash))
            XCTAssertFalse(publicKey.verify(signature, over: hash.reversed()))
            var altered = signature
            altered[length / 2] ^= 1
            XCTAssertFalse(publicKey.verify(altered, over: hash))
            XCTAssertFalse(publicKey.verify(Array(signature.dropLast()), over: hash))
            XCTAssertThrowsError(try publicKey.sign(hash))
        }
        XCTAssertThrowsError(try IKESignatureKey(privateKey: Array("not a key".utf8))) { XCTAssertTrue("\($0)".hasPrefix("private key:"), "\($0)") }
        XCTAssertThrowsError(try IKESignatureKey(privateKey: Array("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n".utf8))) {
            XCTAssertTrue("\($0)".contains("encrypted"), "\($0)")
        }
    }

    func temporaryStore() throws -> CertificateFileStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ward-certs-\(UUID().uuidString)").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        return CertificateFileStore(directory: directory)
    }

    func pem(_ der: [UInt8], _ label: String = "CERTIFICATE") -> [UInt8] {
        Array(("-----BEGIN \(label)-----\n" + Data(der).base64EncodedString(options: .lineLength64Characters) + "\n-----END \(label)-----\n").utf8)
    }

    func testStoreImportsListsAndDeletesWithRootOnlyKeys() throws {
        let store = try temporaryStore()
        let root = try TestPKI.root("Store Root", kind: .rsa2048)
        let host = try TestPKI.issue("store.ward.test", by: root, kind: .p256)
        let crl = try TestPKI.crl(by: root, revoking: [])
        // PEM certificate, DER certificate, PKCS#8 key, DER CRL.
        let result = try store.importFiles([("root.pem", pem(root.der)), ("host.der", host.der), ("host.key", host.keyPEM), ("root.crl", crl)])
        XCTAssertEqual(result.certificates.count, 2)
        XCTAssertEqual(result.revocationLists.count, 1)
        XCTAssertEqual(result.keysFor.count, 1)
        let inventory = store.load()
        XCTAssertEqual(inventory.problems, [])
        XCTAssertEqual(inventory.certificates.count, 2)
        XCTAssertEqual(inventory.certificates.filter { $0.key != nil }.map(\.certificate), [host.certificate])
        XCTAssertEqual(inventory.roots(named: "CN=Store Root, O=Ward Test, C=CH"), [root.certificate])
        XCTAssertEqual(inventory.roots(named: "CN=store.ward.test, O=Ward Test, C=CH"), [], "a host certificate is no root")
        for (path, mode) in [(store.directory, 0o700), (store.directory + "/private", 0o700)] {
            XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int), mode, path)
        }
        let keyFiles = try FileManager.default.contentsOfDirectory(atPath: store.directory + "/private")
        XCTAssertEqual(keyFiles.count, 1)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: store.directory + "/private/" + keyFiles[0])[.posixPermissions] as? Int), 0o600)

        // A key with no certificate, garbage, an encrypted key: refused, naming the file; the store is unchanged.
        let stray = try TestPKI.makeKey(.p256).1
        XCTAssertThrowsError(try store.importFiles([("stray.key", stray)])) { XCTAssertTrue("\($0)".contains("stray.key: this private key belongs to no certificate"), "\($0)") }
        XCTAssertThrowsError(try store.importFiles([("junk.bin", [0x30, 0x82, 0xFF, 0xFF, 1, 2, 3])])) { XCTAssertTrue("\($0)".hasPrefix("junk.bin:"), "\($0)") }
        XCTAssertThrowsError(try store.importFiles([("truncated.pem", Array(pem(root.der).dropLast(40)))])) { XCTAssertTrue("\($0)".hasPrefix("truncated.pem:"), "\($0)") }
        XCTAssertEqual(store.load().certificates.count, 2)

        // A file broken on disk is reported and skipped; the rest still loads.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: store.directory + "/x509/broken.pem"))
        let partial = store.load()
        XCTAssertEqual(partial.certificates.count, 2)
        XCTAssertEqual(partial.problems.count, 1)
        try FileManager.default.removeItem(atPath: store.directory + "/x509/broken.pem")

        let before = store.generation()
        let gone = try store.delete(String(inventory.certificates.first { $0.key != nil }!.fingerprint.prefix(12)))
        XCTAssertEqual(gone.map(\.certificate), [host.certificate])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.directory + "/private"), [])
        XCTAssertNotEqual(store.generation(), before)
        XCTAssertThrowsError(try store.delete("deadbeefdeadbeef"))
        _ = try store.delete("CN=Store Root, O=Ward Test, C=CH")
        XCTAssertEqual(store.load().certificates.count, 0)
    }

    func testPeerAuthenticationRefusesBadCertificatePayloadsAndUnmappedPeers() throws {
        let store = try temporaryStore()
        let root = try TestPKI.root("Peer Root")
        let local = try TestPKI.issue("local.ward.test", by: root)
        let peer = try TestPKI.issue("peer.ward.test", by: root, dnsNames: ["peer.ward.test"])
        _ = try store.importFiles([("root", root.der), ("local", local.der), ("local.key", local.keyPEM)])
        let settings = CertificateSettings(inventory: store.load(), revocationCheck: .revokedOnly)
        let roots = [(name: "CN=Peer Root, O=Ward Test, C=CH", certificateMapping: false, excludeCAName: false)]
        let authenticator = settings.authenticator(roots: roots)
        XCTAssertEqual(authenticator.usableKeyKinds, [.ecdsa(curve: .p256)])
        XCTAssertEqual(authenticator.requestedAuthorities.count, 1)
        XCTAssertEqual(settings.authenticator(roots: [(roots[0].name, false, true)]).requestedAuthorities, [], "excludecaname:yes")
        XCTAssertEqual(try authenticator.localCredential().certificate, local.certificate)

        let hash = [UInt8](repeating: 7, count: 20)
        let peerKey = try IKESignatureKey(privateKey: peer.keyPEM)
        let signature = try peerKey.sign(hash)
        let identity = CertificateIdentity.fqdn("peer.ward.test")
        let accepted = try authenticator.authenticatePeer(certificates: [peer.der], identity: identity, signature: signature, hash: hash, authenticationMethod: 9)
        XCTAssertEqual(accepted.rootCA, roots[0].name)
        XCTAssertNil(accepted.computer)

        func refusal(_ certificates: [[UInt8]], _ claimed: CertificateIdentity, method: UInt16 = 9, signature: [UInt8] = [],
                     by checker: CertificateAuthenticator) -> String {
            do {
                _ = try checker.authenticatePeer(certificates: certificates, identity: claimed, signature: signature, hash: hash, authenticationMethod: method)
                return "accepted"
            } catch { return error.description }
        }
        let a = authenticator
        XCTAssertTrue(refusal([[0x30, 0x03, 1, 2, 3]], identity, by: a).hasPrefix("CERT payload 1: not a DER X.509 certificate"))
        XCTAssertTrue(refusal([Array(peer.der.prefix(100))], identity, by: a).hasPrefix("CERT payload 1:"))
        XCTAssertTrue(refusal(Array(repeating: peer.der, count: 17), identity, by: a).contains("at most 16"))
        XCTAssertTrue(refusal([peer.der], .fqdn("other.ward.test"), signature: signature, by: a).contains("not a dNSName"))
        XCTAssertTrue(refusal([peer.der], identity, signature: signature.reversed(), by: a).hasPrefix("SIG payload: does not verify"))
        XCTAssertTrue(refusal([peer.der], identity, method: 3, signature: signature, by: a).contains("ECDSA P-256 key (method 9)"))
        XCTAssertTrue(refusal([], identity, by: a).contains("sent no certificate"))

        // certmap:yes: unmapped peers fail; mapped ones carry the computer identity.
        let mapping = [(name: roots[0].name, certificateMapping: true, excludeCAName: false)]
        XCTAssertTrue(refusal([peer.der], identity, signature: signature, by: settings.authenticator(roots: mapping)).contains("maps to no computer identity"))
        try store.map("CN=peer.ward.test, O=Ward Test, C=CH", to: "PEER-COMPUTER")
        let mapped = CertificateSettings(inventory: store.load(), revocationCheck: .revokedOnly).authenticator(roots: mapping)
        XCTAssertEqual(try mapped.authenticatePeer(certificates: [peer.der], identity: identity, signature: signature, hash: hash, authenticationMethod: 9).computer,
                       "PEER-COMPUTER")
    }
}
