import GroupPolicy

/// Random directory values into what the agent's Group Policy thread parses from a domain
/// controller: a GPO's `nTSecurityDescriptor` with the access check (first byte 0), a
/// `gPLink` (1), a SID as in `objectSid`/`tokenGroups` (2). Each must throw or answer, never
/// trap (a trap would stop wardd); a SID that decodes must encode to the bytes it took.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 3 {
    case 0:
        let token: Set<SecurityIdentifier> = [.everyone, .authenticatedUsers, SecurityIdentifier(authority: 5, [21, 1, 2, 3, 1103])]
        _ = try? SecurityDescriptor.decode(bytes, object: "fuzz").applyGroupPolicy(for: token)
    case 1:
        _ = try? GPLink.parse(String(decoding: bytes, as: UTF8.self), container: "fuzz")
    default:
        if let (sid, length) = try? SecurityIdentifier.decode(bytes, field: "fuzz") {
            precondition(sid.bytes == Array(bytes.prefix(length)), "SID bytes do not round-trip")
        }
    }
    return 0
}
