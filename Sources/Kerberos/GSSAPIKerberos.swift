import CGSSAPI
import Foundation
import IKE
import Packet

/// IKE's ``GSSMechanism`` over MIT Kerberos' GSS-API with the machine's keytab: as the
/// initiator it gets tickets from the keytab's principal (the client keytab) into a private
/// in-memory cache, and as the acceptor it decrypts tickets with the keytab's keys — those
/// of every service name of the account (`HOST2$`, `host/host2.ward.test`), which Active
/// Directory keys alike.
///
/// Tickets stay in the process's `MEMORY:` cache until they expire (Active Directory's
/// default: 10 hours); the TGT is renewed from the keytab when it runs out, so no `kinit` and
/// nothing on disk. The calls block for a KDC round trip when a ticket is not cached.
public struct GSSAPIKerberos: GSSMechanism {
    /// The keytab holding the machine account's keys (`samba-tool domain exportkeytab`, or
    /// `net ads join`'s /etc/krb5.keytab).
    public let keytab: String
    /// The credential cache the initiator's tickets live in.
    public let credentialCache: String
    /// Initiators' first steps, running or done, by exchange.
    let starts = InitiatorStarts()

    public init(keytab: String, credentialCache: String = "MEMORY:ward-ike") {
        self.keytab = keytab
        self.credentialCache = credentialCache
    }

    /// The keytab's first principal, as Windows names a computer: `HOST1$@WARD.TEST`.
    public func localName() throws(GSSFailure) -> String {
        try Self.firstPrincipal(keytab: keytab)
    }

    /// The first step runs on a thread of its own: with a cold cache it asks the KDC for a
    /// TGT and the peer's service ticket, and the agent's packet loop — which carries that
    /// very KDC traffic through its datapath — must not wait for it.
    public func initiator(exchange: UInt64, target: String?, peer: IPAddress) -> GSSInitiation {
        starts.take(exchange) { [self] in
            do throws(GSSFailure) {
                let context = try startInitiator(target: target, peer: peer)
                guard let token = try context.step(nil) else {
                    return .failed(GSSFailure(call: "gss_init_sec_context", reason: .other, text: "no first token"))
                }
                return .ready(context, firstToken: token)
            } catch {
                return .failed(error)
            }
        }
    }

    /// The initiator's credential and context (blocking: see ``initiator(exchange:target:peer:)``).
    func startInitiator(target: String?, peer: IPAddress) throws(GSSFailure) -> GSSAPIContext {
        try checkKeytab()
        let own = try Self.importName(try localName(), hostBased: false)
        defer { var minor: OM_uint32 = 0; var name: gss_name_t? = own; gss_release_name(&minor, &name) }
        var credential: gss_cred_id_t?
        var minor: OM_uint32 = 0
        let major = ward_gss_acquire(&minor, own, gss_cred_usage_t(GSS_C_INITIATE), keytab, nil, credentialCache, &credential)
        guard major == GSS_S_COMPLETE, let credential else { throw GSSStatus.failure("gss_acquire_cred_from", major, minor) }
        // Without the peer's announced identity, the host service on the peer (racoon's
        // default), canonicalised by the library's DNS rules.
        let targetName = try Self.importName(target ?? "host@\(peer)", hostBased: target == nil)
        return GSSAPIContext(initiating: targetName, credential: credential)
    }

    public func acceptor() throws(GSSFailure) -> any GSSSecurityContext {
        try checkKeytab()
        var credential: gss_cred_id_t?
        var minor: OM_uint32 = 0
        let major = ward_gss_acquire(&minor, nil, gss_cred_usage_t(GSS_C_ACCEPT), nil, keytab, nil, &credential)
        guard major == GSS_S_COMPLETE, let credential else { throw GSSStatus.failure("gss_acquire_cred_from", major, minor) }
        return GSSAPIContext(acceptingWith: credential)
    }

    /// The keytab must exist and be readable by root alone: it is the machine's password.
    public func checkKeytab() throws(GSSFailure) {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: keytab) } catch {
            throw GSSFailure(call: "keytab", reason: .noCredentials, text: "keytab \(keytab) cannot be read")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw GSSFailure(call: "keytab", reason: .noCredentials,
                             text: "keytab \(keytab) is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
    }

    static func importName(_ text: String, hostBased: Bool) throws(GSSFailure) -> gss_name_t {
        var minor: OM_uint32 = 0
        var name: gss_name_t?
        let major = ward_gss_import_name(&minor, text, hostBased ? 1 : 0, &name)
        guard major == GSS_S_COMPLETE, let name else { throw GSSStatus.failure("gss_import_name(\(text))", major, minor) }
        return name
    }

    /// The first entry's principal of a keytab, through krb5's keytab API.
    static func firstPrincipal(keytab: String) throws(GSSFailure) -> String {
        var context: krb5_context?
        guard krb5_init_context(&context) == 0, let context else {
            throw GSSFailure(call: "krb5_init_context", reason: .other, text: "Kerberos cannot start (krb5.conf?)")
        }
        defer { krb5_free_context(context) }
        var table: krb5_keytab?
        var code = krb5_kt_resolve(context, "FILE:\(keytab)", &table)
        guard code == 0, let table else { throw GSSStatus.krb5Failure("krb5_kt_resolve", code, context) }
        defer { krb5_kt_close(context, table) }
        var cursor: krb5_kt_cursor?
        code = krb5_kt_start_seq_get(context, table, &cursor)
        guard code == 0 else { throw GSSStatus.krb5Failure("keytab \(keytab)", code, context) }
        defer { krb5_kt_end_seq_get(context, table, &cursor) }
        var entry = krb5_keytab_entry()
        code = krb5_kt_next_entry(context, table, &entry, &cursor)
        guard code == 0 else {
            throw GSSFailure(call: "keytab", reason: .noCredentials, text: "keytab \(keytab) holds no key")
        }
        defer { krb5_free_keytab_entry_contents(context, &entry) }
        var text: UnsafeMutablePointer<CChar>?
        code = krb5_unparse_name(context, entry.principal, &text)
        guard code == 0, let text else { throw GSSStatus.krb5Failure("krb5_unparse_name", code, context) }
        defer { krb5_free_unparsed_name(context, text) }
        return String(cString: text)
    }
}

/// One GSS-API security context with the krb5 mechanism.
final class GSSAPIContext: GSSSecurityContext {
    private var context: gss_ctx_id_t?
    private var credential: gss_cred_id_t?
    /// The initiator's target; nil for an acceptor.
    private var target: gss_name_t?
    private(set) var isComplete = false
    private(set) var peerName: String?

    init(initiating target: gss_name_t, credential: gss_cred_id_t) {
        self.target = target
        self.credential = credential
    }

    init(acceptingWith credential: gss_cred_id_t) {
        self.credential = credential
    }

    deinit {
        var minor: OM_uint32 = 0
        if context != nil { gss_delete_sec_context(&minor, &context, nil) }
        if target != nil { gss_release_name(&minor, &target) }
        if credential != nil { gss_release_cred(&minor, &credential) }
    }

    func step(_ token: [UInt8]?) throws(GSSFailure) -> [UInt8]? {
        var minor: OM_uint32 = 0
        var output = gss_buffer_desc()
        var flags: OM_uint32 = 0
        var input = token ?? []
        let major: OM_uint32
        let call: String
        if let target {
            call = "gss_init_sec_context"
            // The first call passes GSS_C_NO_BUFFER (an empty buffer means the same to MIT).
            major = input.withUnsafeMutableBytes { raw in
                var buffer = ward_gss_buffer(raw.baseAddress, raw.count)
                return gss_init_sec_context(&minor, credential, &context, target, ward_gss_mech_krb5(), ward_gss_flags(), 0, nil,
                                            &buffer, nil, &output, &flags, nil)
            }
        } else {
            call = "gss_accept_sec_context"
            var source: gss_name_t?
            major = input.withUnsafeMutableBytes { raw in
                var buffer = ward_gss_buffer(raw.baseAddress, raw.count)
                return gss_accept_sec_context(&minor, &context, credential, &buffer, nil, &source, nil, &output, &flags, nil, nil)
            }
            if let name = source {
                peerName = GSSStatus.display(name)
                var releaseMinor: OM_uint32 = 0
                gss_release_name(&releaseMinor, &source)
            }
        }
        let produced = output.length > 0 ? Array(UnsafeRawBufferPointer(start: output.value, count: output.length)) : nil
        var releaseMinor: OM_uint32 = 0
        gss_release_buffer(&releaseMinor, &output)
        guard ward_gss_routine_error(major) == 0 else { throw GSSStatus.failure(call, major, minor) }
        if major & WARD_GSS_S_CONTINUE_NEEDED == 0 {
            // Mutual authentication is what makes the responder's identity proven (draft §3).
            guard flags & OM_uint32(GSS_C_MUTUAL_FLAG) != 0 || target == nil else {
                throw GSSFailure(call: call, reason: .other, text: "the context completed without mutual authentication")
            }
            isComplete = true
            if let target { peerName = GSSStatus.display(target) }
        }
        return produced
    }

    func wrap(_ message: [UInt8]) throws(GSSFailure) -> [UInt8] {
        try transform(message, call: "gss_wrap") { minor, input, output in
            gss_wrap(minor, context, 1, gss_qop_t(GSS_C_QOP_DEFAULT), input, nil, output)
        }
    }

    func unwrap(_ token: [UInt8]) throws(GSSFailure) -> [UInt8] {
        try transform(token, call: "gss_unwrap") { minor, input, output in
            gss_unwrap(minor, context, input, output, nil, nil)
        }
    }

    private func transform(_ bytes: [UInt8], call: String,
                           _ body: (UnsafeMutablePointer<OM_uint32>, UnsafeMutablePointer<gss_buffer_desc>, UnsafeMutablePointer<gss_buffer_desc>) -> OM_uint32)
        throws(GSSFailure) -> [UInt8] {
        guard isComplete else { throw GSSFailure(call: call, reason: .other, text: "the security context is not established") }
        var minor: OM_uint32 = 0
        var output = gss_buffer_desc()
        var copy = bytes
        let major = copy.withUnsafeMutableBytes { raw in
            var input = ward_gss_buffer(raw.baseAddress, raw.count)
            return body(&minor, &input, &output)
        }
        defer { var releaseMinor: OM_uint32 = 0; gss_release_buffer(&releaseMinor, &output) }
        guard major == GSS_S_COMPLETE else { throw GSSStatus.failure(call, major, minor) }
        return output.length > 0 ? Array(UnsafeRawBufferPointer(start: output.value, count: output.length)) : []
    }
}
