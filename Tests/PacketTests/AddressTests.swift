import Packet
import XCTest

final class AddressTests: XCTestCase {
    func testIPv4ParsesDottedQuadOnly() {
        XCTAssertEqual(IPv4Address("10.77.0.1")?.value, 0x0A4D_0001)
        XCTAssertEqual(IPv4Address("255.255.255.255"), .broadcast)
        for bad in ["10.77.0", "10.77.0.1.2", "256.1.1.1", "1..1.1", "", "a.b.c.d", "1.2.3.-4", "01234.1.1.1", " 1.2.3.4"] {
            XCTAssertNil(IPv4Address(bad), bad)
        }
        XCTAssertEqual(IPv4Address(192, 168, 1, 20).description, "192.168.1.20")
    }

    func testIPv6ParsesCompressedFormsAndPrintsRFC5952() {
        XCTAssertEqual(IPv6Address("fd77::1")?.description, "fd77::1")
        XCTAssertEqual(IPv6Address("FD77:0:0:0:0:0:0:1")?.description, "fd77::1")
        XCTAssertEqual(IPv6Address("::")?.description, "::")
        XCTAssertEqual(IPv6Address("::ffff:10.77.0.1")?.description, "::ffff:a4d:1")
        XCTAssertEqual(IPv6Address("2001:db8:0:0:1:0:0:1")?.description, "2001:db8::1:0:0:1")
        XCTAssertEqual(IPv6Address("2001:db8::1")?.octets.first, 0x20)
        for bad in ["fd77", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", "::1%eth0", ""] {
            XCTAssertNil(IPv6Address(bad), bad)
        }
    }

    func testIPAddressOrdersIPv4BeforeIPv6() {
        let addresses = [IPAddress("fd77::1")!, IPAddress("10.0.0.2")!, IPAddress("10.0.0.1")!]
        XCTAssertEqual(addresses.sorted().map(\.description), ["10.0.0.1", "10.0.0.2", "fd77::1"])
    }

    func testSubnetClearsHostBitsAndContains() throws {
        let subnet = try XCTUnwrap(Subnet("10.77.3.9/16"))
        XCTAssertEqual(subnet.description, "10.77.0.0/16")
        XCTAssertTrue(subnet.contains(IPAddress("10.77.200.1")!))
        XCTAssertFalse(subnet.contains(IPAddress("10.78.0.1")!))
        XCTAssertFalse(subnet.contains(IPAddress("fd77::1")!))
        XCTAssertEqual(subnet.ipv4Mask?.description, "255.255.0.0")
        let v6 = try XCTUnwrap(Subnet("fd77:1:2:3::5/64"))
        XCTAssertEqual(v6.description, "fd77:1:2:3::/64")
        XCTAssertTrue(v6.contains(IPAddress("fd77:1:2:3:ffff::1")!))
        XCTAssertEqual(Subnet("fd77::/72")?.contains(IPAddress("fd77::ff:1")!), true)
        XCTAssertEqual(Subnet("fd77::/72")?.contains(IPAddress("fd77:0:0:0:100::")!), false)
        XCTAssertNil(Subnet("10.0.0.0/33"))
        XCTAssertNil(Subnet("10.0.0.0/x"))
        XCTAssertTrue(Subnet("10.1.1.1")!.isHost)
    }

    func testPrefixLengthAcceptsMasksAndLengths() {
        XCTAssertEqual(PrefixLength.parse("255.255.255.0"), 24)
        XCTAssertEqual(PrefixLength.parse("255.255.255.255"), 32)
        XCTAssertEqual(PrefixLength.parse("0.0.0.0"), 0)
        XCTAssertEqual(PrefixLength.parse("24"), 24)
        XCTAssertEqual(PrefixLength.parse("/8"), 8)
        XCTAssertEqual(PrefixLength.parse("64", bitWidth: 128), 64)
        XCTAssertNil(PrefixLength.parse("255.0.255.0"), "non-contiguous mask")
        XCTAssertNil(PrefixLength.parse("33"))
        XCTAssertNil(PrefixLength.parse("255.255.0.0", bitWidth: 128))
        XCTAssertNil(PrefixLength.parse("abc"))
    }

    func testSubnetCodableRoundTrip() throws {
        let subnet = Subnet("fd77::/16")!
        let data = try JSONEncoder().encode([subnet])
        XCTAssertEqual(try JSONDecoder().decode([Subnet].self, from: data), [subnet])
        XCTAssertThrowsError(try JSONDecoder().decode([Subnet].self, from: Data("[\"nope\"]".utf8)))
    }
}
