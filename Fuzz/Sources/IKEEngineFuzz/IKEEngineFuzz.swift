import IKE
import Packet
import Transforms

// The IKE engine in every state, fed a fuzzed datagram. Input layout:
//   byte 0: how many legitimate messages to exchange first (0 … 11: Main Mode, Quick Mode, after)
//   byte 1: which engine receives the fuzzed datagram (bit 0 clear: the responder, set: the
//           initiator); bit 1 set: both authenticate with Kerberos (GSS payloads, wrapped
//           hashes, a mechanism that wants one extra leg when bit 2 is set too)
//   byte 2: how the rest is used — 0: as the datagram; 1: as the datagram with the current
//           cookies written over bytes 0–15; 2: XORed onto the next legitimate message
//   byte 3: port (even: 500, odd: 4500 with the non-ESP marker added)
// The engine must not trap; afterwards the clock runs on so timers fire too. Entropy and
// Diffie-Hellman are deterministic and cheap here so that millions of runs fit in minutes.

/// A counter-based byte stream.
struct FuzzEntropy: IKEEntropy {
    var state: UInt64

    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    mutating func keyExchange(_ group: DiffieHellmanGroup) throws(TransformError) -> any KeyExchange {
        FakeKeyExchange(publicValue: bytes(group.valueLength))
    }
}

/// A symmetric stand-in for Diffie-Hellman: both sides compute the same secret from the two
/// public values, and a value of the wrong size is refused like a real group would.
final class FakeKeyExchange: KeyExchange {
    let publicValue: [UInt8]
    init(publicValue: [UInt8]) { self.publicValue = publicValue }

    func sharedSecret(peer: [UInt8]) throws(TransformError) -> [UInt8] {
        guard peer.count == publicValue.count else { throw .libcrypto("peer value has the wrong size") }
        let (low, high) = peer.lexicographicallyPrecedes(publicValue) ? (peer, publicValue) : (publicValue, peer)
        return zip(low, high).map { $0 ^ $1 &+ 0x5A }
    }
}

/// A deterministic GSS mechanism: tokens framed as Kerberos' (0x60 first), an optional extra
/// leg, wrap = a tag byte and a sequence number before the message.
struct FuzzKerberos: GSSMechanism {
    var extraLeg: Bool
    func localName() throws(GSSFailure) -> String { "HOST$@FUZZ.TEST" }
    func initiator(exchange: UInt64, target: String?, peer: IPAddress) -> GSSInitiation {
        .ready(FuzzContext(initiating: true, extraLeg: extraLeg), firstToken: [0x60, 1])
    }
    func acceptor() throws(GSSFailure) -> any GSSSecurityContext { FuzzContext(initiating: false, extraLeg: extraLeg) }
}

final class FuzzContext: GSSSecurityContext {
    let initiating: Bool
    var legs: Int
    var isComplete = false
    var peerName: String? { isComplete ? "HOST$@FUZZ.TEST" : nil }
    var sent: UInt8 = 0, received: UInt8 = 0

    init(initiating: Bool, extraLeg: Bool) {
        self.initiating = initiating
        legs = extraLeg ? 1 : 0
    }

    func fail(_ text: String) -> GSSFailure { GSSFailure(call: "fuzz", reason: .other, text: text) }

    func step(_ token: [UInt8]?) throws(GSSFailure) -> [UInt8]? {
        guard let token, token.count == 2, token[0] == 0x60 else { throw fail("bad token") }
        if initiating {
            if token[1] == 3 { return [0x60, 4] }
            guard token[1] == 2 else { throw fail("not a reply") }
            isComplete = true
            return nil
        }
        guard token[1] == 1 || token[1] == 4 else { throw fail("not a request") }
        if legs > 0 { legs -= 1; return [0x60, 3] }
        isComplete = true
        return [0x60, 2]
    }

    func wrap(_ message: [UInt8]) throws(GSSFailure) -> [UInt8] {
        defer { sent &+= 1 }
        return [0xAA, sent] + message
    }

    func unwrap(_ token: [UInt8]) throws(GSSFailure) -> [UInt8] {
        guard token.count >= 2, token[0] == 0xAA, token[1] == received else { throw fail("bad wrap") }
        received &+= 1
        return Array(token.dropFirst(2))
    }
}

struct FuzzPolicy: IKEPolicyProvider {
    var kerberos: FuzzKerberos?

    func mainMode(local: IPAddress, peer: IPAddress) -> MainModePolicy? {
        if let kerberos {
            return MainModePolicy(transforms: [Phase1Transform(cipher: .aesCBC(keyBits: 128), hash: .sha1, authentication: .kerberos, group: .modp1024)],
                                  authenticator: Phase1Authenticator(kerberos: kerberos))
        }
        return MainModePolicy(transforms: [Phase1Transform(cipher: .aesCBC(keyBits: 128), hash: .sha1, authentication: .preSharedKey, group: .modp1024),
                                    Phase1Transform(cipher: .tripleDESCBC, hash: .md5, authentication: .preSharedKey, group: .ecp256)],
                       authenticator: .preSharedKey(Array("fuzz".utf8)))
    }
    func quickMode(for selector: TrafficSelector, peer: IPAddress) -> QuickModePolicy? {
        QuickModePolicy(offers: [QuickModeTransform(ipsecProtocol: .esp, cipher: .aesCBC(keyBits: 128), integrity: .hmacSHA1_96, encapsulation: .transport),
                                 QuickModeTransform(ipsecProtocol: .ah, cipher: nil, integrity: .hmacSHA256_128, encapsulation: .transport)],
                        pfsGroup: .modp1024)
    }
}

let addressA = IPAddress("10.77.0.1")!, addressB = IPAddress("10.77.0.2")!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 4 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let steps = Int(input[0] % 12), toInitiator = input[1] & 1 == 1, mode = input[2] % 3, floated = input[3] & 1 == 1
    let rest = Array(input.dropFirst(4))
    let kerberos = input[1] & 2 == 2 ? FuzzKerberos(extraLeg: input[1] & 4 == 4) : nil
    let a = IKEEngine(policy: FuzzPolicy(kerberos: kerberos), entropy: FuzzEntropy(state: 1))
    let b = IKEEngine(policy: FuzzPolicy(kerberos: kerberos), entropy: FuzzEntropy(state: 2))
    // Legitimate exchange, one datagram at a time, until `steps` have been delivered.
    var inFlight: [(toB: Bool, IKEDatagram)] = sends(a.acquire(.hosts(addressA, addressB), local: addressA, peer: addressB, now: 0)).map { (true, $0) }
    var delivered = 0
    while delivered < steps, !inFlight.isEmpty {
        let (toB, datagram) = inFlight.removeFirst()
        let arrived = IKEDatagram(payload: datagram.payload, local: datagram.remote, remote: datagram.local)
        let answers = sends((toB ? b : a).receive(arrived, now: Double(delivered)))
        inFlight += answers.map { (!toB, $0) }
        delivered += 1
    }
    let target = toInitiator ? a : b
    let next = inFlight.first { $0.toB != toInitiator }?.1.payload ?? []
    var payload: [UInt8]
    switch mode {
    case 0: payload = rest
    case 1:
        payload = rest
        let cookies = target.mainModeSummaries.first.map { Array($0.cookies.utf8) } ?? []
        if let cookieBytes = hexCookies(cookies), payload.count >= 16 { payload.replaceSubrange(0..<16, with: cookieBytes) }
    default:
        payload = next.isEmpty ? rest : next
        for (index, byte) in rest.enumerated() where index < payload.count { payload[index] ^= byte }
    }
    if floated && !(payload.count >= 4 && payload.prefix(4) == [0, 0, 0, 0]) { payload = [0, 0, 0, 0] + payload }
    let port: UInt16 = floated ? 4500 : 500
    let datagram = IKEDatagram(payload: payload, local: .init(toInitiator ? addressA : addressB, port),
                               remote: .init(toInitiator ? addressB : addressA, port))
    _ = target.receive(datagram, now: 20)
    _ = target.receive(datagram, now: 21)  // a repeat, as a replay would be
    for second in [25.0, 40, 70, 30_000] {
        _ = a.tick(now: second)
        _ = b.tick(now: second)
    }
    return 0
}

func sends(_ actions: [IKEAction]) -> [IKEDatagram] {
    actions.compactMap { if case .send(let datagram) = $0 { datagram } else { nil } }
}

/// "0123456789abcdef:fedcba9876543210" → 16 bytes.
func hexCookies(_ text: [UInt8]) -> [UInt8]? {
    let digits = text.filter { $0 != UInt8(ascii: ":") }
    guard digits.count == 32 else { return nil }
    var bytes: [UInt8] = []
    var index = 0
    while index < 32 {
        guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
        bytes.append(byte)
        index += 2
    }
    return bytes
}
