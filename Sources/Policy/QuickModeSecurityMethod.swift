import Foundation

/// One quick mode (IKE phase 2) offer: which AH and/or ESP transforms protect the traffic and
/// how long the resulting SA lives.
///
/// netsh syntax (reference a.8): `ESP[ConfAlg,AuthAlg]`, `AH[HashAlg]` or
/// `AH[HashAlg]+ESP[ConfAlg,AuthAlg]`, optionally followed by `:Nk`, `:Ns` or `:Nk/Ms`.
public struct QuickModeSecurityMethod: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The ESP part: encryption and integrity (either may be none, not both).
    public struct ESPTransform: Hashable, Codable, Sendable {
        public var cipher: ESPCipher
        /// nil means `None` (confidentiality only, or an AEAD cipher).
        public var integrity: IntegrityAlgorithm?

        public init(cipher: ESPCipher, integrity: IntegrityAlgorithm?) {
            self.cipher = cipher
            self.integrity = integrity
        }
    }

    /// AH integrity algorithm, when AH is part of the offer.
    public var ah: IntegrityAlgorithm?
    /// ESP transform, when ESP is part of the offer.
    public var esp: ESPTransform?
    /// SA lifetime in kilobytes (whichever of KB and seconds runs out first ends the SA).
    public var lifetimeKilobytes: Int
    /// SA lifetime in seconds.
    public var lifetimeSeconds: Int

    /// 100 000 KB and 3 600 s (reference d.5).
    public static let defaultLifetimeKilobytes = 100_000
    public static let defaultLifetimeSeconds = 3_600
    /// Accepted lifetime bounds (reference g.12).
    public static let lifetimeSecondsRange = 300...172_800
    public static let lifetimeKilobytesRange = 20_480...2_147_483_647

    public init(ah: IntegrityAlgorithm? = nil, esp: ESPTransform? = nil,
                lifetimeKilobytes: Int = defaultLifetimeKilobytes,
                lifetimeSeconds: Int = defaultLifetimeSeconds) throws(ValidationError) {
        self.ah = ah
        self.esp = esp
        self.lifetimeKilobytes = lifetimeKilobytes
        self.lifetimeSeconds = lifetimeSeconds
        try validate()
    }

    /// Checks the combination and lifetimes; the error names `qmsecmethods`.
    public func validate() throws(ValidationError) {
        if ah == nil && esp == nil {
            throw ValidationError(field: "qmsecmethods", "a method needs AH, ESP or both")
        }
        if let esp {
            if esp.cipher == .none && esp.integrity == nil {
                throw ValidationError(field: "qmsecmethods", "ESP[None,None] protects nothing; give an encryption or an integrity algorithm")
            }
            if esp.cipher.isAEAD && esp.integrity != nil {
                throw ValidationError(field: "qmsecmethods",
                                      "\(esp.cipher.rawValue) is an AEAD cipher with its own integrity check; write ESP[\(esp.cipher.rawValue),None]")
            }
        }
        if !Self.lifetimeSecondsRange.contains(lifetimeSeconds) {
            throw ValidationError(field: "qmsecmethods",
                                  "lifetime \(lifetimeSeconds)s is out of range; allowed \(Self.lifetimeSecondsRange.lowerBound)-\(Self.lifetimeSecondsRange.upperBound) seconds")
        }
        if !Self.lifetimeKilobytesRange.contains(lifetimeKilobytes) {
            throw ValidationError(field: "qmsecmethods",
                                  "lifetime \(lifetimeKilobytes)k is out of range; allowed \(Self.lifetimeKilobytesRange.lowerBound)-\(Self.lifetimeKilobytesRange.upperBound) kilobytes")
        }
    }

    /// Parses one method such as `AH[MD5]+ESP[DES,SHA1]:30000k/480s`.
    public init(netsh text: String) throws(ValidationError) {
        let field = "qmsecmethods"
        var body = Substring(text)
        var kilobytes = Self.defaultLifetimeKilobytes
        var seconds = Self.defaultLifetimeSeconds
        if let colon = body.firstIndex(of: ":") {
            let lifetime = body[body.index(after: colon)...]
            body = body[..<colon]
            let parts = lifetime.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count) else {
                throw ValidationError(field: field, "lifetime '\(lifetime)' in '\(text)' is not Nk, Ns or Nk/Ns")
            }
            var sawK = false, sawS = false
            for part in parts {
                let unit = part.last.map { Character($0.lowercased()) }
                guard let unit, unit == "k" || unit == "s", let value = Int(part.dropLast()),
                      part.dropLast().allSatisfy(\.isNumber) else {
                    throw ValidationError(field: field, "lifetime '\(part)' in '\(text)' is not a number followed by k (kilobytes) or s (seconds)")
                }
                if unit == "k" {
                    guard !sawK, !sawS else { throw ValidationError(field: field, "lifetime in '\(text)' must be written Nk/Ns (kilobytes first, each once)") }
                    sawK = true
                    kilobytes = value
                } else {
                    guard !sawS else { throw ValidationError(field: field, "lifetime in '\(text)' gives seconds twice") }
                    sawS = true
                    seconds = value
                }
            }
        }
        var ah: IntegrityAlgorithm?
        var esp: ESPTransform?
        let transforms = body.split(separator: "+", omittingEmptySubsequences: false)
        guard (1...2).contains(transforms.count) else {
            throw ValidationError(field: field, "'\(text)' is not ESP[..], AH[..] or AH[..]+ESP[..]")
        }
        for transform in transforms {
            guard let open = transform.firstIndex(of: "["), transform.last == "]" else {
                throw ValidationError(field: field, "'\(transform)' in '\(text)' is not ESP[ConfAlg,AuthAlg] or AH[HashAlg]")
            }
            let kind = transform[..<open].uppercased()
            let arguments = transform[transform.index(after: open)..<transform.index(before: transform.endIndex)]
                .split(separator: ",", omittingEmptySubsequences: false)
                .map { String($0.trimmingBlanks) }
            switch kind {
            case "AH":
                guard ah == nil, esp == nil else {
                    throw ValidationError(field: field, "'\(text)': AH must come first and only once (AH[..]+ESP[..])")
                }
                guard arguments.count == 1, let hash = IntegrityAlgorithm(netsh: arguments[0]) else {
                    throw ValidationError(field: field, "'\(transform)' in '\(text)': AH takes one hash algorithm; allowed: "
                        + IntegrityAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))
                }
                ah = hash
            case "ESP":
                guard esp == nil else { throw ValidationError(field: field, "'\(text)' gives ESP twice") }
                guard arguments.count == 2 else {
                    throw ValidationError(field: field, "'\(transform)' in '\(text)': ESP takes [ConfAlg,AuthAlg]")
                }
                guard let cipher = ESPCipher(netsh: arguments[0]) else {
                    throw ValidationError(field: field, "'\(arguments[0])' in '\(text)' is not an ESP encryption algorithm; allowed: "
                        + ESPCipher.allCases.map(\.rawValue).joined(separator: ", "))
                }
                var integrity: IntegrityAlgorithm?
                if arguments[1].caseInsensitiveCompare("None") != .orderedSame {
                    guard let algorithm = IntegrityAlgorithm(netsh: arguments[1]) else {
                        throw ValidationError(field: field, "'\(arguments[1])' in '\(text)' is not an ESP integrity algorithm; allowed: None, "
                            + IntegrityAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    integrity = algorithm
                }
                esp = ESPTransform(cipher: cipher, integrity: integrity)
            default:
                throw ValidationError(field: field, "'\(transform)' in '\(text)': expected ESP or AH, found '\(transform[..<open])'")
            }
        }
        try self.init(ah: ah, esp: esp, lifetimeKilobytes: kilobytes, lifetimeSeconds: seconds)
    }

    /// Parses a space-separated, preference-ordered list (at least one, no duplicates).
    public static func parseList(_ text: String) throws(ValidationError) -> [QuickModeSecurityMethod] {
        let items = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard !items.isEmpty else { throw ValidationError(field: "qmsecmethods", "must list at least one method") }
        var methods: [QuickModeSecurityMethod] = []
        for item in items {
            let method = try QuickModeSecurityMethod(netsh: String(item))
            if methods.contains(method) {
                throw ValidationError(field: "qmsecmethods", "'\(item)' is listed twice")
            }
            methods.append(method)
        }
        return methods
    }

    /// The transforms without lifetime, e.g. `AH[SHA1]+ESP[3DES,SHA1]`.
    public var transformText: String {
        var parts: [String] = []
        if let ah { parts.append("AH[\(ah.rawValue)]") }
        if let esp { parts.append("ESP[\(esp.cipher.rawValue),\(esp.integrity?.rawValue ?? "None")]") }
        return parts.joined(separator: "+")
    }

    /// netsh spelling with the lifetime always written out, which `parseList` reads back.
    public var description: String { "\(transformText):\(lifetimeKilobytes)k/\(lifetimeSeconds)s" }
}

extension QuickModeSecurityMethod {
    /// Builds a method from constants known to be valid (predefined objects).
    static func known(ah: IntegrityAlgorithm? = nil, _ cipher: ESPCipher? = nil, _ integrity: IntegrityAlgorithm? = nil) -> QuickModeSecurityMethod {
        let esp = cipher.map { ESPTransform(cipher: $0, integrity: integrity) }
        do { return try QuickModeSecurityMethod(ah: ah, esp: esp) } catch { preconditionFailure("\(error)") }
    }

    /// Require Security's list (reference d.2), also the default for a new negotiate action.
    public static let requireSecurityDefaults: [QuickModeSecurityMethod] = [
        .known(.tripleDES, .sha1), .known(.tripleDES, .md5), .known(.des, .sha1), .known(.des, .md5),
    ]

    /// Request Security (Optional)'s list: the four ESP offers, then AH-only (reference d.2).
    public static let requestSecurityDefaults: [QuickModeSecurityMethod] =
        requireSecurityDefaults + [.known(ah: .sha1), .known(ah: .md5)]
}
