import Transforms

/// Why an offered Main Mode transform matched none of the policy's methods, attribute by
/// attribute: the policy method nearest to the offer (fewest attributes apart; the policy's
/// order breaks ties) and each attribute that differs — cipher, key length, hash, Diffie-Hellman
/// group, authentication method — with what was offered and what the policy allows.
/// Administrators read this first when a negotiation fails on proposals.
public struct Phase1Difference: Equatable, Sendable, CustomStringConvertible {
    /// One attribute that differs.
    public struct Attribute: Equatable, Sendable {
        /// "cipher", "key length", "hash", "group", "authentication".
        public var name: String
        public var offered: String
        public var allowed: String
    }

    /// The policy method compared with the offer.
    public var nearest: Phase1Transform
    public var attributes: [Attribute]

    /// The nearest of `acceptable` to `offered`; nil when the policy has no method at all.
    public init?(offered: Phase1Transform, acceptable: [Phase1Transform]) {
        let compared = acceptable.map { ($0, Self.attributes(offered: offered, allowed: $0)) }
        guard let best = compared.min(by: { $0.1.count < $1.1.count }) else { return nil }
        nearest = best.0
        attributes = best.1
    }

    static func attributes(offered: Phase1Transform, allowed: Phase1Transform) -> [Attribute] {
        var list: [Attribute] = []
        switch (offered.cipher, allowed.cipher) {
        case let (.aesCBC(offeredBits), .aesCBC(allowedBits)) where offeredBits != allowedBits:
            list.append(Attribute(name: "key length", offered: "\(offeredBits)", allowed: "\(allowedBits)"))
        case let (offeredCipher, allowedCipher) where offeredCipher != allowedCipher:
            list.append(Attribute(name: "cipher", offered: "\(offeredCipher)", allowed: "\(allowedCipher)"))
        default: break
        }
        if offered.hash != allowed.hash { list.append(Attribute(name: "hash", offered: "\(offered.hash)", allowed: "\(allowed.hash)")) }
        if offered.group != allowed.group {
            list.append(Attribute(name: "group", offered: "\(offered.group.rawValue)", allowed: "\(allowed.group.rawValue)"))
        }
        if offered.authentication != allowed.authentication {
            list.append(Attribute(name: "authentication", offered: "\(offered.authentication)", allowed: "\(allowed.authentication)"))
        }
        return list
    }

    /// "nearest policy method AES-CBC-256-SHA2-256-14 preSharedKey; differs in key length
    /// (offered 128, allowed 256), hash (offered SHA1, allowed SHA2-256)".
    public var description: String {
        "nearest policy method \(nearest); differs in "
            + attributes.map { "\($0.name) (offered \($0.offered), allowed \($0.allowed))" }.joined(separator: ", ")
    }
}
