import CGSSAPI
import IKE
@testable import Kerberos
import Packet
import XCTest

/// The MIT krb5 side that runs without a KDC: krb5.conf reading, status codes in words, the
/// keytab's principal and the checks on the keytab file. The KDC exchanges are
/// Tests/Domain/kerberos-ike.sh's.
final class KerberosPlatformTests: XCTestCase {
    func testKrb5ConfNamesTheDefaultRealmsKDCs() {
        let configuration = Krb5Configuration("""
            [libdefaults]
              default_realm = WARD.TEST   # the lab
            [realms]
              WARD.TEST = {
                kdc = 10.77.51.1
                kdc = dc2.ward.test:88
                admin_server = dc1.ward.test
              }
              OTHER.TEST = {
                kdc = 10.77.99.1
              }
            """)
        XCTAssertEqual(configuration.defaultRealm, "WARD.TEST")
        XCTAssertEqual(configuration.kdcs(of: "WARD.TEST"), ["10.77.51.1", "dc2.ward.test:88"])
        XCTAssertEqual(Krb5Configuration.hostPart("dc2.ward.test:88"), "dc2.ward.test")
        XCTAssertEqual(Krb5Configuration.hostPart("[fd77::1]:88"), "fd77::1")
        XCTAssertEqual(Krb5Configuration.hostPart("fd77::1"), "fd77::1")
        XCTAssertEqual(KDCLocator.addresses(of: "10.77.51.1"), [IPAddress("10.77.51.1")!])
    }

    func testKerberosStatusCodesAreSortedIntoReasons() {
        XCTAssertEqual(GSSStatus.reason(major: 0, minor: OM_uint32(bitPattern: Int32(KRB5KRB_AP_ERR_SKEW))), .clockSkew)
        XCTAssertEqual(GSSStatus.reason(major: 0, minor: OM_uint32(bitPattern: Int32(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN))), .unknownPrincipal)
        XCTAssertEqual(GSSStatus.reason(major: 0, minor: OM_uint32(bitPattern: Int32(KRB5_KDC_UNREACH))), .kdcUnreachable)
        XCTAssertEqual(GSSStatus.reason(major: 0, minor: OM_uint32(bitPattern: Int32(KRB5KRB_AP_ERR_TKT_EXPIRED))), .expiredTicket)
        XCTAssertEqual(GSSStatus.reason(major: 0, minor: OM_uint32(bitPattern: Int32(KRB5_KT_KVNONOTFOUND))), .wrongKey)
        XCTAssertEqual(GSSStatus.reason(major: WARD_GSS_S_NO_CRED, minor: 0), .noCredentials)
        let failure = GSSStatus.failure("gss_accept_sec_context", WARD_GSS_S_DEFECTIVE_TOKEN, OM_uint32(bitPattern: Int32(KRB5KRB_AP_ERR_SKEW)))
        XCTAssertEqual(failure.reason, .clockSkew)
        XCTAssertTrue(failure.description.hasPrefix("clock skew: "), failure.description)
        XCTAssertTrue(failure.description.contains("minor -1765328347"), failure.description)
    }

    func testAKeytabOthersCanReadOrThatIsMissingIsRefusedByName() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ward-keytab-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = GSSAPIKerberos(keytab: directory.appendingPathComponent("none").path)
        XCTAssertThrowsError(try missing.checkKeytab()) { XCTAssertTrue("\($0)".contains("cannot be read"), "\($0)") }
        let open = directory.appendingPathComponent("open.keytab").path
        FileManager.default.createFile(atPath: open, contents: Data([5, 2]), attributes: [.posixPermissions: 0o644])
        XCTAssertThrowsError(try GSSAPIKerberos(keytab: open).checkKeytab()) { XCTAssertTrue("\($0)".contains("readable by others"), "\($0)") }
        // An empty keytab (the version header only) names no principal.
        let empty = directory.appendingPathComponent("empty.keytab").path
        FileManager.default.createFile(atPath: empty, contents: Data([5, 2]), attributes: [.posixPermissions: 0o600])
        XCTAssertThrowsError(try GSSAPIKerberos(keytab: empty).localName()) { XCTAssertTrue("\($0)".contains("holds no key"), "\($0)") }
        if case .failed(let failure) = GSSAPIKerberos(keytab: open).initiatorWaiting(exchange: 1) {
            XCTAssertEqual(failure.reason, .noCredentials)
        } else {
            XCTFail("an unusable keytab must fail the initiator")
        }
    }
}

extension GSSAPIKerberos {
    /// The initiator's result for `exchange`, waiting (in the test only) for its thread.
    func initiatorWaiting(exchange: UInt64) -> GSSInitiation {
        for _ in 0..<200 {
            let result = initiator(exchange: exchange, target: "HOST2$@WARD.TEST", peer: IPAddress("10.77.0.2")!)
            if case .pending = result { usleep(10_000); continue }
            return result
        }
        return .pending
    }
}
