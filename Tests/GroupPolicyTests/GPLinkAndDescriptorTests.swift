import DomainPolicy
import Foundation
@testable import GroupPolicy
import TestSupport
import XCTest

/// `gPLink` as Windows and samba-tool write it, and GPO security descriptors as Samba's NDR
/// encodes them (vectors made with python3-samba's `ndr_pack(descriptor.from_sddl(…))` from
/// the DACL `samba-tool gpo create` gives a GPO, and one with a deny ACE added first).
final class GPLinkAndDescriptorTests: XCTestCase {
    func testParsesLinksInLinkOrderWithTheirOptions() throws {
        let text = "[LDAP://cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=ward,DC=test;0]"
            + "[LDAP://CN={2141A40E-A719-4834-B816-027AEC28A1B8},CN=Policies,CN=System,DC=ward,DC=test;2]"
            + "[LDAP://cn={AAAAAAAA-A719-4834-B816-027AEC28A1B8},cn=policies,cn=system,DC=ward,DC=test;3]"
        let links = try GPLink.parse(text, container: "DC=ward,DC=test")
        XCTAssertEqual(links.map(\.gpoDN), ["cn={31B2F340-016D-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=ward,DC=test",
                                            "CN={2141A40E-A719-4834-B816-027AEC28A1B8},CN=Policies,CN=System,DC=ward,DC=test",
                                            "cn={AAAAAAAA-A719-4834-B816-027AEC28A1B8},cn=policies,cn=system,DC=ward,DC=test"])
        XCTAssertEqual(links.map(\.enforced), [false, true, false], "3: disabled, the enforced bit ignored ([MS-GPOL] §2.2.2)")
        XCTAssertEqual(links.map(\.disabled), [false, false, true])
        XCTAssertEqual(try GPLink.parse("", container: "x"), [])
        XCTAssertEqual(try GPLink.parse(" ", container: "x"), [])
    }

    func testADamagedGPLinkNamesTheContainerAndOffset() {
        for (text, why) in [("[LDAP://cn=x;0", "not closed"), ("x[LDAP://cn=x;0]", "expected '['"), ("[LDAP://cn=x]", "no ';<options>'"),
                            ("[LDAP://cn=x;zz]", "not a number"), ("[;0]", "names no GPO")] {
            XCTAssertThrowsError(try GPLink.parse(text, container: "OU=Lab,DC=ward,DC=test"), text) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("OU=Lab,DC=ward,DC=test: gPLink: "), message)
                XCTAssertTrue(message.contains(why) && message.contains("at byte"), message)
            }
        }
    }

    static let domain = SecurityIdentifier(authority: 5, [21, 1_360_676_180, 489_354_226, 2_247_317_604])
    /// `samba-tool gpo create`'s DACL: Domain Admins, Enterprise Admins, Creator Owner (inherit
    /// only), SYSTEM full; Authenticated Users read and Apply Group Policy; ENTERPRISE DCs read.
    static let sambaGPO = Hex.bytes("010004901400000030000000000000004c00000001050000000000051500000054451a51f2f32a1d6458f3850002000001050000000000051500000054451a51f2f32a1d6458f385000200000400ec000800000000022400ff000f0001050000000000051500000054451a51f2f32a1d6458f3850002000000022400ff000f0001050000000000051500000054451a51f2f32a1d6458f38507020000000a1400ff000f0001010000000000030000000000002400ff000f0001050000000000051500000054451a51f2f32a1d6458f3850002000000021400ff000f00010100000000000512000000000214009400020001010000000000050b0000000502280000010000010000008ffdacedb3ffd111b41d00a0c968f93901010000000000050b0000000002140094000200010100000000000509000000")
    /// The same with `(OD;;CR;edacfd8f-…;;<domain>-1104)` first: Apply Group Policy denied to one computer.
    static let denyOne = Hex.bytes("010004901400000030000000000000004c00000001050000000000051500000054451a51f2f32a1d6458f3850002000001050000000000051500000054451a51f2f32a1d6458f385000200000400a000040000000600380000010000010000008ffdacedb3ffd111b41d00a0c968f93901050000000000051500000054451a51f2f32a1d6458f3855004000000022400ff000f0001050000000000051500000054451a51f2f32a1d6458f38500020000000214009400020001010000000000050b0000000502280000010000010000008ffdacedb3ffd111b41d00a0c968f93901010000000000050b000000")

    func computer(_ rid: UInt32) -> Set<SecurityIdentifier> {
        [SecurityIdentifier(authority: 5, Self.domain.subAuthorities + [rid]), SecurityIdentifier(authority: 5, Self.domain.subAuthorities + [515]),
         .everyone, .authenticatedUsers, .thisOrganization]
    }

    func testSambasGPOAclGrantsEveryAuthenticatedComputer() throws {
        let descriptor = try SecurityDescriptor.decode(Self.sambaGPO, object: "GPO")
        XCTAssertEqual(descriptor.entries.count, 7, "the inherit-only Creator Owner ACE does not apply to the GPO itself")
        XCTAssertTrue(descriptor.entries.contains { $0.objectType == SecurityDescriptor.applyGroupPolicy && $0.trustee == .authenticatedUsers })
        XCTAssertEqual(descriptor.applyGroupPolicy(for: computer(1103)), .granted)
        XCTAssertEqual(descriptor.applyGroupPolicy(for: [.everyone]), .notGranted, "Everyone alone may neither read nor apply it")
    }

    func testADenyAceFirstFiltersOneComputerOut() throws {
        let descriptor = try SecurityDescriptor.decode(Self.denyOne, object: "GPO")
        let denied = SecurityIdentifier(authority: 5, Self.domain.subAuthorities + [1104])
        XCTAssertEqual(descriptor.applyGroupPolicy(for: computer(1104)), .denied(denied))
        XCTAssertEqual(descriptor.applyGroupPolicy(for: computer(1103)), .granted)
    }

    func testSIDsRoundTripAndPrint() throws {
        let sid = SecurityIdentifier(authority: 5, Self.domain.subAuthorities + [1103])
        XCTAssertEqual(sid.description, "S-1-5-21-1360676180-489354226-2247317604-1103")
        XCTAssertEqual(try SecurityIdentifier.decode(sid.bytes, field: "objectSid").0, sid)
        XCTAssertThrowsError(try SecurityIdentifier.decode([1, 5, 0, 0], field: "objectSid")) { XCTAssertTrue("\($0)".contains("objectSid")) }
        XCTAssertThrowsError(try SecurityIdentifier.decode([2, 0, 0, 0, 0, 0, 0, 5], field: "tokenGroups")) { XCTAssertTrue("\($0)".contains("revision 2")) }
    }

    func testEveryPrefixAndCorruptionOfADescriptorIsAnErrorOrAnAnswerNeverATrap() {
        for vector in [Self.sambaGPO, Self.denyOne] {
            for length in 0..<vector.count {
                XCTAssertThrowsError(try SecurityDescriptor.decode(Array(vector.prefix(length)), object: "GPO"), "prefix \(length)") { error in
                    XCTAssertTrue("\(error)".hasPrefix("GPO: nTSecurityDescriptor: "), "\(error)")
                }
            }
            for index in vector.indices {
                var damaged = vector
                damaged[index] ^= 0xFF
                _ = try? SecurityDescriptor.decode(damaged, object: "GPO").applyGroupPolicy(for: computer(1104))
            }
        }
    }
}
