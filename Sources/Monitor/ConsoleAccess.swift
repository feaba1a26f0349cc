import Foundation

/// Who may use the console, decided per request with no I/O: a bearer token (header or the
/// session cookie `/login` sets), one per role; changes need the administrator's token, a
/// same-origin request, and the CSRF token the pages carry.
///
/// The tokens are random and new at every start of wardd; they live in root-only files beside
/// the control socket (`ConsoleCredentials`), so the console is exactly as private as the
/// control socket. No CORS header is ever sent: no other origin may read an answer.
public struct ConsoleAccess: Sendable {
    public enum Role: String, Sendable, Equatable {
        /// Sees and changes everything the console offers (never a secret: no page holds one).
        case administrator
        /// Sees the monitor, policy, RSoP and metrics; changes nothing.
        case readOnly = "read-only"
    }

    /// What becomes of a request.
    public enum Decision: Sendable, Equatable {
        case allowed(Role)
        /// 401: no token, or a token that is not one of ours.
        case unauthenticated
        /// 403: a valid token that may not do this, or a change without same-origin proof.
        case forbidden(String)
    }

    public let administratorToken: String
    public let readOnlyToken: String
    /// Sent in every page for the forms; never accepted as a bearer token.
    public let administratorCSRF: String
    public static let cookieName = "ward_console"
    public static let csrfField = "csrf"

    public init(administratorToken: String, readOnlyToken: String, administratorCSRF: String) {
        self.administratorToken = administratorToken
        self.readOnlyToken = readOnlyToken
        self.administratorCSRF = administratorCSRF
    }

    /// New random tokens: 32 bytes each from the system's CSPRNG, as hex.
    public static func random() -> ConsoleAccess {
        var generator = SystemRandomNumberGenerator()
        func token() -> String { (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined() }
        return ConsoleAccess(administratorToken: token(), readOnlyToken: token(), administratorCSRF: token())
    }

    /// The role a presented token gives (compared in constant time).
    public func role(of token: String?) -> Role? {
        guard let token, !token.isEmpty else { return nil }
        if Self.same(token, administratorToken) { return .administrator }
        if Self.same(token, readOnlyToken) { return .readOnly }
        return nil
    }

    /// The request's headers as the decision reads them.
    public struct Request: Sendable {
        public var method: String
        public var authorization: String?
        public var cookie: String?
        /// `token=` of the query, honoured on `/login` only (it sets the cookie and redirects).
        public var queryToken: String?
        public var isLogin: Bool
        public var origin: String?
        public var secFetchSite: String?
        /// This server's own origin (`https://host:port`), as the Host header gives it.
        public var ownOrigin: String
        public var csrf: String?

        public init(method: String, authorization: String? = nil, cookie: String? = nil, queryToken: String? = nil, isLogin: Bool = false,
                    origin: String? = nil, secFetchSite: String? = nil, ownOrigin: String, csrf: String? = nil) {
            self.method = method
            self.authorization = authorization
            self.cookie = cookie
            self.queryToken = queryToken
            self.isLogin = isLogin
            self.origin = origin
            self.secFetchSite = secFetchSite
            self.ownOrigin = ownOrigin
            self.csrf = csrf
        }
    }

    /// The token a request presents: `Authorization: Bearer`, else the session cookie, else
    /// (on `/login` only) the query's `token`.
    public func presentedToken(_ request: Request) -> String? {
        if let header = request.authorization, header.lowercased().hasPrefix("bearer ") {
            return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        if let cookie = request.cookie.flatMap(Self.cookieValue) { return cookie }
        return request.isLogin ? request.queryToken : nil
    }

    /// Reads and looks: any role. Changes (POST): the administrator, from this origin, with the
    /// CSRF token. Other methods are refused before they reach a route.
    public func decide(_ request: Request) -> Decision {
        guard let role = role(of: presentedToken(request)) else { return .unauthenticated }
        switch request.method.uppercased() {
        case "GET", "HEAD": return .allowed(role)
        case "POST":
            guard role == .administrator else { return .forbidden("the read-only role cannot change anything") }
            if let site = request.secFetchSite?.lowercased(), site != "same-origin", site != "none" {
                return .forbidden("a change must come from the console's own pages (Sec-Fetch-Site: \(site))")
            }
            if let origin = request.origin, origin.lowercased() != request.ownOrigin.lowercased() {
                return .forbidden("a change must come from the console's own origin (Origin: \(origin))")
            }
            guard let csrf = request.csrf, Self.same(csrf, administratorCSRF) else {
                return .forbidden("the form's CSRF token is missing or wrong: reload the page")
            }
            return .allowed(role)
        default:
            return .forbidden("method \(request.method) is not offered")
        }
    }

    /// `ward_console=…` out of a Cookie header.
    static func cookieValue(_ header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(cookieName + "=") { return String(pair.dropFirst(cookieName.count + 1)) }
        }
        return nil
    }

    /// Equal strings, in time that depends only on their lengths.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
