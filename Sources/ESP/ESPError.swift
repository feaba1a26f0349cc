import Packet
import Transforms

/// Why a packet was not encapsulated or not accepted. Each case names what was wrong and where,
/// and is counted in the statistic the monitor shows for it.
public enum ESPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A header or length field is wrong or the packet is shorter than it claims.
    case malformed(PacketError)
    /// No inbound SA for this SPI, destination and protocol (Bad SPI Packets).
    case unknownSPI(spi: UInt32)
    /// The sequence number was seen before (Packets With Replay Detection).
    case replayed(sequence: UInt64)
    /// The sequence number is older than the anti-replay window (Packets With Replay Detection).
    case tooOld(sequence: UInt64)
    /// The ICV or AEAD tag did not verify (Packets Not Authenticated).
    case authenticationFailed(spi: UInt32)
    /// The payload did not decrypt to a valid trailer (Packets Not Decrypted).
    case badPadding(spi: UInt32, detail: String)
    /// The ciphertext is not a whole number of blocks, or too short (Packets Not Decrypted).
    case badCiphertextLength(spi: UInt32, length: Int)
    /// The inner packet of a tunnel is not an IP packet of the family the next header names.
    case badInnerPacket(spi: UInt32, detail: String)
    /// The packet arrived with or without UDP encapsulation against the SA's setting.
    case encapsulationMismatch(spi: UInt32)
    /// AH cannot be carried in UDP (RFC 3948 covers ESP only; the seed: AH does not cross NAT).
    case ahOverUDP
    /// The SA's hard lifetime is over; it must not carry more traffic.
    case expired(spi: UInt32)
    /// A 32-bit sequence number would cycle (RFC 4303 §3.3.3): the SA must be rekeyed.
    case sequenceExhausted(spi: UInt32)
    /// An SA was configured wrongly (key lengths, algorithm combinations).
    case badConfiguration(String)
    /// libcrypto failed.
    case transform(TransformError)

    public var description: String {
        switch self {
        case .malformed(let error): "malformed packet: \(error)"
        case .unknownSPI(let spi): "no SA for SPI 0x\(String(spi, radix: 16))"
        case .replayed(let sequence): "replayed sequence number \(sequence)"
        case .tooOld(let sequence): "sequence number \(sequence) is behind the anti-replay window"
        case .authenticationFailed(let spi): "integrity check failed (SPI 0x\(String(spi, radix: 16)))"
        case let .badPadding(spi, detail): "bad ESP trailer (SPI 0x\(String(spi, radix: 16))): \(detail)"
        case let .badCiphertextLength(spi, length): "ciphertext of \(length) bytes cannot be right (SPI 0x\(String(spi, radix: 16)))"
        case let .badInnerPacket(spi, detail): "tunnel payload is not a valid IP packet (SPI 0x\(String(spi, radix: 16))): \(detail)"
        case .encapsulationMismatch(let spi): "UDP encapsulation does not match SA 0x\(String(spi, radix: 16))"
        case .ahOverUDP: "AH cannot be UDP-encapsulated (it does not traverse NAT)"
        case .expired(let spi): "SA 0x\(String(spi, radix: 16)) reached its hard lifetime"
        case .sequenceExhausted(let spi): "SA 0x\(String(spi, radix: 16)) used all 2^32 sequence numbers; rekey"
        case .badConfiguration(let text): "bad SA: \(text)"
        case .transform(let error): "\(error)"
        }
    }
}
