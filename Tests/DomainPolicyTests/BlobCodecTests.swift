import DomainPolicy
import Foundation
import XCTest

/// Windows' blobs through decode → encode, and the bounds checks on damaged ones.
final class BlobCodecTests: XCTestCase {
    private func blobs(_ objectClass: String) throws -> [(cn: String, data: [UInt8])] {
        guard let entries = ProvisionedPolicies.entries() else { throw XCTSkip("Samba's provision.ldif is not installed") }
        return entries.filter { $0.strings("objectClass").contains(objectClass) }
            .map { (String($0.dn.prefix { $0 != "," }), $0.values("ipsecData")[0]) }
    }

    func testWindowsPolicyISAKMPFilterAndNFABlobsRoundTripByteForByte() throws {
        var checked = 0
        for (cn, data) in try blobs("ipsecPolicy") {
            XCTAssertEqual(try PolicyBlob.decode(data, object: cn).encoded(), data, cn)
            XCTAssertEqual(try PolicyBlob.decode(data, object: cn).pollingIntervalSeconds, 10_800)
            checked += 1
        }
        for (cn, data) in try blobs("ipsecISAKMPPolicy") {
            let blob = try ISAKMPBlob.decode(data, object: cn)
            XCTAssertEqual(blob.methods.count, 4, cn)
            XCTAssertEqual(blob.methods.map(\.lifetimeSeconds), [28_800, 28_800, 28_800, 28_800])
            XCTAssertEqual(blob.encoded(), data, cn)
            checked += 1
        }
        for (cn, data) in try blobs("ipsecFilter") {
            XCTAssertEqual(try FilterBlob.decode(data, object: cn).encoded(), data, cn)
            checked += 1
        }
        for (cn, data) in try blobs("ipsecNFA") where !cn.contains("6A1F5C6F") {
            let blob = try NFABlob.decode(data, object: cn)
            XCTAssertEqual(blob.authenticationMethods, [.init(type: 5, data: "")], cn)
            XCTAssertEqual(blob.interfaceType, NFABlob.interfaceAll)
            XCTAssertEqual(blob.encoded(), data, cn)
            checked += 1
        }
        XCTAssertEqual(checked, 3 + 3 + 2 + 7)
    }

    func testNegotiationBlobsRoundTripWhereWindowsWroteNoUninitialisedMemory() throws {
        for (cn, data) in try blobs("ipsecNegotiationPolicy") {
            let blob = try NegotiationBlob.decode(data, object: cn)
            let encoded = blob.encoded()
            XCTAssertEqual(encoded.count, data.count, cn)
            // Windows leaves unused algorithm slots uninitialised; Ward writes zeros there.
            // Every byte Windows did define must match.
            var expected = data
            var offset = 24
            for offer in blob.offers {
                let used = offer.algorithms.count
                for slot in used..<3 {
                    let start = offset + 20 + 20 * slot
                    for index in start..<start + 20 { expected[index] = 0 }
                }
                offset += 80
            }
            XCTAssertEqual(encoded, expected, cn)
            if !data.contains(where: { $0 == 0x5C }) { XCTAssertEqual(encoded, data, "\(cn) has no stray memory: byte for byte") }
        }
    }

    func testRequestSecurityOffersAsWindowsWroteThem() throws {
        let (cn, data) = try XCTUnwrap(try blobs("ipsecNegotiationPolicy").first { $0.cn.contains("72385233") })
        let blob = try NegotiationBlob.decode(data, object: cn)
        XCTAssertEqual(blob.offers.count, 5)
        XCTAssertEqual(blob.offers.map(\.lifetimeSeconds), [900, 900, 300, 300, 0])
        XCTAssertEqual(blob.offers[0].algorithms, [.init(identifier: 3, secondaryIdentifier: 2, operation: 2)])
        XCTAssertEqual(blob.offers[2].algorithms, [.init(identifier: 2, secondaryIdentifier: 0, operation: 1)])
        XCTAssertTrue(blob.offers[4].algorithms.isEmpty, "the last offer is 'no security': fall back to clear")
    }

    func testTruncatedAndLyingBlobsNameTheFieldAndOffset() throws {
        let (cn, data) = try XCTUnwrap(try blobs("ipsecFilter").first)
        // Cut inside the first filter's fixed part.
        let truncated = Array(data.prefix(50))
        XCTAssertThrowsError(try FilterBlob.decode(truncated, object: cn)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("data length"), text)
            XCTAssertTrue(text.contains(cn.dropFirst(3)), text)
        }
        // A length that lies: larger than the blob.
        var lying = data
        lying[16] = 0xFF
        lying[17] = 0x7F
        XCTAssertThrowsError(try FilterBlob.decode(lying, object: cn)) { error in
            XCTAssertEqual((error as? BlobError)?.field, "data length")
            XCTAssertEqual((error as? BlobError)?.offset, 16)
        }
        // A filter count that promises more than follows.
        var counted = data
        counted[20] = 0x40
        XCTAssertThrowsError(try FilterBlob.decode(counted, object: cn)) { error in
            XCTAssertEqual((error as? BlobError)?.field, "Filter-Count")
            XCTAssertEqual((error as? BlobError)?.offset, 20)
        }
        // A string length running past the end, with the frame fixed up to match.
        var string = Array(data.prefix(24)) + [0xF0, 0, 0, 0] + Array(repeating: 0, count: 70)
        string[16] = 78
        string[17] = 0
        string.append(0)
        XCTAssertThrowsError(try FilterBlob.decode(string, object: cn)) { error in
            XCTAssertEqual((error as? BlobError)?.field, "filter 1 Source-DNS-Name")
        }
        // Another kind's type GUID.
        XCTAssertThrowsError(try NFABlob.decode(data, object: cn)) { error in
            XCTAssertEqual((error as? BlobError)?.field, "type GUID")
        }
    }

    /// Every prefix and every single-byte corruption of every Windows blob: an error or a
    /// value, never a trap.
    func testEveryPrefixAndCorruptionIsRefusedOrRead() throws {
        guard let entries = ProvisionedPolicies.entries() else { throw XCTSkip("no provision.ldif") }
        for entry in entries {
            let data = entry.values("ipsecData")[0]
            for length in 0..<data.count {
                DomainBlobProbe.decodeAny(Array(data.prefix(length)))
            }
            for index in 0..<data.count {
                var corrupted = data
                corrupted[index] ^= 0xFF
                DomainBlobProbe.decodeAny(corrupted)
            }
        }
    }
}

enum DomainBlobProbe {
    static func decodeAny(_ bytes: [UInt8]) {
        _ = try? PolicyBlob.decode(bytes, object: "probe")
        _ = try? ISAKMPBlob.decode(bytes, object: "probe")
        _ = try? NFABlob.decode(bytes, object: "probe")
        _ = try? NegotiationBlob.decode(bytes, object: "probe")
        _ = try? FilterBlob.decode(bytes, object: "probe")
    }
}
