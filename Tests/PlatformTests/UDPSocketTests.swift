import Packet
import Platform
import XCTest

/// UDP sockets on loopback: datagrams arrive whole with their sender, over IPv4 and IPv6, and
/// failures name what was attempted.
final class UDPSocketTests: XCTestCase {
    func roundTrip(_ address: IPAddress) throws {
        let a = try UDPSocket(address: address, port: 0)
        let b = try UDPSocket(address: address, port: 0)
        XCTAssertNotEqual(a.port, 0)
        let message: [UInt8] = Array("IKE over \(address)".utf8)
        try message.withUnsafeBytes { try a.send($0, to: address, port: b.port) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        var received: (count: Int, from: IPAddress, port: UInt16)?
        for _ in 0..<200 where received == nil {
            received = buffer.withUnsafeMutableBytes { b.receive(into: $0) }
            if received == nil { usleep(5_000) }
        }
        let datagram = try XCTUnwrap(received, "nothing arrived over \(address)")
        XCTAssertEqual(Array(buffer.prefix(datagram.count)), message)
        XCTAssertEqual(datagram.from, address)
        XCTAssertEqual(datagram.port, a.port)
        XCTAssertNil(buffer.withUnsafeMutableBytes { b.receive(into: $0) }, "non-blocking: nothing more waits")
    }

    func testIPv4Loopback() throws { try roundTrip(IPAddress("127.0.0.1")!) }

    func testIPv6Loopback() throws {
        guard (try? UDPSocket(address: IPAddress("::1")!, port: 0)) != nil else { throw XCTSkip("no IPv6 loopback on this machine") }
        try roundTrip(IPAddress("::1")!)
    }

    func testBindingAnAddressThisMachineDoesNotHaveIsNamed() {
        XCTAssertThrowsError(try UDPSocket(address: IPAddress("192.0.2.77")!, port: 500)) { error in
            XCTAssertTrue("\(error)".contains("bind 192.0.2.77 port 500"), "\(error)")
        }
    }
}
