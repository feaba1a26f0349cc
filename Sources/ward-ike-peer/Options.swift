import Foundation
import IKE
import Packet
import Transforms

/// Command-line options of ward-ike-peer (see main.swift).
struct Options {
    var local: IPAddress
    var remote: IPAddress
    var psk: String
    var ike: [Phase1Transform]
    var esp: [QuickModeTransform]
    var pfs: DiffieHellmanGroup?
    var mode: QuickModeEncapsulation
    var localTS: Subnet
    var remoteTS: Subnet
    var initiate: Bool
    var pings: Int
    var answer: Int
    var timeout: Double
    var keylog: String?
    /// FQDN IDs: ours, and the one the peer must present.
    var localID: String?
    var peerID: String?
    /// Answer every peer until the timeout (the benchmark's responder); no success criteria.
    var serve: Bool
    /// Load generator: this many concurrent initiators on consecutive addresses from --local.
    var load: Int
    /// Load generator: seconds counted after `warmup` seconds.
    var duration: Double
    var warmup: Double

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("ward-ike-peer: \(message)\n".utf8))
        exit(2)
    }

    static func parse(_ arguments: [String]) -> Options {
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var rest = arguments[...]
        while let flag = rest.first {
            rest = rest.dropFirst()
            guard flag.hasPrefix("--") else { fail("unexpected argument \(flag)") }
            let name = String(flag.dropFirst(2))
            if name == "initiate" || name == "serve" { flags.insert(name); continue }
            guard let value = rest.first else { fail("\(flag) needs a value") }
            values[name] = value
            rest = rest.dropFirst()
        }
        func required(_ name: String) -> String { if let value = values[name] { return value }; fail("--\(name) is required") }
        guard let local = IPAddress(required("local")), let remote = IPAddress(required("remote")) else { fail("bad --local or --remote") }
        let mode: QuickModeEncapsulation = values["mode"] == "tunnel" ? .tunnel : .transport
        let localTS = values["local-ts"].flatMap { Subnet($0) } ?? Subnet(host: local)
        let remoteTS = values["remote-ts"].flatMap { Subnet($0) } ?? Subnet(host: remote)
        return Options(local: local, remote: remote, psk: required("psk"),
                       ike: required("ike").split(separator: ",").map { phase1(String($0)) },
                       esp: required("esp").split(separator: ",").map { quickMode(String($0)) },
                       pfs: values["pfs"].map { group(String($0)) }, mode: mode, localTS: localTS, remoteTS: remoteTS,
                       initiate: flags.contains("initiate"), pings: Int(values["pings"] ?? "0") ?? 0,
                       answer: Int(values["answer"] ?? "0") ?? 0, timeout: Double(values["timeout"] ?? "30") ?? 30,
                       keylog: values["keylog"], localID: values["id"], peerID: values["peer-id"], serve: flags.contains("serve"), load: Int(values["load"] ?? "0") ?? 0,
                       duration: Double(values["duration"] ?? "10") ?? 10, warmup: Double(values["warmup"] ?? "2") ?? 2)
    }

    /// strongSwan's notation: cipher-hash-group, e.g. 3des-sha1-modp1024, aes256-sha256-ecp256.
    static func phase1(_ text: String) -> Phase1Transform {
        let parts = text.split(separator: "-").map(String.init)
        guard parts.count == 3 else { fail("IKE proposal \(text): expected cipher-hash-group") }
        let hash: IKEHashAlgorithm = switch parts[1] {
        case "md5": .md5
        case "sha1": .sha1
        case "sha256": .sha256
        case "sha384": .sha384
        case "sha512": .sha512
        default: fail("IKE proposal \(text): unknown hash \(parts[1])")
        }
        return Phase1Transform(cipher: cipher(parts[0], in: text), hash: hash, authentication: .preSharedKey, group: group(parts[2]))
    }

    /// cipher[-integrity] for ESP (3des-sha1, aes128gcm16), ah-integrity for AH.
    static func quickMode(_ text: String) -> QuickModeTransform {
        let parts = text.split(separator: "-").map(String.init)
        if parts.first == "ah" {
            guard parts.count == 2, let integrity = integrity(parts[1]) else { fail("AH proposal \(text): expected ah-sha1 and the like") }
            return QuickModeTransform(ipsecProtocol: .ah, cipher: nil, integrity: integrity, encapsulation: .transport)
        }
        let encryption = cipher(parts[0], in: text)
        var auth: IntegrityAlgorithm?
        if parts.count > 1 {
            guard let known = integrity(parts[1]) else { fail("ESP proposal \(text): unknown integrity \(parts[1])") }
            auth = known
        }
        return QuickModeTransform(ipsecProtocol: .esp, cipher: encryption, integrity: auth, encapsulation: .transport)
    }

    static func cipher(_ name: String, in text: String) -> EncryptionAlgorithm {
        switch name {
        case "des": .desCBC
        case "3des": .tripleDESCBC
        case "null": .null
        case "aes128": .aesCBC(keyBits: 128)
        case "aes192": .aesCBC(keyBits: 192)
        case "aes256": .aesCBC(keyBits: 256)
        case "aes128gcm16": .aesGCM16(keyBits: 128)
        case "aes256gcm16": .aesGCM16(keyBits: 256)
        default: fail("\(text): unknown cipher \(name)")
        }
    }

    static func integrity(_ name: String) -> IntegrityAlgorithm? {
        switch name {
        case "md5": .hmacMD5_96
        case "sha1": .hmacSHA1_96
        case "sha256": .hmacSHA256_128
        case "sha384": .hmacSHA384_192
        case "sha512": .hmacSHA512_256
        default: nil
        }
    }

    static func group(_ name: String) -> DiffieHellmanGroup {
        switch name {
        case "modp768", "1": .modp768
        case "modp1024", "2": .modp1024
        case "modp2048", "14": .modp2048
        case "ecp256", "19": .ecp256
        case "ecp384", "20": .ecp384
        default: fail("unknown Diffie-Hellman group \(name)")
        }
    }
}
