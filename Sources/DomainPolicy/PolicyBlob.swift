/// The `ipsecPolicy` blob ([MS-GPIPSEC] §2.2.1.1): how often a client checks the directory
/// for a changed policy.
public struct PolicyBlob: Equatable, Sendable {
    /// Seconds; 0 means 10,800 (three hours).
    public var pollingIntervalSeconds: UInt32

    public init(pollingIntervalSeconds: UInt32) { self.pollingIntervalSeconds = pollingIntervalSeconds }

    public static func decode(_ blob: [UInt8], object: String) throws(BlobError) -> PolicyBlob {
        var reader = try BlobFraming.payload(blob, kind: .policy, object: object)
        return PolicyBlob(pollingIntervalSeconds: try reader.u32("Polling-Interval"))
    }

    public func encoded() -> [UInt8] {
        var writer = BlobWriter()
        writer.u32(pollingIntervalSeconds)
        return BlobFraming.frame(writer.bytes, kind: .policy)
    }
}
