/// NAT traversal constants of RFC 3947/3948.
enum NATTraversal {
    /// The RFC 3947 vendor ID: MD5("RFC 3947").
    static let vendorID: [UInt8] = [0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f]
    /// The floated port (RFC 3947 §4).
    static let port: UInt16 = 4500
}

/// Compares two proofs in time independent of where they differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}

/// RFC 2408 §3.14.1 notify message types Ward sends or reads.
enum NotifyType {
    static let invalidPayloadType: UInt16 = 1
    static let noProposalChosen: UInt16 = 14
    static let invalidIDInformation: UInt16 = 18
    static let authenticationFailed: UInt16 = 24
    static let initialContact: UInt16 = 24578
    /// RFC 2407 §4.6.3.1: the responder's shorter lifetimes for the SA it chose.
    static let responderLifetime: UInt16 = 24576
}
