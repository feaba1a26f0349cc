// ward-esp-probe: a test peer for the kernel interop test (Tests/Kernel). In a network
// namespace without XFRM policy it reads ESP/AH (or ESP-in-UDP) through a raw socket,
// decapsulates with Ward's SAD, answers ICMP echo requests with echo replies protected by
// Ward's outbound SA, and exits 0 after answering --count requests (1 on timeout).
// IPv4 only: IPv4 raw sockets deliver the IP header, which the sans-I/O core works on.
import ESP
import Foundation
import Packet
import Transforms

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("ward-esp-probe: \(message)\n".utf8))
    exit(2)
}

let options: [String: String] = {
    var options: [String: String] = [:]
    var arguments = CommandLine.arguments.dropFirst()
    while let flag = arguments.first {
        arguments = arguments.dropFirst()
        guard flag.hasPrefix("--") else { fail("unexpected argument \(flag)") }
        if flag == "--udp" || flag == "--ah" || flag == "--esn" { options[String(flag.dropFirst(2))] = "yes"; continue }
        guard let value = arguments.first else { fail("\(flag) needs a value") }
        options[String(flag.dropFirst(2))] = value
        arguments = arguments.dropFirst()
    }
    return options
}()
func option(_ name: String) -> String {
    guard let value = options[name] else { fail("--\(name) is required") }
    return value
}
func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
    guard digits.count % 2 == 0 else { fail("odd hex key \(text)") }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else { fail("bad hex key \(text)") }
        bytes.append(byte)
        index = next
    }
    return bytes
}
func encryption(_ name: String) -> EncryptionAlgorithm? {
    switch name {
    case "none": nil
    case "null": .null
    case "des": .desCBC
    case "3des": .tripleDESCBC
    case "aes128": .aesCBC(keyBits: 128)
    case "aes192": .aesCBC(keyBits: 192)
    case "aes256": .aesCBC(keyBits: 256)
    case "gcm128": .aesGCM16(keyBits: 128)
    case "gcm256": .aesGCM16(keyBits: 256)
    case "chacha": .chacha20Poly1305
    default: fail("unknown --enc \(name)")
    }
}
func integrity(_ name: String) -> IntegrityAlgorithm? {
    switch name {
    case "none": nil
    case "md5": .hmacMD5_96
    case "sha1": .hmacSHA1_96
    case "sha256": .hmacSHA256_128
    case "sha384": .hmacSHA384_192
    case "sha512": .hmacSHA512_256
    default: fail("unknown --auth \(name)")
    }
}

guard let local = IPAddress(option("local")) else { fail("bad --local") }
guard let remote = IPAddress(option("remote")) else { fail("bad --remote") }
let isAH = options["ah"] != nil
let udp = options["udp"] != nil
let tunnel = options["mode"] == "tunnel"
let count = Int(options["count"] ?? "3") ?? 3
let timeout = Double(options["timeout"] ?? "20") ?? 20
func parameters(spi: String, destination: IPAddress, mode: IPsecMode) -> SAParameters {
    guard let number = UInt32(spi.dropFirst(2), radix: 16) else { fail("bad SPI \(spi)") }
    return SAParameters(spi: number, securityProtocol: isAH ? .ah : .esp,
                 mode: mode, destination: destination, encryption: encryption(options["enc"] ?? "none"),
                 encryptionKey: hexBytes(options["enc-key"] ?? ""), integrity: integrity(options["auth"] ?? "none"),
                 integrityKey: hexBytes(options["auth-key"] ?? ""), extendedSequenceNumbers: options["esn"] != nil,
                 udpEncapsulation: udp ? (4500, 4500) : nil)
}
let sad = SecurityAssociationDatabase()
let inbound: SecurityAssociation
let outbound: SecurityAssociation
do {
    inbound = try SecurityAssociation(parameters(spi: option("spi-in"), destination: local,
                                                 mode: tunnel ? .tunnel(source: remote, destination: local) : .transport), now: 0)
    outbound = try SecurityAssociation(parameters(spi: option("spi-out"), destination: remote,
                                                  mode: tunnel ? .tunnel(source: local, destination: remote) : .transport), now: 0)
} catch {
    fail("SA: \(error)")
}
sad.add(inbound: inbound)

let receiveSocket = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(udp ? 17 : (isAH ? 51 : 50)))
let sendSocket = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
guard receiveSocket >= 0, sendSocket >= 0 else { fail("raw sockets need root: \(String(cString: strerror(errno)))") }
var on: Int32 = 1
setsockopt(sendSocket, Int32(IPPROTO_IP), IP_HDRINCL, &on, socklen_t(MemoryLayout<Int32>.size))
var tick = timeval(tv_sec: 0, tv_usec: 200_000)
setsockopt(receiveSocket, SOL_SOCKET, SO_RCVTIMEO, &tick, socklen_t(MemoryLayout<timeval>.size))
if udp {
    // Holds port 4500 so the kernel does not answer the peer's ESP-in-UDP with port-unreachable.
    let holder = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(4500).bigEndian
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
}

let buffer = PacketBuffer()
let ivSource = RandomIVSource()
var answered = 0
let deadline = Date().addingTimeInterval(timeout)
var receiveBytes = [UInt8](repeating: 0, count: 65_536)
while answered < count && Date() < deadline {
    let received = receiveBytes.withUnsafeMutableBytes { recv(receiveSocket, $0.baseAddress, $0.count, 0) }
    guard received > 0 else { continue }
    do {
        try buffer.load(receiveBytes.prefix(received))
        guard case .packet = try sad.decapsulate(buffer, now: 1) else { continue }
        let inner = try IPLayout(buffer)
        guard inner.version == 4, inner.nextHeader == 1, try buffer.uint8(at: inner.insertionOffset) == 8 else { continue }
        // Echo request → echo reply: swap addresses, type 0, fix both checksums.
        let source = try buffer.uint32(at: 12), destination = try buffer.uint32(at: 16)
        try buffer.setUInt32(destination, at: 12)
        try buffer.setUInt32(source, at: 16)
        try buffer.setUInt8(64, at: 8)
        try IPLayout.updateIPv4Checksum(buffer, headerLength: inner.baseHeaderLength)
        try buffer.setUInt8(0, at: inner.insertionOffset)
        try buffer.setUInt16(0, at: inner.insertionOffset + 2)
        var checksum = InternetChecksum()
        checksum.add(UnsafeRawBufferPointer(try buffer.region(inner.insertionOffset, buffer.count - inner.insertionOffset)))
        try buffer.setUInt16(checksum.value, at: inner.insertionOffset + 2)
        try outbound.encapsulate(buffer, now: 1, ivSource: ivSource)
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        if case .v4(let address) = remote { target.sin_addr.s_addr = address.value.bigEndian }
        let sent = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(sendSocket, buffer.bytes.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if sent == buffer.count { answered += 1 } else { print("send failed: \(String(cString: strerror(errno)))") }
    } catch {
        print("dropped: \(error)")
    }
}
let stats = inbound.statistics
print("ward-esp-probe: answered \(answered)/\(count); received \(stats.packetsReceived), not authenticated \(stats.packetsNotAuthenticated), replay \(stats.packetsWithReplayDetection), bad SPI \(sad.statistics.badSPIPackets)")
exit(answered >= count ? 0 : 1)
