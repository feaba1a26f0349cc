import Foundation
import IKE
import Packet
import Platform
import Transforms

/// The responder benchmark's load: `--load N` initiators, each on its own address (--local,
/// --local + 1, …; the addresses must exist), each running Main Mode + Quick Mode against
/// --remote and starting over with a fresh engine the moment its SAs are installed. Counts
/// the negotiations completed in `--duration` seconds after `--warmup`.
///
/// Each initiator reuses one Diffie-Hellman key pair (one exponentiation per negotiation
/// instead of two) so that the generator, sharing the machine's cores with the responder,
/// costs less than what it measures.
final class LoadGenerator {
    /// Key pairs shared by every engine of the generator, one per group.
    final class KeyPairCache {
        var pairs: [DiffieHellmanGroup: DiffieHellman] = [:]
    }

    /// Fresh random bytes; key pairs from the shared cache.
    struct ReusingEntropy: IKEEntropy {
        var system = SystemEntropy()
        let cache: KeyPairCache

        mutating func bytes(_ count: Int) -> [UInt8] { system.bytes(count) }

        mutating func keyExchange(_ group: DiffieHellmanGroup) throws(TransformError) -> any KeyExchange {
            if let pair = cache.pairs[group] { return pair }
            let pair = try DiffieHellman(group: group)
            cache.pairs[group] = pair
            return pair
        }
    }

    final class Client {
        let address: IPAddress
        let port500: UDPSocket
        let port4500: UDPSocket
        var engine: IKEEngine
        let entropy: ReusingEntropy
        var startedAt = 0.0

        init(address: IPAddress, policy: PeerPolicy, entropy: ReusingEntropy) {
            self.address = address
            self.entropy = entropy
            port500 = UDPSocket.open(address, 500)
            port4500 = UDPSocket.open(address, 4500)
            engine = IKEEngine(policy: policy, entropy: entropy)
        }
    }

    let options: Options
    let policy: PeerPolicy
    var clients: [Client] = []
    let start = monotonic()
    var completed = 0, failed = 0, latencies: [Double] = []
    /// One receive buffer for every client socket, allocated once.
    var receiveBuffer = [UInt8](repeating: 0, count: 65_536)

    init(options: Options) {
        self.options = options
        policy = PeerPolicy(options: options)
        guard case .v4(let first) = options.local else { Options.fail("--load needs an IPv4 --local") }
        let entropy = ReusingEntropy(cache: KeyPairCache())
        for index in 0..<options.load {
            clients.append(Client(address: .v4(IPv4Address(first.value + UInt32(index))), policy: policy, entropy: entropy))
        }
    }

    var now: Double { monotonic() - start }

    func begin(_ client: Client) {
        client.engine = IKEEngine(policy: policy, entropy: client.entropy)
        client.startedAt = now
        perform(client, client.engine.acquire(.hosts(client.address, options.remote), local: client.address, peer: options.remote, now: now))
    }

    func perform(_ client: Client, _ actions: [IKEAction]) {
        var restart = false
        for action in actions {
            switch action {
            case .send(let datagram):
                (datagram.local.port == 4500 ? client.port4500 : client.port500).send(datagram.payload, to: datagram.remote.address,
                                                                                    port: datagram.remote.port)
            case .install:
                if now >= options.warmup && now < options.warmup + options.duration {
                    completed += 1
                    latencies.append(now - client.startedAt)
                }
                restart = true
            case .event(.negotiationFailed), .event(.authenticationFailed):
                if now >= options.warmup { failed += 1 }
                restart = true
            default:
                break
            }
        }
        if restart { begin(client) }
    }

    /// What one responder's Diffie-Hellman work per negotiation costs here: a key pair and a
    /// shared secret in the first --ike proposal's group, timed for --duration seconds.
    static func diffieHellmanBound(options: Options) -> Never {
        let group = options.ike[0].group
        let peer = try! DiffieHellman(group: group).publicValue
        let start = monotonic()
        var rounds = 0
        while monotonic() - start < options.duration {
            let pair = try! DiffieHellman(group: group)
            _ = try! pair.sharedSecret(peer: peer)
            rounds += 1
        }
        let seconds = (monotonic() - start) / Double(rounds)
        print(String(format: "dh: group %d key pair + shared secret %.3f ms = %.1f negotiations per second per core", group.rawValue,
                     seconds * 1000, 1 / seconds))
        exit(0)
    }

    func run() -> Never {
        for client in clients { begin(client) }
        var descriptors = clients.flatMap { [pollfd(fd: $0.port500.descriptor, events: Int16(POLLIN), revents: 0),
                                             pollfd(fd: $0.port4500.descriptor, events: Int16(POLLIN), revents: 0)] }
        var lastTick = 0.0
        while now < options.warmup + options.duration {
            _ = poll(&descriptors, nfds_t(descriptors.count), 20)
            for (index, descriptor) in descriptors.enumerated() where descriptor.revents & Int16(POLLIN) != 0 {
                let client = clients[index / 2]
                let port = index % 2 == 0 ? client.port500 : client.port4500
                while let (payload, from, fromPort) = port.receive(&receiveBuffer) {
                    let datagram = IKEDatagram(payload: payload, local: .init(client.address, port.port), remote: .init(from, fromPort))
                    perform(client, client.engine.receive(datagram, now: now))
                }
            }
            if now - lastTick >= 0.1 {
                lastTick = now
                for client in clients { perform(client, client.engine.tick(now: now)) }
            }
        }
        let sorted = latencies.sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        print(String(format: "load: %d negotiations in %.1f s = %.1f per second; %d failed; median %.1f ms with %d concurrent",
                     completed, options.duration, Double(completed) / options.duration, failed, median * 1000, options.load))
        exit(completed > 0 ? 0 : 1)
    }
}
