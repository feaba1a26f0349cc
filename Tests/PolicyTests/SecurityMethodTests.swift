import Policy
import XCTest

final class SecurityMethodTests: XCTestCase {
    func testMainModeMethodsParseInOrder() throws {
        let methods = try MainModeSecurityMethod.parseList("3DES-SHA1-2 des-md5-1 AES256-SHA256-DHGroup14 3DES-SHA1-3")
        XCTAssertEqual(methods.map(\.description), ["3DES-SHA1-2", "DES-MD5-1", "AES256-SHA256-3", "3DES-SHA1-3"])
        XCTAssertEqual(methods[2].group, .modp2048)
        XCTAssertEqual(methods[0].group.displayName, "Medium (2)")
    }

    func testMainModeErrorsNameTheBadPart() {
        func message(_ text: String) -> String {
            do { _ = try MainModeSecurityMethod.parseList(text); return "" } catch { return error.description }
        }
        XCTAssertTrue(message("3DES-SHA1").contains("ConfAlg-HashAlg-GroupNum"))
        XCTAssertTrue(message("RC4-SHA1-2").contains("'RC4'"))
        XCTAssertTrue(message("3DES-SHA3-2").contains("'SHA3'"))
        XCTAssertTrue(message("3DES-SHA1-5").contains("Diffie-Hellman"))
        XCTAssertTrue(message("3DES-SHA1-2 3DES-SHA1-2").contains("twice"))
        XCTAssertTrue(message("").contains("at least one"))
        XCTAssertTrue(message("x").hasPrefix("mmsecmethods:"))
    }

    func testQuickModeMethodsParseEveryForm() throws {
        let methods = try QuickModeSecurityMethod.parseList(
            "ESP[3DES,SHA1]:100000k/3600s AH[MD5]:204800k/300s AH[SHA1]+ESP[DES,None]:30000k/480s ESP[None,SHA256] ESP[AES-GCM128,None]:7200s ESP[aesgcm256,none]:50000k")
        XCTAssertEqual(methods.count, 6)
        XCTAssertEqual(methods[0].esp?.cipher, .tripleDES)
        XCTAssertEqual(methods[0].esp?.integrity, .sha1)
        XCTAssertEqual(methods[1].ah, .md5)
        XCTAssertNil(methods[1].esp)
        XCTAssertEqual(methods[1].lifetimeSeconds, 300)
        XCTAssertEqual(methods[1].lifetimeKilobytes, 204_800)
        XCTAssertEqual(methods[2].description, "AH[SHA1]+ESP[DES,None]:30000k/480s")
        XCTAssertEqual(methods[3].lifetimeSeconds, 3600, "missing lifetime uses the default")
        XCTAssertEqual(methods[3].lifetimeKilobytes, 100_000)
        XCTAssertEqual(methods[4].lifetimeSeconds, 7200)
        XCTAssertEqual(methods[4].lifetimeKilobytes, 100_000, "only seconds given: KB keeps its default")
        XCTAssertEqual(methods[5].esp?.cipher, .aesGCM256)
        XCTAssertEqual(methods[5].lifetimeKilobytes, 50_000)
        // Descriptions parse back to the same methods.
        XCTAssertEqual(try QuickModeSecurityMethod.parseList(methods.map(\.description).joined(separator: " ")), methods)
    }

    func testQuickModeErrors() {
        func message(_ text: String) -> String {
            do { _ = try QuickModeSecurityMethod.parseList(text); return "" } catch { return error.description }
        }
        XCTAssertTrue(message("ESP[None,None]").contains("protects nothing"))
        XCTAssertTrue(message("ESP[AES-GCM128,SHA1]").contains("AEAD"))
        XCTAssertTrue(message("ESP[3DES,SHA1]:100k").contains("out of range"))
        XCTAssertTrue(message("ESP[3DES,SHA1]:10s").contains("300-172800"))
        XCTAssertTrue(message("ESP[3DES,SHA1]:3600s/100000k").contains("kilobytes first"))
        XCTAssertTrue(message("ESP[3DES,SHA1]:abc").contains("'abc'"))
        XCTAssertTrue(message("ESP[RC4,SHA1]").contains("'RC4'"))
        XCTAssertTrue(message("ESP[3DES]").contains("[ConfAlg,AuthAlg]"))
        XCTAssertTrue(message("ESP[3DES,SHA1]+AH[MD5]").contains("AH must come first"))
        XCTAssertTrue(message("GRE[MD5]").contains("expected ESP or AH"))
        XCTAssertTrue(message("ESP[3DES,SHA1").contains("not ESP[ConfAlg,AuthAlg]"))
        XCTAssertTrue(message("AH[MD5] AH[MD5]").contains("twice"))
    }

    func testRootCAParsesOptionsAndEmbeddedQuotes() throws {
        let method = try AuthenticationMethod.rootCA(netsh: "CN=Lab Root, O=\\'Ward\\' certmap:yes excludecaname:no")
        XCTAssertEqual(method, .certificate(.init(name: "CN=Lab Root, O=\"Ward\"", certificateMapping: true, excludeCAName: false)))
        XCTAssertEqual(try AuthenticationMethod.rootCA(netsh: "CN=Solo"), .certificate(.init(name: "CN=Solo")))
        XCTAssertThrowsError(try AuthenticationMethod.rootCA(netsh: "certmap:yes"))
        XCTAssertThrowsError(try AuthenticationMethod.rootCA(netsh: "CN=x certmap:maybe")) { error in
            XCTAssertTrue("\(error)".contains("certmap:yes or certmap:no"))
        }
        XCTAssertThrowsError(try AuthenticationMethod.preSharedKey(netsh: ""))
    }
}
