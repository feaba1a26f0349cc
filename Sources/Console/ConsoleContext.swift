import Foundation
import HTTPTypes
import Hummingbird
import Monitor

/// Per request: the role the access check granted and, for a POST, the form's fields (read
/// once by the check, for the CSRF token, and kept for the route).
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var role = ConsoleAccess.Role.readOnly
    var form: [String: String] = [:]

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Forms are small: names of rules and policies.
    static let maximumFormBytes = 16 * 1024
}

/// Every request passes here first: security headers on every answer, then `ConsoleAccess`
/// decides — 401 without a valid token, 403 for what the role or the request's origin may
/// not do. `/login?token=` moves a valid token into an HttpOnly, SameSite=Strict cookie.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let access: ConsoleAccess
    let scheme: String

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response) async throws -> Response {
        var response = try await decide(request, context: context, next: next)
        // No CORS header, ever: other origins may not read an answer.
        response.headers[.contentSecurityPolicy] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.cacheControl] = "no-store"
        // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts.
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        if scheme == "https" { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }

    private func decide(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        var form: [String: String] = [:]
        if request.method == .post {
            let body = try await request.collectBody(upTo: ConsoleContext.maximumFormBytes)
            form = Self.formFields(String(buffer: body))
        }
        let isLogin = request.uri.path == "/login"
        let accessRequest = ConsoleAccess.Request(
            method: request.method.rawValue, authorization: request.headers[.authorization], cookie: request.headers[.cookie],
            queryToken: request.uri.queryParameters["token"].map(String.init), isLogin: isLogin,
            origin: request.headers[.origin], secFetchSite: request.headers[HTTPField.Name("Sec-Fetch-Site")!],
            ownOrigin: "\(scheme)://\(request.head.authority ?? "")", csrf: form[ConsoleAccess.csrfField])
        switch access.decide(accessRequest) {
        case .unauthenticated:
            var response = Self.text(.unauthorized, "401 Unauthorized: present the console token (ward console url prints a login URL).\n")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"ward\""
            return response
        case .forbidden(let why):
            return Self.text(.forbidden, "403 Forbidden: \(why)\n")
        case .allowed(let role):
            context.role = role
            context.form = form
            if isLogin, let token = access.presentedToken(accessRequest) {
                var response = Response(status: .seeOther, headers: [.location: "/"])
                response.headers[.setCookie] = "\(ConsoleAccess.cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
                    + (scheme == "https" ? "; Secure" : "")
                return response
            }
            return try await next(request, context)
        }
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `application/x-www-form-urlencoded` fields (the last of a repeated name wins).
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? { text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = parts.first.flatMap(decode) else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }
}
