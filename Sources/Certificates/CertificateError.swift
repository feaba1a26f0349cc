/// Why a certificate, key, CRL or identity was refused. Every case names what it refused and
/// why in words a log line can carry; none carries key material.
public struct CertificateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was being read or checked: "certificate", "private key", "CRL", "CERT payload"…
    public var subject: String
    public var reason: String

    public init(_ subject: String, _ reason: String) {
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason)" }
}
