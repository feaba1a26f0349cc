// ward-ike-peer: Ward's IKE engine and ESP on real UDP sockets, for the interop tests with
// strongSwan (Tests/Interop) and the responder benchmark. It negotiates with one peer using a
// preshared key, installs the SAs in Ward's userspace SAD, then proves the keys with ICMP
// echo through them: it sends --pings echo requests from the first address of --local-ts to
// the first of --remote-ts and counts the replies, and answers --answer requests from the
// peer. Exit 0 when both counts are met, 1 on timeout or failure, 2 on bad usage.
//
//   ward-ike-peer --local 10.77.0.1 --remote 10.77.0.2 --psk SECRET --ike 3des-sha1-modp1024
//                 --esp 3des-sha1 [--pfs modp2048] [--mode tunnel --local-ts 10.77.1.0/24
//                 --remote-ts 10.77.2.0/24] [--initiate] [--pings 3] [--answer 3]
//                 [--timeout 30] [--keylog FILE] [--id FQDN --peer-id FQDN]
//   --serve                      answer every peer until --timeout (the benchmark's responder)
//   --load N [--duration S]      the benchmark's load generator (LoadGenerator.swift)
//   --load -1 [--duration S]     time the responder's Diffie-Hellman work per negotiation
//
// The main loop:
//  1. poll UDP 500 and 4500; an IKE datagram goes to the engine, ESP-in-UDP (nonzero first
//     word on 4500) and raw ESP go to the SAD;
//  2. tick the engine with the monotonic clock;
//  3. carry out the engine's actions: send datagrams, install SA pairs, print events;
//  4. once SAs exist, send the next echo request every 200 ms until enough replies arrived.
import ESP
import Foundation
import IKE
import Packet
import Platform
import Transforms


struct PeerPolicy: IKEPolicyProvider {
    let options: Options
    func mainMode(local: IPAddress, peer: IPAddress) -> MainModePolicy? {
        MainModePolicy(transforms: options.ike, authenticator: .preSharedKey(Array(options.psk.utf8)),
                       localID: options.localID.map(Identification.fqdn), peerID: options.peerID.map(Identification.fqdn))
    }
    func quickMode(for selector: TrafficSelector, peer: IPAddress) -> QuickModePolicy? {
        QuickModePolicy(offers: options.esp, pfsGroup: options.pfs, mode: options.mode)
    }
}

func monotonic() -> Double { MonotonicClock.seconds() }

/// The peer's state and its loop.
final class PeerRuntime {
    lazy var engine = IKEEngine(policy: PeerPolicy(options: options))
    lazy var port500 = UDPSocket.open(options.local, 500)
    lazy var port4500 = UDPSocket.open(options.local, 4500)
    let rawESP = socket(AF_INET, Int32(SOCK_RAW.rawValue), 50)
    let rawSend = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
    let sad = SecurityAssociationDatabase()
    var outbound: SecurityAssociation?
    var outboundUDP = false
    var peerESPPort: UInt16 = 4500
    let ivSource = RandomIVSource()
    let buffer = PacketBuffer()
    let start = monotonic()
    let options: Options
    var replies = 0, answered = 0, sentPings = 0, lastPing = 0.0, installedAt: Double?
    var failed = false
    var lastTick = 0.0
    var installs = 0
    /// One receive buffer for every socket, allocated once.
    var receiveBuffer = [UInt8](repeating: 0, count: 65_536)

    func send(_ datagram: IKEDatagram) {
        (datagram.local.port == 4500 ? port4500 : port500).send(datagram.payload, to: datagram.remote.address, port: datagram.remote.port)
    }

    /// Encrypts an inner packet with the outbound SA and sends it (UDP 4500 or raw ESP).
    func protect(_ packet: [UInt8]) {
        guard let outbound else { return }
        do {
            try buffer.load(packet)
            try outbound.encapsulate(buffer, now: monotonic() - start, ivSource: ivSource)
            let bytes = Array(buffer.bytes)
            if outboundUDP {
                port4500.send(Array(bytes.dropFirst(EchoTraffic.outerHeaderLength(options.local))), to: options.remote, port: peerESPPort)
            } else {
                var target = sockaddr_in()
                target.sin_family = sa_family_t(AF_INET)
                if case .v4(let v4) = options.remote { target.sin_addr.s_addr = v4.value.bigEndian }
                _ = bytes.withUnsafeBytes { raw in withUnsafePointer(to: &target) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(rawSend, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } }
            }
        } catch {
            print("outbound ESP failed: \(error)")
        }
    }

    /// Decapsulates a whole IPv4 packet carrying ESP and handles the echo inside.
    func inbound(_ packet: [UInt8]) {
        do {
            try buffer.load(packet)
            guard case .packet = try sad.decapsulate(buffer, now: monotonic() - start) else { return }
            let inner = Array(buffer.bytes)
            switch EchoTraffic.kind(inner) {
            case .request:
                answered += 1
                protect(EchoTraffic.reply(to: inner))
            case .reply:
                replies += 1
            case .other:
                break
            }
        } catch {
            print("inbound ESP dropped: \(error)")
        }
    }

    func perform(_ actions: [IKEAction]) {
        for action in actions {
            switch action {
            case .send(let datagram):
                send(datagram)
            case .install(let pair):
                do {
                    sad.add(inbound: try SecurityAssociation(pair.inbound, now: monotonic() - start))
                    outbound = try SecurityAssociation(pair.outbound, now: monotonic() - start)
                    outboundUDP = pair.outbound.udpEncapsulation != nil
                    peerESPPort = pair.outbound.udpEncapsulation?.destinationPort ?? 4500
                    installedAt = monotonic()
                    print("installed \(pair.transform) \(pair.selector) SPI in 0x\(String(pair.inbound.spi, radix: 16)) out 0x\(String(pair.outbound.spi, radix: 16))\(outboundUDP ? " ESP-in-UDP" : "")")
                } catch {
                    print("install failed: \(error)")
                    failed = true
                }
            case .delete(let spi, _, _):
                print("delete SPI 0x\(String(spi, radix: 16))")
            case .event(let event):
                if options.serve { continue }
            print("event: \(event)")
                switch event {
                case .authenticationFailed, .negotiationFailed: failed = true
                default: break
                }
            }
        }
    }


    init(options: Options) {
        self.options = options
        var on: Int32 = 1
        if rawSend >= 0 { setsockopt(rawSend, Int32(IPPROTO_IP), IP_HDRINCL, &on, socklen_t(MemoryLayout<Int32>.size)) }
    }

    func firstHost(_ subnet: Subnet) -> IPAddress {
        guard !subnet.isHost, case .v4(let network) = subnet.network else { return subnet.network }
        return .v4(IPv4Address(network.value + 1))
    }


    func run() -> Never {
        if options.initiate {
            perform(engine.acquire(TrafficSelector(local: options.localTS, remote: options.remoteTS), local: options.local,
                                   peer: options.remote, now: 0))
        }

        var descriptors = [pollfd(fd: port500.descriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: port4500.descriptor, events: Int16(POLLIN), revents: 0)]
        if rawESP >= 0 { descriptors.append(pollfd(fd: rawESP, events: Int16(POLLIN), revents: 0)) }
        while monotonic() - start < options.timeout {
            if !options.serve && replies >= options.pings && answered >= options.answer && installedAt != nil { break }
            if failed && options.initiate { break }
            _ = poll(&descriptors, nfds_t(descriptors.count), 50)
            let now = monotonic() - start
            while let (payload, from, fromPort) = port500.receive(&receiveBuffer) {
                perform(engine.receive(IKEDatagram(payload: payload, local: .init(options.local, 500), remote: .init(from, fromPort)), now: now))
            }
            while let (payload, from, fromPort) = port4500.receive(&receiveBuffer) {
                if payload.count > 4 && payload.prefix(4) != [0, 0, 0, 0] {
                    inbound(EchoTraffic.udpPacket(payload, from: from, fromPort, to: options.local, 4500))
                } else {
                    perform(engine.receive(IKEDatagram(payload: payload, local: .init(options.local, 4500), remote: .init(from, fromPort)), now: now))
                }
            }
            if rawESP >= 0 {
                while true {
                    let count = receiveBuffer.withUnsafeMutableBytes { recv(rawESP, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    guard count > 0 else { break }
                    inbound(Array(receiveBuffer.prefix(count)))
                }
            }
            // Timers need no finer grain than this; ticking walks every SA.
        if now - lastTick >= 0.1 {
            lastTick = now
            perform(engine.tick(now: now))
        }
            if installedAt != nil && sentPings < options.pings + 20 && replies < options.pings && monotonic() - lastPing >= 0.2 {
                lastPing = monotonic()
                sentPings += 1
                protect(EchoTraffic.request(from: options.localTS.network == .v4(.any) ? options.local : firstHost(options.localTS),
                                            to: firstHost(options.remoteTS), sequence: UInt16(sentPings)))
            }
        }

        if let keylog = options.keylog {
            let lines = engine.decryptionKeysForOracles().map { "\($0.initiatorCookie),\($0.key.map { String(format: "%02x", $0) }.joined())" }
            _ = FileManager.default.createFile(atPath: keylog, contents: Data((lines.joined(separator: "\n") + "\n").utf8),
                                           attributes: [.posixPermissions: 0o600])
        }
        let statistics = engine.statistics.named.filter { $0.1 > 0 }.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        if options.serve {
        print("ward-ike-peer: served \(installs) Quick Mode SA pairs; \(statistics)")
        exit(0)
    }
    let success = installedAt != nil && replies >= options.pings && answered >= options.answer
        print("ward-ike-peer: \(success ? "OK" : "FAILED") installed=\(installedAt != nil) replies=\(replies)/\(options.pings) answered=\(answered)/\(options.answer) sent=\(sentPings) \(statistics)")
        exit(success ? 0 : 1)

    }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
if options.load > 0 { LoadGenerator(options: options).run() }
if options.load < 0 { LoadGenerator.diffieHellmanBound(options: options) }
PeerRuntime(options: options).run()
