/// An `ipsecData` blob that cannot be read: which object, which field, at which byte offset.
///
/// Offsets count from the first byte of the blob (the type GUID), as a hex dump of the
/// attribute shows them. `description` is one line, e.g. `ipsecFilter{7238523A-…}: ipsecData:
/// filter 1 source DNS name: needs 4 bytes at offset 30, the blob ends at 28`.
public struct BlobError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The object, e.g. `ipsecNFA{72385232-70FA-11D1-864C-14A300000000}`.
    public var object: String
    /// The field, named as in [MS-GPIPSEC] §2.2.1.
    public var field: String
    public var offset: Int
    public var reason: String

    public init(object: String, field: String, offset: Int, reason: String) {
        self.object = object
        self.field = field
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(object): ipsecData: \(field): \(reason)" }
}
