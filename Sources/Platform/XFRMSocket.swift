import Foundation
import XFRM

/// A NETLINK_XFRM socket: requests to the kernel's SPD and SAD (each acknowledged, or a dump
/// read to its end), or, bound to multicast groups, the kernel's acquires and expires.
public final class XFRMSocket: XFRMChannel {
    public let descriptor: Int32
    private var sequence: UInt32 = 1
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// `groups`: `XFRMGroups` bits to listen to (an event socket is non-blocking); 0 for a
    /// request socket (blocking, with a 3-second receive timeout so a silent kernel cannot
    /// hang the agent).
    public init(groups: UInt32 = 0) throws(SocketError) {
        let flags = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (groups != 0 ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        let descriptor = socket(AF_NETLINK, flags, 6)  // NETLINK_XFRM
        guard descriptor >= 0 else { throw SocketError("netlink XFRM socket") }
        var address = NetlinkAddress()
        address.groups = groups
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<NetlinkAddress>.size)) }
        }
        guard bound == 0 else {
            let error = SocketError("bind netlink XFRM groups \(groups)")
            close(descriptor)
            throw error
        }
        var size: Int32 = 1 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        if groups == 0 {
            var timeout = timeval(tv_sec: 3, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    public func perform(_ request: XFRMRequest, describing operation: String) throws(XFRMError) {
        let sequence = try send(request, operation)
        while true {
            for message in try receive(operation) where message.sequence == sequence {
                if message.type == Netlink.error {
                    let code: Int32
                    do { code = try message.errorCode() } catch { throw XFRMError(operation: operation, code: 0, detail: "\(error)") }
                    if code != 0 { throw XFRMError(operation: operation, code: code) }
                    return
                }
            }
        }
    }

    public func query(_ request: XFRMRequest, describing operation: String) throws(XFRMError) -> [NetlinkMessage] {
        let sequence = try send(request, operation)
        let dump = Netlink.Flags(rawValue: request.flags).contains(.dump)
        var answers: [NetlinkMessage] = []
        while true {
            for message in try receive(operation) where message.sequence == sequence {
                switch message.type {
                case Netlink.done: return answers
                case Netlink.error:
                    let code: Int32
                    do { code = try message.errorCode() } catch { throw XFRMError(operation: operation, code: 0, detail: "\(error)") }
                    if code != 0 { throw XFRMError(operation: operation, code: code) }
                    return answers
                default:
                    answers.append(message)
                    if !dump { return answers }
                }
            }
        }
    }

    /// Every message waiting on an event socket (non-blocking); malformed datagrams are skipped.
    public func events() -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        for _ in 0..<64 {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            if let batch = try? NetlinkMessage.split(Array(buffer[0..<count])) { messages += batch }
        }
        return messages
    }

    private func send(_ request: XFRMRequest, _ operation: String) throws(XFRMError) -> UInt32 {
        sequence &+= 1
        let bytes = request.encoded(sequence: sequence)
        var kernel = NetlinkAddress()
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &kernel) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<NetlinkAddress>.size)) }
            }
        }
        guard sent == bytes.count else { throw XFRMError(operation: operation, code: errno) }
        return sequence
    }

    private func receive(_ operation: String) throws(XFRMError) -> [NetlinkMessage] {
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { throw XFRMError(operation: operation, code: count < 0 ? errno : 0, detail: count < 0 ? "" : "netlink closed") }
        do { return try NetlinkMessage.split(Array(buffer[0..<count])) } catch {
            throw XFRMError(operation: operation, code: 0, detail: "unreadable answer: \(error)")
        }
    }
}

/// `struct sockaddr_nl` (linux/netlink.h, which Glibc's module map leaves out): family, pad,
/// port id (0: the kernel), multicast groups.
struct NetlinkAddress {
    var family = sa_family_t(AF_NETLINK)
    var pad: UInt16 = 0
    var portID: UInt32 = 0
    var groups: UInt32 = 0
}
