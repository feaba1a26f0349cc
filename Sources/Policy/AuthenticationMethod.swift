import Foundation

/// How IKE main mode proves the peer's identity (reference a.7). A rule holds an ordered list;
/// the first method both peers share is the one used.
public enum AuthenticationMethod: Hashable, Codable, Sendable {
    /// Kerberos V5 (domain members).
    case kerberos
    /// A preshared key. Stored as given; never printed by `show` or written to logs.
    case preSharedKey(String)
    /// A certificate issued under `rootCA` (an X.500 distinguished name).
    case certificate(RootCA)

    /// A trusted root CA and its two per-method options.
    public struct RootCA: Hashable, Codable, Sendable {
        /// Distinguished name of the root CA, e.g. `CN=Ward Lab Root, O=Example`.
        public var name: String
        /// `certmap:yes`: map the peer's certificate to a computer account (domain members only).
        public var certificateMapping: Bool
        /// `excludecaname:yes`: leave the CA name out of the certificate request payload.
        public var excludeCAName: Bool

        public init(name: String, certificateMapping: Bool = false, excludeCAName: Bool = false) {
            self.name = name
            self.certificateMapping = certificateMapping
            self.excludeCAName = excludeCAName
        }
    }

    /// The default list when a rule names no method (reference a.7).
    public static let defaults: [AuthenticationMethod] = [.kerberos]

    /// Parses a `psk=` value.
    public static func preSharedKey(netsh text: String) throws(ValidationError) -> AuthenticationMethod {
        if text.isEmpty { throw ValidationError(field: "psk", "must not be empty") }
        if text.count > 1024 { throw ValidationError(field: "psk", "is longer than 1024 characters") }
        return .preSharedKey(text)
    }

    /// Parses a `rootca=` value: `<CA name> [certmap:yes|no] [excludecaname:yes|no]`.
    ///
    /// Inside the quoted value netsh writes an embedded double quote as `\'` (reference 0.3).
    public static func rootCA(netsh text: String) throws(ValidationError) -> AuthenticationMethod {
        var words = text.replacingOccurrences(of: "\\'", with: "\"")
            .split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var certificateMapping: Bool?
        var excludeCAName: Bool?
        while let last = words.last, let colon = last.firstIndex(of: ":") {
            let key = last[..<colon].lowercased()
            let value = String(last[last.index(after: colon)...])
            guard key == "certmap" || key == "excludecaname" else { break }
            guard let flag = NetshBoolean.parse(value) else {
                throw ValidationError(field: "rootca", "\(key):\(value) must be \(key):yes or \(key):no")
            }
            if key == "certmap" {
                guard certificateMapping == nil else { throw ValidationError(field: "rootca", "certmap is given twice") }
                certificateMapping = flag
            } else {
                guard excludeCAName == nil else { throw ValidationError(field: "rootca", "excludecaname is given twice") }
                excludeCAName = flag
            }
            words.removeLast()
        }
        var name = words.joined(separator: " ")
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
        if name.isEmpty {
            throw ValidationError(field: "rootca", "needs the root CA's distinguished name, e.g. rootca=\"CN=Lab Root certmap:no excludecaname:no\"")
        }
        return .certificate(RootCA(name: name, certificateMapping: certificateMapping ?? false,
                                   excludeCAName: excludeCAName ?? false))
    }
}

/// netsh booleans: `yes`/`no`, also `y`/`n`, case-insensitive (reference 0.3).
public enum NetshBoolean {
    public static func parse(_ text: some StringProtocol) -> Bool? {
        switch text.lowercased() {
        case "yes", "y": true
        case "no", "n": false
        default: nil
        }
    }

    public static func text(_ value: Bool) -> String { value ? "yes" : "no" }
}
