import IKE
import Packet
import Transforms

/// A Kerberos realm in memory, for engine tests: principals with keys, a KDC that can be
/// down, and contexts whose tokens have the shape of Kerberos' (AP-REQ sealed to the
/// target's key, AP-REP proving the session key, wrap tokens with sequence numbers). The
/// real mechanism is MIT krb5's, tested against a Samba KDC in Tests/Agent/kerberos-agents.sh.
final class FakeRealm: @unchecked Sendable {
    var realm = "WARD.TEST"
    /// Principal → long-term key.
    var keys: [String: [UInt8]] = [:]
    var kdcReachable = true
    /// Extra token round trips before the acceptor completes (a mechanism needing legs).
    var extraLegs = 0
    /// Whether an initiator's first ask for an exchange answers `.pending` (tickets being
    /// fetched), as the agent's mechanism does with a cold cache.
    var fetchFirst = false
    var fetched: Set<UInt64> = []

    func add(_ name: String) {
        keys["\(name)@\(realm)"] = Array(SHA.sha256(Array(name.utf8)))
    }

    /// The mechanism of `name` as that host holds it: its keytab is the realm's key unless
    /// `staleKey` (a keytab from before the password changed).
    func mechanism(_ name: String, staleKey: Bool = false, announce: String? = nil) -> FakeKerberos {
        FakeKerberos(realm: self, principal: "\(name)@\(realm)", staleKey: staleKey, announce: announce)
    }
}

enum SHA {
    static func sha256(_ data: [UInt8]) -> [UInt8] { (try? IKEHashAlgorithm.sha256.hash(data)) ?? [] }
    static func mac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] { (try? IKEHashAlgorithm.sha256.prf(key: key, data)) ?? [] }
    /// `count` bytes of key stream from `seed`.
    static func stream(_ seed: [UInt8], _ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        var block: UInt8 = 0
        while out.count < count { out += sha256(seed + [block]); block &+= 1 }
        return Array(out.prefix(count))
    }
}

struct FakeKerberos: GSSMechanism {
    let realm: FakeRealm
    let principal: String
    var staleKey = false
    /// A GSS identity to announce instead of the principal (a peer claiming another name).
    var announce: String?

    var ownKey: [UInt8] { staleKey ? SHA.sha256(Array("stale".utf8)) : realm.keys[principal] ?? [] }

    func localName() throws(GSSFailure) -> String { announce ?? principal }

    func initiator(exchange: UInt64, target: String?, peer: IPAddress) -> GSSInitiation {
        if realm.fetchFirst && realm.fetched.insert(exchange).inserted { return .pending }
        guard realm.keys[principal] != nil, !staleKey else {
            return .failed(GSSFailure(call: "gss_acquire_cred", reason: .noCredentials, text: "no key for \(principal) in the keytab"))
        }
        let context = FakeContext(mechanism: self, initiating: target ?? "host/\(peer)@\(realm.realm)")
        do {
            guard let token = try context.step(nil) else { return .failed(context.fail(.other, "no first token")) }
            return .ready(context, firstToken: token)
        } catch {
            return .failed(error)
        }
    }

    func acceptor() throws(GSSFailure) -> any GSSSecurityContext { FakeContext(mechanism: self, initiating: nil) }
}

final class FakeContext: GSSSecurityContext {
    let mechanism: FakeKerberos
    /// The target, for an initiator; nil for an acceptor.
    let target: String?
    var sessionKey: [UInt8] = []
    var legsLeft: Int
    private(set) var isComplete = false
    private(set) var peerName: String?
    var sendSequence: UInt64 = 0
    var receiveSequence: UInt64 = 0

    init(mechanism: FakeKerberos, initiating target: String?) {
        self.mechanism = mechanism
        self.target = target
        legsLeft = mechanism.realm.extraLegs
    }

    func fail(_ reason: GSSFailure.Reason, _ text: String) -> GSSFailure {
        GSSFailure(call: target == nil ? "gss_accept_sec_context" : "gss_init_sec_context", major: 0xD0000, reason: reason, text: text)
    }

    func step(_ token: [UInt8]?) throws(GSSFailure) -> [UInt8]? {
        let realm = mechanism.realm
        if let target {
            guard let token else {
                guard realm.kdcReachable else { throw fail(.kdcUnreachable, "Cannot contact any KDC for realm '\(realm.realm)'") }
                guard let targetKey = realm.keys[target] else { throw fail(.unknownPrincipal, "Server \(target) not found in Kerberos database") }
                sessionKey = SHA.sha256(Array("\(mechanism.principal)|\(target)".utf8) + Array(String(UInt64.random(in: 0...UInt64.max)).utf8))
                let body = [0x60, 1] + Self.field(mechanism.principal) + Self.field(target) + zip(sessionKey, SHA.sha256(targetKey)).map { $0 ^ $1 }
                return body + SHA.mac(targetKey, body)
            }
            switch token.first == 0x60 ? token.dropFirst().first : nil {
            case 3:  // another leg: answer it
                return [0x60, 4] + SHA.mac(sessionKey, Array(token))
            case 2:
                guard Array(token.dropFirst(2)) == SHA.mac(sessionKey, Array("AP-REP".utf8)) else { throw fail(.integrity, "AP-REP does not verify") }
                isComplete = true
                peerName = target
                return nil
            default: throw fail(.other, "unexpected token")
            }
        }
        guard let token, token.count > 2, token[0] == 0x60 else { throw fail(.other, "not a token") }
        if token[1] == 4 {
            guard legsLeft > 0 else { throw fail(.other, "unexpected leg") }
            legsLeft -= 1
            return legsLeft > 0 ? [0x60, 3] + SHA.mac(sessionKey, token) : complete()
        }
        guard token[1] == 1, token.count > 32 else { throw fail(.other, "not an AP-REQ") }
        let body = Array(token.dropLast(32)), tag = Array(token.suffix(32))
        var offset = 2
        guard let client = Self.read(body, &offset), let server = Self.read(body, &offset), body.count - offset == 32 else {
            throw fail(.other, "malformed AP-REQ")
        }
        guard server == mechanism.principal else { throw fail(.wrongKey, "Wrong principal in request (\(server))") }
        guard SHA.mac(mechanism.ownKey, body) == tag else {
            throw fail(.wrongKey, "Key version number for principal in key table is incorrect")
        }
        sessionKey = zip(body.suffix(32), SHA.sha256(mechanism.ownKey)).map { $0 ^ $1 }
        peerName = client
        if legsLeft > 0 { return [0x60, 3] + SHA.mac(sessionKey, token) }
        return complete()
    }

    private func complete() -> [UInt8] {
        isComplete = true
        return [0x60, 2] + SHA.mac(sessionKey, Array("AP-REP".utf8))
    }

    func wrap(_ message: [UInt8]) throws(GSSFailure) -> [UInt8] {
        guard isComplete else { throw fail(.other, "context not complete") }
        let direction: UInt8 = target == nil ? 1 : 0
        let header = [direction] + (0..<8).map { UInt8(truncatingIfNeeded: sendSequence >> (56 - 8 * UInt64($0))) }
        sendSequence += 1
        let sealed = zip(message, SHA.stream(sessionKey + header, message.count)).map { $0 ^ $1 }
        return header + sealed + SHA.mac(sessionKey, header + sealed)
    }

    func unwrap(_ token: [UInt8]) throws(GSSFailure) -> [UInt8] {
        guard token.count >= 9 + 32 else { throw fail(.integrity, "wrap token too short") }
        let header = Array(token.prefix(9)), sealed = Array(token.dropFirst(9).dropLast(32)), tag = Array(token.suffix(32))
        guard SHA.mac(sessionKey, header + sealed) == tag else { throw fail(.integrity, "Message stream modified") }
        let sequence = header.dropFirst().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard sequence == receiveSequence else { throw fail(.integrity, "The token was a duplicate of an earlier token") }
        receiveSequence += 1
        return zip(sealed, SHA.stream(sessionKey + header, sealed.count)).map { $0 ^ $1 }
    }

    static func field(_ text: String) -> [UInt8] { [UInt8(text.utf8.count)] + Array(text.utf8) }

    static func read(_ bytes: [UInt8], _ offset: inout Int) -> String? {
        guard offset < bytes.count else { return nil }
        let length = Int(bytes[offset])
        guard offset + 1 + length <= bytes.count else { return nil }
        defer { offset += 1 + length }
        return String(decoding: bytes[(offset + 1)..<(offset + 1 + length)], as: UTF8.self)
    }
}
