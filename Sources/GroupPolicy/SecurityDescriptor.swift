import DomainPolicy
import Foundation

/// The discretionary ACL of a self-relative security descriptor ([MS-DTYP] §2.4.6), as the
/// directory returns a GPO's `nTSecurityDescriptor` under the SD-flags control, and the one
/// access check Group Policy needs: may this computer read the GPO and apply it ([MS-GPOL]
/// §3.2.5.1.6, the extended right Apply-Group-Policy of [MS-ADTS] §5.1.3.2.1).
public struct SecurityDescriptor: Sendable, Equatable {
    /// One access control entry that applies to the object itself (inherit-only ones are
    /// dropped at decoding: they only reach children).
    public struct Entry: Sendable, Equatable {
        public var allows: Bool
        public var mask: UInt32
        /// Object ACEs: the property, property set or extended right the entry is about;
        /// nil: every one.
        public var objectType: UUID?
        public var trustee: SecurityIdentifier
    }

    /// In the order written: the order access checks walk them.
    public var entries: [Entry]

    /// The extended right Apply-Group-Policy, `edacfd8f-ffb3-11d1-b41d-00a0c968f939`.
    public static let applyGroupPolicy = UUID(uuidString: "EDACFD8F-FFB3-11D1-B41D-00A0C968F939")!
    // Access mask bits ([MS-ADTS] §5.1.3.2; [MS-DTYP] §2.4.3).
    static let readProperty: UInt32 = 0x10, controlAccess: UInt32 = 0x100
    static let genericAll: UInt32 = 0x1000_0000, genericRead: UInt32 = 0x8000_0000

    public init(entries: [Entry]) { self.entries = entries }

    /// Decodes the DACL of `bytes`; a descriptor without one (no DACL: everyone allowed) has
    /// one entry allowing Everyone everything, as Windows treats a NULL DACL.
    ///
    /// - Throws: naming `object`, the field and the byte offset of the first length or count
    ///   that does not fit.
    public static func decode(_ bytes: [UInt8], object: String) throws(GroupPolicyError) -> SecurityDescriptor {
        func fail(_ field: String, _ offset: Int, _ why: String) -> GroupPolicyError {
            GroupPolicyError("\(object): nTSecurityDescriptor: \(field) at offset \(offset): \(why)")
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> UInt32 { UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
        guard bytes.count >= 20 else { throw fail("header", 0, "needs 20 bytes, has \(bytes.count)") }
        guard bytes[0] == 1 else { throw fail("revision", 0, "\(bytes[0]) is not 1") }
        let control = u16(2)
        guard control & 0x8000 != 0 else { throw fail("control", 2, "not self-relative") }
        let daclOffset = Int(u32(16))
        // SE_DACL_PRESENT (0x0004) clear, or an offset of 0: no DACL.
        guard control & 0x0004 != 0, daclOffset != 0 else {
            return SecurityDescriptor(entries: [Entry(allows: true, mask: genericAll, objectType: nil, trustee: .everyone)])
        }
        guard daclOffset + 8 <= bytes.count else { throw fail("DACL", 16, "offset \(daclOffset) is past the end (\(bytes.count) bytes)") }
        let aclSize = u16(daclOffset + 2), aceCount = u16(daclOffset + 4)
        guard daclOffset + aclSize <= bytes.count, aclSize >= 8 else {
            throw fail("DACL size", daclOffset + 2, "\(aclSize) bytes from offset \(daclOffset) pass the end (\(bytes.count))")
        }
        var entries: [Entry] = []
        var at = daclOffset + 8
        let end = daclOffset + aclSize
        for index in 0..<aceCount {
            guard at + 4 <= end else { throw fail("ACE \(index)", at, "header past the ACL's end") }
            let type = bytes[at], flags = bytes[at + 1], size = u16(at + 2)
            guard size >= 8, at + size <= end else { throw fail("ACE \(index) size", at + 2, "\(size) bytes pass the ACL's end at \(end)") }
            let ace = Array(bytes[at..<(at + size)])
            defer { at += size }
            // INHERIT_ONLY_ACE: for children only.
            if flags & 0x08 != 0 { continue }
            let mask = u32(at + 4)
            switch type {
            case 0x00, 0x01:  // ACCESS_ALLOWED_ACE, ACCESS_DENIED_ACE (§2.4.4.2, §2.4.4.4)
                let (sid, _) = try SecurityIdentifier.decode(ace, at: 8, field: "\(object): nTSecurityDescriptor: ACE \(index) SID")
                entries.append(Entry(allows: type == 0x00, mask: mask, objectType: nil, trustee: sid))
            case 0x05, 0x06:  // ACCESS_ALLOWED_OBJECT_ACE, ACCESS_DENIED_OBJECT_ACE (§2.4.4.3, §2.4.4.5)
                guard size >= 12 else { throw fail("ACE \(index)", at, "an object ACE needs 12 bytes, has \(size)") }
                let objectFlags = u32(at + 8)
                var cursor = 12
                var objectType: UUID?
                if objectFlags & 1 != 0 {
                    guard cursor + 16 <= size else { throw fail("ACE \(index) ObjectType", at + cursor, "past the ACE's end") }
                    objectType = WindowsGUID.uuid(fromBytes: Array(ace[cursor..<(cursor + 16)]))
                    cursor += 16
                }
                if objectFlags & 2 != 0 { cursor += 16 }  // InheritedObjectType: which child classes inherit it
                let (sid, _) = try SecurityIdentifier.decode(ace, at: cursor, field: "\(object): nTSecurityDescriptor: ACE \(index) SID")
                entries.append(Entry(allows: type == 0x05, mask: mask, objectType: objectType, trustee: sid))
            default:
                continue  // audit, alarm and callback ACEs grant nothing
            }
        }
        return SecurityDescriptor(entries: entries)
    }

    /// What the access check found.
    public enum Verdict: Equatable, Sendable {
        case granted
        /// An ACE denies it to one of the token's SIDs (named).
        case denied(SecurityIdentifier)
        /// No ACE grants it.
        case notGranted
    }

    /// Whether `token` may read the GPO and apply it: the ACEs are walked in order and the
    /// first that grants or denies a right decides that right, as AccessCheckByType does.
    public func applyGroupPolicy(for token: Set<SecurityIdentifier>) -> Verdict {
        let read = decide(token) { entry in
            entry.objectType == nil && entry.mask & (Self.readProperty | Self.genericRead | Self.genericAll) != 0
        }
        guard read == .granted else { return read }
        return decide(token) { entry in
            if entry.mask & Self.genericAll != 0, entry.objectType == nil { return true }
            return entry.mask & Self.controlAccess != 0 && (entry.objectType == nil || entry.objectType == Self.applyGroupPolicy)
        }
    }

    private func decide(_ token: Set<SecurityIdentifier>, _ concerns: (Entry) -> Bool) -> Verdict {
        for entry in entries where token.contains(entry.trustee) && concerns(entry) {
            return entry.allows ? .granted : .denied(entry.trustee)
        }
        return .notGranted
    }
}
