/// NAT traversal constants of RFC 3947/3948.
enum NATTraversal {
    /// The RFC 3947 vendor ID: MD5("RFC 3947").
    static let vendorID: [UInt8] = [0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f]
    /// The floated port (RFC 3947 §4).
    static let port: UInt16 = 4500
}
