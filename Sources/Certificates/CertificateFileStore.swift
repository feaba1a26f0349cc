import Foundation
import X509

/// Ward's certificate store: a root-only directory (`/etc/ward/certs`) of certificates, their
/// private keys, CRLs and the certmap table, managed by `ward certificate`.
///
///     certs/          x509/<fingerprint>.pem    certificates (PEM), 0644
///                     private/<fingerprint>.key private keys (PKCS#8 PEM), 0600 in a 0700 dir
///                     crl/<fingerprint>.crl     CRLs (DER)
///                     certmap.json              the certmap table
///
/// Files are written whole under a temporary name and renamed, so a reader never sees half of
/// one. A file that does not read is reported by ``load()`` and skipped; the rest still loads.
public struct CertificateFileStore: Sendable {
    public static let defaultDirectory = "/etc/ward/certs"
    public let directory: String

    public init(directory: String = CertificateFileStore.defaultDirectory) { self.directory = directory }

    var certificateDirectory: String { directory + "/x509" }
    var keyDirectory: String { directory + "/private" }
    var crlDirectory: String { directory + "/crl" }
    var mappingFile: String { directory + "/certmap.json" }

    /// What one import added.
    public struct ImportResult: Sendable {
        public var certificates: [StoredCertificate] = []
        public var revocationLists: [RevocationList] = []
        /// Fingerprints of the certificates a private key was stored for.
        public var keysFor: [String] = []
    }

    /// Imports certificates, CRLs and private keys from PEM or DER files. A key must belong to
    /// a certificate in the same import or already in the store; a key that matches none is
    /// refused (a key with no certificate could never be used).
    public func importFiles(_ files: [(name: String, bytes: [UInt8])]) throws(CertificateError) -> ImportResult {
        var certificates: [StoredCertificate] = []
        var lists: [RevocationList] = []
        var keys: [(String, IKESignatureKey)] = []
        for (name, bytes) in files {
            guard !bytes.isEmpty else { throw CertificateError(name, "is empty") }
            guard bytes.count <= 1 << 20 else { throw CertificateError(name, "is larger than 1 MiB") }
            let blocks: [PEMBlock]
            do {
                if let pem = try PEMBlock.blocks(in: bytes) { blocks = pem } else { blocks = [try Self.classifyDER(bytes, name: name)] }
            } catch { throw CertificateError(name, error.description) }
            guard !blocks.isEmpty else { throw CertificateError(name, "holds no PEM block") }
            for (index, block) in blocks.enumerated() {
                let place = blocks.count > 1 ? "\(name), block \(index + 1) (\(block.label))" : name
                switch block.label {
                case "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE":
                    do { certificates.append(try StoredCertificate(der: block.der)) } catch { throw CertificateError(place, error.reason) }
                case "X509 CRL":
                    do { lists.append(try RevocationList(bytes: block.der)) } catch { throw CertificateError(place, error.reason) }
                case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
                    let pem = Array(PEMBlock.text(label: block.label, der: block.der).utf8)
                    do { keys.append((place, try IKESignatureKey(privateKey: pem))) } catch { throw CertificateError(place, error.reason) }
                case "ENCRYPTED PRIVATE KEY":
                    throw CertificateError(place, "is encrypted; store it decrypted (openssl pkey -in KEY -out PLAIN)")
                default:
                    throw CertificateError(place, "PEM block \(block.label) is not a certificate, CRL or private key")
                }
            }
        }
        let existing = load().certificates
        var result = ImportResult()
        var keyFor: [String: IKESignatureKey] = [:]
        for (place, key) in keys {
            let spki = key.subjectPublicKeyInfo
            let owners = (certificates + existing).filter { $0.certificate.publicKey.subjectPublicKeyInfoDER == spki }
            guard !owners.isEmpty else { throw CertificateError(place, "this private key belongs to no certificate in the import or the store") }
            for owner in owners { keyFor[owner.fingerprint] = key }
        }
        try prepareDirectories()
        for stored in certificates where !result.certificates.contains(where: { $0.fingerprint == stored.fingerprint }) {
            try write(Array(PEMBlock.text(label: "CERTIFICATE", der: stored.der).utf8), to: certificatePath(stored.fingerprint), mode: 0o644)
            result.certificates.append(stored)
        }
        for (fingerprint, key) in keyFor.sorted(by: { $0.key < $1.key }) {
            try write(try key.pkcs8PEM(), to: keyPath(fingerprint), mode: 0o600)
            result.keysFor.append(fingerprint)
        }
        for list in lists {
            try write(list.der, to: crlDirectory + "/" + String(StoredCertificate.sha256Hex(list.der).prefix(16)) + ".crl", mode: 0o644)
            result.revocationLists.append(list)
        }
        return result
    }

    /// A DER file: a certificate, a CRL or a private key, whichever it decodes as.
    static func classifyDER(_ bytes: [UInt8], name: String) throws(CertificateError) -> PEMBlock {
        if (try? StoredCertificate(der: bytes)) != nil { return PEMBlock(label: "CERTIFICATE", der: bytes) }
        if (try? RevocationList(bytes: bytes)) != nil { return PEMBlock(label: "X509 CRL", der: bytes) }
        if (try? IKESignatureKey(privateKey: bytes)) != nil { return PEMBlock(label: "PRIVATE KEY", der: bytes) }
        throw CertificateError(name, "is neither PEM nor a DER certificate, CRL or private key")
    }

    func certificatePath(_ fingerprint: String) -> String { certificateDirectory + "/" + fingerprint.prefix(16) + ".pem" }
    func keyPath(_ fingerprint: String) -> String { keyDirectory + "/" + fingerprint.prefix(16) + ".key" }

    /// Reads the whole store. Never throws: a file that does not read is named in `problems`.
    public func load() -> CertificateInventory {
        var inventory = CertificateInventory()
        let manager = FileManager.default
        for file in ((try? manager.contentsOfDirectory(atPath: certificateDirectory)) ?? []).sorted() where file.hasSuffix(".pem") {
            let path = certificateDirectory + "/" + file
            do {
                guard let bytes = manager.contents(atPath: path), let block = try PEMBlock.blocks(in: Array(bytes))?.first else {
                    throw CertificateError(path, "is not a PEM certificate")
                }
                var stored = try StoredCertificate(der: block.der)
                let keyFile = keyPath(stored.fingerprint)
                if let keyBytes = manager.contents(atPath: keyFile) {
                    do {
                        let key = try IKESignatureKey(privateKey: Array(keyBytes))
                        if key.subjectPublicKeyInfo == stored.certificate.publicKey.subjectPublicKeyInfoDER {
                            stored = try StoredCertificate(der: stored.der, key: key)
                        } else {
                            inventory.problems.append("\(keyFile): does not belong to the certificate \(path)")
                        }
                    } catch { inventory.problems.append("\(keyFile): \(error.reason)") }
                }
                inventory.certificates.append(stored)
            } catch let error as CertificateError {
                inventory.problems.append(error.description)
            } catch {
                inventory.problems.append("\(path): \(error)")
            }
        }
        for file in ((try? manager.contentsOfDirectory(atPath: crlDirectory)) ?? []).sorted() where file.hasSuffix(".crl") {
            let path = crlDirectory + "/" + file
            do {
                guard let bytes = manager.contents(atPath: path) else { throw CertificateError(path, "cannot be read") }
                inventory.revocationLists.append(try RevocationList(bytes: Array(bytes)))
            } catch { inventory.problems.append("\(path): \(error)") }
        }
        if let data = manager.contents(atPath: mappingFile) {
            do { inventory.mappings = try JSONDecoder().decode([CertificateMapping].self, from: data) } catch {
                inventory.problems.append("\(mappingFile): \(error)")
            }
        }
        return inventory
    }

    /// Deletes the certificates whose fingerprint starts with `selector` (at least 8 hex
    /// digits) or whose subject is the name `selector`, with their keys. Returns what went.
    public func delete(_ selector: String) throws(CertificateError) -> [StoredCertificate] {
        let inventory = load()
        let hex = selector.lowercased().filter { $0 != ":" }
        var chosen = inventory.certificates.filter { hex.count >= 8 && $0.fingerprint.hasPrefix(hex) }
        if chosen.isEmpty, let pattern = try? DistinguishedNamePattern(selector) {
            chosen = inventory.certificates.filter { pattern.matches($0.certificate.subject) }
        }
        guard !chosen.isEmpty else {
            throw CertificateError("certificate", "no certificate in \(directory) has fingerprint or subject \"\(selector)\" (ward certificate list shows them)")
        }
        for stored in chosen {
            for path in [certificatePath(stored.fingerprint), keyPath(stored.fingerprint)] where FileManager.default.fileExists(atPath: path) {
                do { try FileManager.default.removeItem(atPath: path) } catch { throw CertificateError(path, "cannot be removed: \(error)") }
            }
        }
        return chosen
    }

    /// Adds (or replaces) the certmap entry for `match`.
    public func map(_ match: String, to computer: String) throws(CertificateError) {
        if !match.lowercased().hasPrefix("sha256:") { _ = try DistinguishedNamePattern(match) }
        guard !computer.isEmpty else { throw CertificateError("certmap", "needs a computer identity") }
        var mappings = load().mappings.filter { $0.match != match }
        mappings.append(CertificateMapping(match: match, computer: computer))
        try saveMappings(mappings)
    }

    /// Removes the certmap entry for `match`; false when there was none.
    public func unmap(_ match: String) throws(CertificateError) -> Bool {
        let mappings = load().mappings
        let kept = mappings.filter { $0.match != match }
        guard kept.count != mappings.count else { return false }
        try saveMappings(kept)
        return true
    }

    func saveMappings(_ mappings: [CertificateMapping]) throws(CertificateError) {
        try prepareDirectories()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(mappings) } catch { throw CertificateError("certmap", "\(error)") }
        try write(Array(data), to: mappingFile, mode: 0o600)
    }

    /// The directories, root-only where secrets live.
    func prepareDirectories() throws(CertificateError) {
        for (path, mode) in [(directory, 0o700), (certificateDirectory, 0o755), (keyDirectory, 0o700), (crlDirectory, 0o755)] {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            } catch { throw CertificateError(path, "cannot be created: \(error)") }
        }
    }

    /// Writes a whole file under a temporary name, with its mode set before any byte is in
    /// it, then renames it into place.
    func write(_ bytes: [UInt8], to path: String, mode: Int) throws(CertificateError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw CertificateError(path, "cannot be written: \(String(cString: strerror(errno)))") }
        fchmod(fd, mode_t(mode))
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CertificateError(path, "cannot be written: \(String(cString: strerror(errno)))")
        }
    }

    /// A number that changes whenever the store does, so a daemon knows when to reload it.
    public func generation() -> Int {
        var total = 0
        for path in [directory, certificateDirectory, keyDirectory, crlDirectory, mappingFile] {
            var info = stat()
            if stat(path, &info) == 0 { total &+= Int(info.st_mtim.tv_sec) &* 1_000_000_007 &+ Int(info.st_mtim.tv_nsec) &+ Int(info.st_ino) }
        }
        return total
    }
}
