/// The IKE statistics Windows' IP Security Monitor shows under Main Mode › Statistics and
/// `show stats type=ike` prints (reference f.1). Counters grow from zero when the agent starts;
/// the "Active", "Heap Size" and "List Size" entries are gauges the IKE engine sets.
public struct IKEStatistics: Equatable, Sendable {
    public var activeAcquire: UInt64 = 0
    public var activeReceive: UInt64 = 0
    public var acquireFailures: UInt64 = 0
    public var receiveFailures: UInt64 = 0
    public var sendFailures: UInt64 = 0
    public var acquireHeapSize: UInt64 = 0
    public var receiveHeapSize: UInt64 = 0
    public var authenticationFailures: UInt64 = 0
    public var negotiationFailures: UInt64 = 0
    public var invalidCookiesReceived: UInt64 = 0
    public var totalAcquire: UInt64 = 0
    public var totalGetSPI: UInt64 = 0
    public var totalKeyAdd: UInt64 = 0
    public var totalKeyUpdate: UInt64 = 0
    public var getSPIFailures: UInt64 = 0
    public var keyAddFailures: UInt64 = 0
    public var keyUpdateFailures: UInt64 = 0
    public var isadbListSize: UInt64 = 0
    public var connectionListSize: UInt64 = 0
    public var mainModeSAs: UInt64 = 0
    public var quickModeSAs: UInt64 = 0
    public var softAssociations: UInt64 = 0
    public var invalidPacketsReceived: UInt64 = 0

    public init() {}

    /// Counts a datagram that did not parse (bad header field, payload length, …) as the
    /// monitor's "Invalid Packets Received".
    public mutating func count(_ error: ISAKMPError) {
        invalidPacketsReceived += 1
    }

    /// Counts a Main Mode offer nothing in the policy matched (NO-PROPOSAL-CHOSEN).
    public mutating func countNoProposalChosen() {
        negotiationFailures += 1
    }

    /// The statistics with the monitor's names, in the reference's order (f.1: the 2003 page's
    /// order as far as it is documented, then the table's).
    public var named: [(String, UInt64)] {
        [("Active Acquire", activeAcquire), ("Active Receive", activeReceive), ("Acquire Failures", acquireFailures),
         ("Receive Failures", receiveFailures), ("Send Failures", sendFailures), ("Acquire Heap Size", acquireHeapSize),
         ("Receive Heap Size", receiveHeapSize), ("Authentication Failures", authenticationFailures),
         ("Negotiation Failures", negotiationFailures), ("Invalid Cookies Received", invalidCookiesReceived),
         ("Total Acquire", totalAcquire), ("Total Get SPI", totalGetSPI), ("Total Key Add", totalKeyAdd),
         ("Total Key Update", totalKeyUpdate), ("Get SPI Failures", getSPIFailures), ("Key Add Failures", keyAddFailures),
         ("Key Update Failures", keyUpdateFailures), ("ISADB List Size", isadbListSize), ("Connection List Size", connectionListSize),
         ("Main Mode SAs", mainModeSAs), ("Quick Mode SAs", quickModeSAs), ("Soft Associations", softAssociations),
         ("Invalid Packets Received", invalidPacketsReceived)]
    }
}
