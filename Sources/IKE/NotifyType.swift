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
