import Foundation
import Packet
import Platform

/// The peer tool's use of `Platform.UDPSocket`: arrays in and out, failures printed.
extension UDPSocket {
    /// Binds or exits with the reason (usage-level failure of the tool).
    static func open(_ address: IPAddress, _ port: UInt16) -> UDPSocket {
        do { return try UDPSocket(address: address, port: port) } catch { Options.fail("\(error)") }
    }

    /// The next datagram, read through the caller's reusable `buffer` (64 KiB, allocated once);
    /// only the datagram's own bytes are copied out.
    func receive(_ buffer: inout [UInt8]) -> (payload: [UInt8], from: IPAddress, port: UInt16)? {
        guard let (count, from, port) = buffer.withUnsafeMutableBytes({ receive(into: $0) }) else { return nil }
        return (Array(buffer.prefix(count)), from, port)
    }

    func send(_ payload: [UInt8], to address: IPAddress, port: UInt16) {
        do { try payload.withUnsafeBytes { try send($0, to: address, port: port) } } catch { print("\(error)") }
    }
}
