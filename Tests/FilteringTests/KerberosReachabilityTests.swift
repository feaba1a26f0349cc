import Filtering
import Packet
import Policy
import XCTest

/// The seed's warning: a rule relying on Kerberos while the policy keeps the host from its
/// KDCs in the clear.
final class KerberosReachabilityTests: XCTestCase {
    let kdc = address("10.77.0.88")

    func testSecuringEverythingHidesTheKDCAndSaysWhichFilterDoes() throws {
        var b = PolicyBuilder()
        b.rule("all", [Filter(source: .me, destination: .any)], action: .negotiate)  // Kerberos by default
        var decider = try decider([b.snapshot()], exemptions: try Exemptions(level: 3))
        XCTAssertTrue(KerberosReachability.reliesOnKerberos(decider.table))
        let problems = KerberosReachability.problems(&decider, local: [me4, me6], kdcs: [kdc])
        XCTAssertEqual(problems.count, 1)
        XCTAssertTrue(problems[0].contains("the KDC 10.77.0.88 cannot be reached in the clear (UDP port 88 out: negotiate"), problems[0])
    }

    func testAPermitFilterForTheDomainControllerOrTheKerberosExemptionLetsItThrough() throws {
        var b = PolicyBuilder()
        b.rule("all", [Filter(source: .me, destination: .any)], action: .negotiate)
        b.rule("dc", [Filter(source: .me, destination: subnet("10.77.0.88/32"))], action: .permit)
        var permitted = try decider([b.snapshot()], exemptions: try Exemptions(level: 3))
        XCTAssertEqual(KerberosReachability.problems(&permitted, local: [me4], kdcs: [kdc]), [])
        var only = PolicyBuilder()
        only.rule("all", [Filter(source: .me, destination: .any)], action: .negotiate)
        var exempt = try decider([only.snapshot()], exemptions: try Exemptions(level: 0))  // Kerberos exempt (reference c.7)
        XCTAssertEqual(KerberosReachability.problems(&exempt, local: [me4], kdcs: [kdc]), [])
    }

    func testARuleWithoutKerberosNeedsNoKDC() throws {
        var b = PolicyBuilder()
        b.rule("all", [Filter(source: .me, destination: .any)], action: .negotiate)
        b.rules[0].authenticationMethods = [.preSharedKey("x")]
        XCTAssertFalse(KerberosReachability.reliesOnKerberos(try decider([b.snapshot()]).table))
    }
}
