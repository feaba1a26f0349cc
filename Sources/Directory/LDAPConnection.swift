import CLDAP
import DomainPolicy
import Foundation

/// One LDAP v3 session with a domain controller, bound with SASL GSSAPI (Kerberos) and sealed.
///
/// The credentials are the caller's Kerberos tickets (`kinit`, `KRB5CCNAME`), as Windows'
/// netsh uses the administrator's logon. Samba and Windows refuse simple binds on plain LDAP;
/// SASL's security layer is required here (`minssf=56`): every request and answer is signed
/// and encrypted, and a server that offers less is refused before anything is sent.
///
/// Not thread-safe: one connection serves one `ward` session.
public final class LDAPConnection: DirectoryService {
    private let handle: OpaquePointer
    public let serverName: String
    public private(set) var defaultNamingContext: String = ""
    /// The SASL security strength factor the bind negotiated (bits; 0 = none).
    public private(set) var securityStrength: Int = 0

    /// Connects to `host` (a name or address, optionally `:port`) and binds.
    ///
    /// - Parameters:
    ///   - timeoutSeconds: bounds connecting and every operation.
    public init(host: String, timeoutSeconds: Int = 10) throws(DirectoryError) {
        serverName = host.contains(":") ? host : host + ":389"
        var ld: OpaquePointer?
        let uri = "ldap://\(serverName)"
        let rc = ldap_initialize(&ld, uri)
        guard rc == LDAP_SUCCESS, let ld else {
            throw DirectoryError(code: rc, operation: "connect to \(serverName)", message: String(cString: ldap_err2string(rc)))
        }
        handle = ld
        _ = ward_ldap_set_int(ld, LDAP_OPT_PROTOCOL_VERSION, LDAP_VERSION3)
        _ = ward_ldap_referrals_off(ld)
        _ = ward_ldap_set_timeout(ld, LDAP_OPT_NETWORK_TIMEOUT, timeoutSeconds)
        _ = ward_ldap_set_timeout(ld, LDAP_OPT_TIMEOUT, timeoutSeconds)
        // Signing and sealing: refuse a security layer weaker than 56 bits (RFC 4752 §3.3).
        _ = ward_ldap_set_string(ld, LDAP_OPT_X_SASL_SECPROPS, "minssf=56,noanonymous,noplain")
        // Kerberos needs the DC's host name, not a reverse lookup of its address.
        _ = ward_ldap_set_int(ld, LDAP_OPT_X_SASL_NOCANON, 1)
        let bound = ward_ldap_gssapi_bind(ld)
        guard bound == LDAP_SUCCESS else {
            // Every stored property is set: deinit unbinds.
            throw failure(bound, "bind to \(serverName)")
        }
        securityStrength = Int(ward_ldap_ssf(ld))
        guard securityStrength >= 56 else {
            throw DirectoryError(code: LDAP_STRONG_AUTH_REQUIRED, operation: "bind to \(serverName)",
                                 message: "the server negotiated a security layer of \(securityStrength) bits; signing and sealing (56 or more) are required")
        }
        let root = try search(base: "", oneLevel: false, filter: "(objectClass=*)", attributes: ["defaultNamingContext"])
        guard let context = root.first?.string("defaultNamingContext"), !context.isEmpty else {
            throw DirectoryError(code: LDAP_NO_SUCH_OBJECT, operation: "read the root DSE of \(serverName)",
                                 message: "no defaultNamingContext: not an Active Directory domain controller")
        }
        defaultNamingContext = context
    }

    deinit { ldap_unbind_ext_s(handle, nil, nil) }

    private func failure(_ rc: Int32, _ operation: String) -> DirectoryError {
        var message = String(cString: ldap_err2string(rc))
        if let diagnostic = ward_ldap_diagnostic(handle) {
            let text = String(cString: diagnostic).trimmingCharacters(in: .whitespacesAndNewlines)
            ldap_memfree(UnsafeMutableRawPointer(mutating: diagnostic))
            if !text.isEmpty { message += ": " + text.replacingOccurrences(of: "\n", with: " ") }
        }
        return DirectoryError(code: rc, operation: operation, message: message)
    }

    public func search(base: String, oneLevel: Bool, filter: String, attributes: [String]) throws(DirectoryError) -> [DirectoryEntry] {
        try search(base: base, scope: oneLevel ? .oneLevel : .base, filter: filter, attributes: attributes, securityDescriptor: false)
    }

    /// A search in any scope. `securityDescriptor`: `nTSecurityDescriptor` comes with its DACL
    /// only (the SD-flags control), which accounts without SeSecurityPrivilege may read.
    public func search(base: String, scope: SearchScope, filter: String, attributes: [String],
                       securityDescriptor: Bool) throws(DirectoryError) -> [DirectoryEntry] {
        var result: OpaquePointer?
        let scopeCode = switch scope {
        case .base: LDAP_SCOPE_BASE
        case .oneLevel: LDAP_SCOPE_ONELEVEL
        case .subtree: LDAP_SCOPE_SUBTREE
        }
        let rc = withCStrings(attributes) { names in
            securityDescriptor
                ? ward_ldap_search_dacl(handle, base, scopeCode, filter, attributes.isEmpty ? nil : names, &result)
                : ldap_search_ext_s(handle, base, scopeCode, filter, attributes.isEmpty ? nil : names, 0, nil, nil, nil, LDAP_NO_LIMIT, &result)
        }
        defer { if let result { ldap_msgfree(result) } }
        guard rc == LDAP_SUCCESS else { throw failure(rc, "search \(base.isEmpty ? "the root DSE" : base)") }
        var entries: [DirectoryEntry] = []
        var message = ldap_first_entry(handle, result)
        while let current = message {
            var entry = DirectoryEntry(dn: "")
            if let dn = ldap_get_dn(handle, current) {
                entry.dn = String(cString: dn)
                ldap_memfree(dn)
            }
            var element: OpaquePointer?
            var attribute = ldap_first_attribute(handle, current, &element)
            while let name = attribute {
                let key = String(cString: name).lowercased()
                if let values = ldap_get_values_len(handle, current, name) {
                    var index = 0
                    while let value = values[index] {
                        let length = Int(value.pointee.bv_len)
                        let bytes = value.pointee.bv_val.map { pointer in
                            Array(UnsafeRawBufferPointer(start: pointer, count: length))
                        } ?? []
                        entry.attributes[key, default: []].append(bytes)
                        index += 1
                    }
                    ldap_value_free_len(values)
                }
                ldap_memfree(name)
                attribute = ldap_next_attribute(handle, current, element)
            }
            if let element { ber_free(element, 0) }
            entries.append(entry)
            message = ldap_next_entry(handle, current)
        }
        return entries
    }

    public func add(_ entry: DirectoryEntry) throws(DirectoryError) {
        let changes = entry.attributes.sorted { $0.key < $1.key }.map { AttributeChange(.add, $0.key, $0.value) }
        let rc = withModifications(changes) { mods in ldap_add_ext_s(handle, entry.dn, mods, nil, nil) }
        guard rc == LDAP_SUCCESS else { throw failure(rc, "add \(entry.dn)") }
    }

    public func modify(_ dn: String, _ changes: [AttributeChange]) throws(DirectoryError) {
        guard !changes.isEmpty else { return }
        let rc = withModifications(changes) { mods in ldap_modify_ext_s(handle, dn, mods, nil, nil) }
        guard rc == LDAP_SUCCESS else { throw failure(rc, "modify \(dn)") }
    }

    public func delete(_ dn: String) throws(DirectoryError) {
        let rc = ldap_delete_ext_s(handle, dn, nil, nil)
        guard rc == LDAP_SUCCESS else { throw failure(rc, "delete \(dn)") }
    }

    // MARK: C arrays

    private func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
        defer {
            for index in 0..<strings.count { free(pointers[index]) }
            pointers.deallocate()
        }
        return body(pointers)
    }

    /// Builds libldap's NULL-terminated `LDAPMod *[]` with binary values (LDAP_MOD_BVALUES).
    private func withModifications(_ changes: [AttributeChange], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?>) -> Int32) -> Int32 {
        var allocations: [UnsafeMutableRawPointer] = []
        let mods = UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?>.allocate(capacity: changes.count + 1)
        for (index, change) in changes.enumerated() {
            let mod = UnsafeMutablePointer<LDAPMod>.allocate(capacity: 1)
            let operation: Int32 = switch change.kind {
            case .add: LDAP_MOD_ADD
            case .delete: LDAP_MOD_DELETE
            case .replace: LDAP_MOD_REPLACE
            }
            let values = UnsafeMutablePointer<UnsafeMutablePointer<berval>?>.allocate(capacity: change.values.count + 1)
            for (valueIndex, value) in change.values.enumerated() {
                let bytes = UnsafeMutablePointer<CChar>.allocate(capacity: max(value.count, 1))
                value.withUnsafeBytes { source in
                    if let base = source.baseAddress { UnsafeMutableRawPointer(bytes).copyMemory(from: base, byteCount: value.count) }
                }
                let berValue = UnsafeMutablePointer<berval>.allocate(capacity: 1)
                berValue.initialize(to: berval(bv_len: ber_len_t(value.count), bv_val: bytes))
                values[valueIndex] = berValue
                allocations.append(UnsafeMutableRawPointer(bytes))
                allocations.append(UnsafeMutableRawPointer(berValue))
            }
            values[change.values.count] = nil
            let utf8 = Array(change.attribute.utf8CString)
            let name = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
            name.initialize(from: utf8, count: utf8.count)
            allocations.append(UnsafeMutableRawPointer(name))
            allocations.append(UnsafeMutableRawPointer(values))
            mod.pointee.mod_op = operation | LDAP_MOD_BVALUES
            mod.pointee.mod_type = name
            mod.pointee.mod_vals.modv_bvals = values
            allocations.append(UnsafeMutableRawPointer(mod))
            mods[index] = mod
        }
        mods[changes.count] = nil
        defer {
            for pointer in allocations { pointer.deallocate() }
            mods.deallocate()
        }
        return body(mods)
    }
}
