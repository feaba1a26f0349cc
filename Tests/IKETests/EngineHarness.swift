import ESP
import IKE
import Packet
import Transforms

/// Fixed policy answers for engine tests.
struct FixedPolicy: IKEPolicyProvider {
    var main: MainModePolicy?
    var quick: QuickModePolicy?

    func mainMode(local: IPAddress, peer: IPAddress) -> MainModePolicy? { main }
    func quickMode(for selector: TrafficSelector, peer: IPAddress) -> QuickModePolicy? { quick }
}

/// Two engines joined by an in-memory wire, with an optional NAT in front of A and a filter
/// that may drop or alter datagrams. Time is a number the test moves.
final class EnginePair {
    var a: IKEEngine
    var b: IKEEngine
    var addressA = IPAddress("10.77.0.1")!
    var addressB = IPAddress("10.77.0.2")!
    /// A's address and ports as B sees them when `nat` is on.
    let publicA = IPAddress("10.77.0.254")!
    var nat = false
    var now = 0.0
    /// Every action, by engine ("A"/"B").
    var actions: [(String, IKEAction)] = []
    /// Return false to drop a datagram in flight (sender name, datagram).
    var deliver: (String, IKEDatagram) -> Bool = { _, _ in true }
    var sent: [(String, IKEDatagram)] = []

    init(a: any IKEPolicyProvider, b: any IKEPolicyProvider, configuration: IKEConfiguration = IKEConfiguration()) {
        self.a = IKEEngine(policy: a, configuration: configuration)
        self.b = IKEEngine(policy: b, configuration: configuration)
    }

    func acquire(_ selector: TrafficSelector? = nil) {
        let selector = selector ?? .hosts(addressA, addressB)
        route("A", a.acquire(selector, local: addressA, peer: addressB, now: now))
    }

    /// Carries the actions' datagrams to the other engine until nothing more is sent.
    func route(_ from: String, _ produced: [IKEAction]) {
        var queue = produced.map { (from, $0) }
        var steps = 0
        while !queue.isEmpty && steps < 1000 {
            steps += 1
            let (name, action) = queue.removeFirst()
            actions.append((name, action))
            guard case .send(var datagram) = action else { continue }
            sent.append((name, datagram))
            guard deliver(name, datagram) else { continue }
            if name == "A" {
                if nat { datagram.local = .init(publicA, datagram.local.port == 500 ? 31000 : 31001) }
                let arrived = IKEDatagram(payload: datagram.payload, local: datagram.remote, remote: datagram.local)
                queue += b.receive(arrived, now: now).map { ("B", $0) }
            } else {
                var remote = datagram.remote
                if nat {
                    guard remote.address == publicA else { continue }
                    remote = .init(addressA, remote.port == 31000 ? 500 : 4500)
                }
                let arrived = IKEDatagram(payload: datagram.payload, local: remote, remote: datagram.local)
                queue += a.receive(arrived, now: now).map { ("A", $0) }
            }
        }
    }

    func advance(to time: Double) {
        now = time
        route("A", a.tick(now: now))
        route("B", b.tick(now: now))
    }

    func installs(_ name: String) -> [NegotiatedSAPair] {
        actions.compactMap { if $0.0 == name, case .install(let pair) = $0.1 { pair } else { nil } }
    }

    func events(_ name: String) -> [IKEEvent] {
        actions.compactMap { if $0.0 == name, case .event(let event) = $0.1 { event } else { nil } }
    }
}

extension MainModePolicy {
    static func psk(_ key: String, _ transforms: [Phase1Transform]) -> MainModePolicy {
        MainModePolicy(transforms: transforms, authenticator: .preSharedKey(Array(key.utf8)))
    }
}

extension Phase1Transform {
    static func psk(_ cipher: EncryptionAlgorithm, _ hash: IKEHashAlgorithm, _ group: DiffieHellmanGroup) -> Phase1Transform {
        Phase1Transform(cipher: cipher, hash: hash, authentication: .preSharedKey, group: group)
    }
}

extension QuickModeTransform {
    static func esp(_ cipher: EncryptionAlgorithm, _ integrity: IntegrityAlgorithm?) -> QuickModeTransform {
        QuickModeTransform(ipsecProtocol: .esp, cipher: cipher, integrity: integrity, encapsulation: .transport)
    }
}
