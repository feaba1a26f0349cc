import Monitor
import XCTest

final class ConsoleAccessTests: XCTestCase {
    let access = ConsoleAccess(administratorToken: "a".padding(toLength: 64, withPad: "1", startingAt: 0),
                               readOnlyToken: "b".padding(toLength: 64, withPad: "2", startingAt: 0),
                               administratorCSRF: "c".padding(toLength: 64, withPad: "3", startingAt: 0))
    var admin: String { access.administratorToken }
    var viewer: String { access.readOnlyToken }
    let origin = "http://127.0.0.1:8843"

    func request(_ method: String = "GET", bearer: String? = nil, cookie: String? = nil, query: String? = nil, login: Bool = false,
                 origin requestOrigin: String? = nil, site: String? = nil, csrf: String? = nil) -> ConsoleAccess.Request {
        ConsoleAccess.Request(method: method, authorization: bearer.map { "Bearer " + $0 }, cookie: cookie.map { "theme=dark; ward_console=" + $0 },
                              queryToken: query, isLogin: login, origin: requestOrigin, secFetchSite: site, ownOrigin: origin, csrf: csrf)
    }

    func testNoTokenOrAForeignTokenIsUnauthenticated() {
        XCTAssertEqual(access.decide(request()), .unauthenticated)
        XCTAssertEqual(access.decide(request(bearer: String(admin.dropLast()) + "0")), .unauthenticated)
        XCTAssertEqual(access.decide(request(bearer: access.administratorCSRF)), .unauthenticated, "the CSRF token is no bearer token")
        XCTAssertEqual(access.decide(request(cookie: "")), .unauthenticated)
        XCTAssertEqual(access.decide(request(query: admin)), .unauthenticated, "a query token counts on /login only")
    }

    func testEachTokenGivesItsRole() {
        XCTAssertEqual(access.decide(request(bearer: admin)), .allowed(.administrator))
        XCTAssertEqual(access.decide(request(cookie: viewer)), .allowed(.readOnly))
        XCTAssertEqual(access.decide(request(query: viewer, login: true)), .allowed(.readOnly))
        XCTAssertEqual(access.presentedToken(request(cookie: admin)), admin)
    }

    func testChangesNeedTheAdministratorTheOriginAndTheCSRFToken() {
        let csrf = access.administratorCSRF
        XCTAssertEqual(access.decide(request("POST", cookie: admin, origin: origin, site: "same-origin", csrf: csrf)), .allowed(.administrator))
        XCTAssertEqual(access.decide(request("POST", cookie: admin, csrf: csrf)), .allowed(.administrator), "curl sends neither header")
        for (name, forged) in [("no CSRF", request("POST", cookie: admin, origin: origin)),
                               ("wrong CSRF", request("POST", cookie: admin, csrf: String(csrf.dropLast()) + "0")),
                               ("other origin", request("POST", cookie: admin, origin: "http://evil.example", csrf: csrf)),
                               ("null origin", request("POST", cookie: admin, origin: "null", csrf: csrf)),
                               ("cross-site", request("POST", cookie: admin, site: "cross-site", csrf: csrf)),
                               ("read-only", request("POST", cookie: viewer, origin: origin, csrf: csrf))] {
            guard case .forbidden = access.decide(forged) else { return XCTFail("\(name) was not refused") }
        }
        guard case .forbidden(let why) = access.decide(request("PUT", bearer: admin)) else { return XCTFail("PUT allowed") }
        XCTAssertTrue(why.contains("PUT"))
    }

    func testRandomTokensAreDistinct64HexDigits() {
        let one = ConsoleAccess.random(), two = ConsoleAccess.random()
        for token in [one.administratorToken, one.readOnlyToken, one.administratorCSRF] {
            XCTAssertEqual(token.count, 64)
            XCTAssertTrue(token.allSatisfy(\.isHexDigit))
        }
        XCTAssertEqual(Set([one.administratorToken, one.readOnlyToken, one.administratorCSRF, two.administratorToken]).count, 4)
    }
}
