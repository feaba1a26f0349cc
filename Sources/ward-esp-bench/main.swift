// ESP benchmark (release build, not a test): ns per packet to encapsulate and decapsulate,
// 64/512/1400-byte payloads, for AES-GCM-128, AES-CBC-128+HMAC-SHA1 and 3DES+HMAC-SHA1, beside
// raw libcrypto AES-128-GCM sealing the same bytes in the same run; heap allocations per packet
// counted by an interposed allocator.
//   swift run -c release ward-esp-bench [PACKETS] [SUITE-SUBSTRING]
import COpenSSL
import ESP
import Foundation
import MallocCounter
import Packet
import Transforms

let packets = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 200_000 : 200_000
let source = IPAddress("10.77.1.1")!, destination = IPAddress("10.77.2.2")!

func plainPacket(payload: Int) -> [UInt8] {
    // IPv4 + UDP header, then `payload` bytes: the payload size is the UDP data.
    let total = 28 + payload
    var packet: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0]
    packet += [10, 77, 1, 1, 10, 77, 2, 2, 0x9C, 0x40, 0, 7, UInt8((payload + 8) >> 8), UInt8((payload + 8) & 0xFF), 0, 0]
    packet += (0..<payload).map { UInt8(truncatingIfNeeded: $0) }
    return packet
}

func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

struct Measurement { var nanoseconds: Double; var allocations: Double }

func measure(_ count: Int, _ body: () throws -> Void) rethrows -> Measurement {
    for _ in 0..<min(1000, count) { try body() }  // warm up: caches, lazy libcrypto state
    let allocationsBefore = ward_allocation_count()
    let start = monotonicNanoseconds()
    for _ in 0..<count { try body() }
    let elapsed = monotonicNanoseconds() - start
    let allocations = ward_allocation_count() - allocationsBefore
    return Measurement(nanoseconds: Double(elapsed) / Double(count), allocations: Double(allocations) / Double(count))
}

/// Raw libcrypto: copy the packet into a buffer and AES-128-GCM-seal its payload in place.
func rawGCM(payload: Int) -> Measurement {
    let cipher = EVP_CIPHER_fetch(nil, "AES-128-GCM", nil)!
    let context = EVP_CIPHER_CTX_new()!
    let key = [UInt8](repeating: 7, count: 16)
    _ = EVP_CipherInit_ex2(context, cipher, key, nil, 1, nil)
    let plain = plainPacket(payload: payload)
    let buffer = PacketBuffer()
    var nonce = [UInt8](repeating: 1, count: 12)
    var aad = [UInt8](repeating: 2, count: 8)
    var tag = [UInt8](repeating: 0, count: 16)
    var counter: UInt64 = 0
    let result = measure(packets / 5) {
        try! buffer.load(plain)
        counter += 1
        nonce.withUnsafeMutableBytes { $0.storeBytes(of: counter, toByteOffset: 4, as: UInt64.self) }
        let bytes = buffer.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + 20
        var written: Int32 = 0
        _ = EVP_CipherInit_ex2(context, nil, nil, nonce, 1, nil)
        _ = EVP_CipherUpdate(context, nil, &written, &aad, 8)
        _ = EVP_CipherUpdate(context, bytes, &written, bytes, Int32(buffer.count - 20))
        _ = EVP_CipherFinal_ex(context, &tag, &written)
        _ = EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, 16, &tag)
    }
    EVP_CIPHER_CTX_free(context)
    EVP_CIPHER_free(cipher)
    return result
}

let suites: [(String, EncryptionAlgorithm, IntegrityAlgorithm?)] = [
    ("AES-GCM-128", .aesGCM16(keyBits: 128), nil),
    ("AES-CBC-128+HMAC-SHA1", .aesCBC(keyBits: 128), .hmacSHA1_96),
    ("3DES+HMAC-SHA1", .tripleDESCBC, .hmacSHA1_96),
]

print("ESP benchmark, \(packets) packets per cell (release build; ns per packet; allocations per packet)")
func column(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
print("suite".padding(toLength: 24, withPad: " ", startingAt: 0) + column("payload", 8) + column("encap ns", 10) + column("decap ns", 10)
      + column("raw seal ns", 12) + column("ratio", 7) + column("allocs/pkt", 12))
let filter = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : ""
for (name, encryption, integrity) in suites where filter.isEmpty || name.contains(filter) {
    for payload in [64, 512, 1400] {
        // Anti-replay off for the inbound SA, so one packet can be decapsulated over and over.
        func parameters(window: Int) -> SAParameters {
            SAParameters(spi: 0x100, destination: destination, encryption: encryption,
                         encryptionKey: [UInt8](repeating: 3, count: encryption.keyMaterialLength), integrity: integrity,
                         integrityKey: [UInt8](repeating: 4, count: integrity?.keyLength ?? 0), replayWindow: window)
        }
        let outbound = try! SecurityAssociation(parameters(window: 128), now: 0)
        let sad = SecurityAssociationDatabase()
        sad.add(inbound: try! SecurityAssociation(parameters(window: 0), now: 0))
        let plain = plainPacket(payload: payload)
        let buffer = PacketBuffer()
        let ivSource = RandomIVSource()
        // Rounds alternate ESP and the raw baseline and keep each one's best, so that a noisy
        // neighbour on the machine does not decide the ratio.
        var encap = Measurement(nanoseconds: .infinity, allocations: 0)
        var raw = Measurement(nanoseconds: .infinity, allocations: 0)
        for _ in 0..<5 {
            let round = measure(packets / 5) {
                try! buffer.load(plain)
                try! outbound.encapsulate(buffer, now: 0, ivSource: ivSource)
            }
            if round.nanoseconds < encap.nanoseconds { encap.nanoseconds = round.nanoseconds }
            encap.allocations = max(encap.allocations, round.allocations)
            let baseline = rawGCM(payload: payload)
            if baseline.nanoseconds < raw.nanoseconds { raw = baseline }
        }
        try! buffer.load(plain)
        try! outbound.encapsulate(buffer, now: 0, ivSource: ivSource)
        let wire = buffer.array
        let decap = measure(packets) {
            try! buffer.load(wire)
            _ = try! sad.decapsulate(buffer, now: 0)
        }
        let ratio = encap.nanoseconds / raw.nanoseconds
        print(name.padding(toLength: 24, withPad: " ", startingAt: 0) + column("\(payload)", 8)
              + column(String(format: "%.0f", encap.nanoseconds), 10) + column(String(format: "%.0f", decap.nanoseconds), 10)
              + column(String(format: "%.0f", raw.nanoseconds), 12) + column(String(format: "%.2f", ratio), 7)
              + column(String(format: "%.2f/%.2f", encap.allocations, decap.allocations), 12))
    }
}
print("ratio = encapsulate / raw libcrypto AES-128-GCM seal of the same packet (copy included in both);")
print("encap and raw are the best of 5 alternating rounds; decap decapsulates one packet repeatedly (anti-replay off)")
