#if canImport(Glibc)
import Glibc
#endif

/// The kernel's answer to a request it refused, or a channel failure.
public struct XFRMError: Error, CustomStringConvertible, Equatable {
    /// The request: `XFRM_MSG_NEWSA spi 0x1234…` — never key material.
    public var operation: String
    /// The errno the kernel answered (0 when the failure was the channel's own).
    public var code: Int32
    public var detail: String

    public init(operation: String, code: Int32, detail: String = "") {
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public var description: String {
        let reason = code == 0 ? detail : String(cString: strerror(code)) + (detail.isEmpty ? "" : " (\(detail))")
        return "\(operation): \(reason)"
    }
}

/// Where XFRM requests go: the kernel through a netlink socket (`Platform.XFRMSocket`), or a
/// recording fake in the tests.
public protocol XFRMChannel: AnyObject {
    /// Sends a request and waits for the kernel's acknowledgement; throws what it refused.
    func perform(_ request: XFRMRequest, describing operation: String) throws(XFRMError)
    /// Sends a GET or a dump request and returns the kernel's answers.
    func query(_ request: XFRMRequest, describing operation: String) throws(XFRMError) -> [NetlinkMessage]
}
