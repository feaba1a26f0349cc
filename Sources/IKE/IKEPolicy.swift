import Certificates
import Filtering
import Packet
import Transforms

/// How this side proves who it is in Main Mode, one credential per kind of method the rule
/// names. The negotiated transform's authentication method picks which one an exchange uses:
/// the key derivation takes SKEYID's input from it, and the Main Mode proof functions
/// (`identityAndProof`, `verifyPeer`) send a hash or a signature.
public struct Phase1Authenticator: Sendable {
    /// A preshared key (RFC 2409 §5.4), as the bytes of the configured string.
    public var preSharedKey: [UInt8]?
    /// Certificates (RFC 2409 §5.1): the rule's roots, our certificate, the peer's checks.
    public var certificates: CertificateAuthenticator?
    /// Kerberos through GSS-API (draft-ietf-ipsec-isakmp-gss-auth-07): the machine's keys.
    public var kerberos: (any GSSMechanism)?

    public init(preSharedKey: [UInt8]? = nil, certificates: CertificateAuthenticator? = nil, kerberos: (any GSSMechanism)? = nil) {
        self.preSharedKey = preSharedKey
        self.certificates = certificates
        self.kerberos = kerberos
    }

    /// A preshared key alone.
    public static func preSharedKey(_ key: [UInt8]) -> Phase1Authenticator { Phase1Authenticator(preSharedKey: key) }
}

/// What policy says about Main Mode with one peer: the offers in policy order (reference
/// a.8: the ISAKMP policy's security methods), how to authenticate, and master-key PFS.
public struct MainModePolicy: Sendable {
    /// The security methods, in order; the initiator offers them in this order and the
    /// responder accepts the first of the initiator's it finds here.
    public var transforms: [Phase1Transform]
    public var authenticator: Phase1Authenticator
    /// This side's ID; nil sends the local IP address (as Windows does).
    public var localID: Identification?
    /// The ID the peer must present (an FQDN, say); nil accepts any ID, as Windows does with a
    /// preshared key, where the key itself is the proof.
    public var peerID: Identification?
    /// Master-key PFS (`mmpfs`, `qmpermm=1`): each Main Mode SA keys one Quick Mode only.
    public var quickModesPerMainMode: Int?

    public init(transforms: [Phase1Transform], authenticator: Phase1Authenticator, localID: Identification? = nil,
                peerID: Identification? = nil, quickModesPerMainMode: Int? = nil) {
        self.transforms = transforms
        self.authenticator = authenticator
        self.localID = localID
        self.peerID = peerID
        self.quickModesPerMainMode = quickModesPerMainMode
    }
}

/// How an SA pair places its headers: host to host, or tunnelled between two gateways (the
/// rule's tunnel endpoint).
public enum QuickModeEncapsulation: Equatable, Sendable {
    case transport
    case tunnel
}

/// What policy says about Quick Mode for some traffic: the filter action's security methods
/// in order (reference d.4), session-key PFS (`qmpfs`, d.5) and the mode.
public struct QuickModePolicy: Sendable {
    /// Offers in order; each becomes one proposal. ``QuickModeTransform/encapsulation`` and
    /// ``QuickModeTransform/pfsGroup`` are filled in from `mode` and `pfsGroup` when sent.
    public var offers: [QuickModeTransform]
    /// The PFS group, or nil without session-key PFS.
    public var pfsGroup: DiffieHellmanGroup?
    /// Session-key PFS in the Main Mode SA's group, as Windows' `qmpfs` does; `pfsGroup`, when
    /// set, wins.
    public var pfsFromMainMode: Bool
    public var mode: QuickModeEncapsulation
    /// The specific filter whose rule and filter action this is: the SA pair negotiated under
    /// it is bound to it (nil: the default response rule, or a test's fixed policy).
    public var filter: FilterIdentity?

    public init(offers: [QuickModeTransform], pfsGroup: DiffieHellmanGroup? = nil, pfsFromMainMode: Bool = false,
                mode: QuickModeEncapsulation = .transport, filter: FilterIdentity? = nil) {
        self.offers = offers
        self.pfsGroup = pfsGroup
        self.pfsFromMainMode = pfsFromMainMode
        self.mode = mode
        self.filter = filter
    }

    /// The PFS group under an ISAKMP SA that negotiated `mainModeGroup`.
    func pfs(mainModeGroup: DiffieHellmanGroup?) -> DiffieHellmanGroup? {
        pfsGroup ?? (pfsFromMainMode ? mainModeGroup : nil)
    }
}

/// Where the IKE engine asks policy. The agent implements it over the effective policy (rules,
/// filters, the default response rule); tests implement it with fixed answers.
public protocol IKEPolicyProvider {
    /// The Main Mode policy towards `peer`, or nil when no rule negotiates with it (the
    /// responder then answers NO-PROPOSAL-CHOSEN).
    func mainMode(local: IPAddress, peer: IPAddress) -> MainModePolicy?
    /// The Quick Mode policy for a peer's proposal `selector` (this side's view): the most
    /// specific filter that contains it, or nil when none does; a responder falls back to the
    /// default response rule here when that rule is active.
    func quickMode(for selector: TrafficSelector, peer: IPAddress) -> QuickModePolicy?
    /// The Quick Mode policy of the filter an acquire came from (`filter`; nil: decide by
    /// `selector` as a responder would). Nil when that filter no longer negotiates.
    func quickMode(for selector: TrafficSelector, peer: IPAddress, filter: FilterIdentity?) -> QuickModePolicy?
}

extension IKEPolicyProvider {
    /// Providers without filters answer an acquire as they answer a responder.
    public func quickMode(for selector: TrafficSelector, peer: IPAddress, filter: FilterIdentity?) -> QuickModePolicy? {
        quickMode(for: selector, peer: peer)
    }
}
