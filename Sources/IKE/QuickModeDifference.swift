import Transforms

/// Why an offered Quick Mode transform matched none of the filter action's security methods,
/// attribute by attribute: the nearest method (fewest attributes apart; the filter action's
/// order breaks ties) and each attribute that differs — protocol, cipher, key length, integrity
/// — with what was offered and what the filter action allows. (Mode and PFS are checked, and
/// named, before the algorithms are compared.)
public struct QuickModeDifference: Equatable, Sendable, CustomStringConvertible {
    public var nearest: QuickModeTransform
    public var attributes: [Phase1Difference.Attribute]

    /// The nearest of `acceptable` to `offered`; nil when the filter action has no method.
    public init?(offered: QuickModeTransform, acceptable: [QuickModeTransform]) {
        let compared = acceptable.map { ($0, Self.attributes(offered: offered, allowed: $0)) }
        guard let best = compared.min(by: { $0.1.count < $1.1.count }) else { return nil }
        nearest = best.0
        attributes = best.1
    }

    static func attributes(offered: QuickModeTransform, allowed: QuickModeTransform) -> [Phase1Difference.Attribute] {
        var list: [Phase1Difference.Attribute] = []
        func text(_ value: (some CustomStringConvertible)?) -> String { value.map { "\($0)" } ?? "none" }
        if offered.ipsecProtocol != allowed.ipsecProtocol {
            list.append(.init(name: "protocol", offered: "\(offered.ipsecProtocol)", allowed: "\(allowed.ipsecProtocol)"))
        }
        switch (offered.cipher, allowed.cipher) {
        case let (.aesCBC(offeredBits)?, .aesCBC(allowedBits)?) where offeredBits != allowedBits:
            list.append(.init(name: "key length", offered: "\(offeredBits)", allowed: "\(allowedBits)"))
        case let (offeredCipher, allowedCipher) where offeredCipher != allowedCipher:
            list.append(.init(name: "cipher", offered: text(offeredCipher), allowed: text(allowedCipher)))
        default: break
        }
        if offered.integrity != allowed.integrity {
            list.append(.init(name: "integrity", offered: text(offered.integrity), allowed: text(allowed.integrity)))
        }
        return list
    }

    /// "nearest filter action method ESP AES-CBC-256 HMAC-SHA1-96 …; differs in key length (offered 128, allowed 256)".
    public var description: String {
        "nearest filter action method \(nearest); differs in "
            + attributes.map { "\($0.name) (offered \($0.offered), allowed \($0.allowed))" }.joined(separator: ", ")
    }
}
