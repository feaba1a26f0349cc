import CGSSAPI
import IKE

/// GSS-API and krb5 status codes in words: gss_display_status's text (RFC 2744 §5.11) and
/// the reason an administrator looks for, from the krb5 mechanism's minor code.
enum GSSStatus {
    static func failure(_ call: String, _ major: OM_uint32, _ minor: OM_uint32) -> GSSFailure {
        let majorText = text(major, type: GSS_C_GSS_CODE)
        let minorText = minor == 0 ? "" : text(minor, type: GSS_C_MECH_CODE)
        let words = [minorText, majorText].filter { !$0.isEmpty }.joined(separator: "; ")
        return GSSFailure(call: call, major: major, minor: minor, reason: reason(major: major, minor: minor), text: words.isEmpty ? "failed" : words)
    }

    static func krb5Failure(_ call: String, _ code: krb5_error_code, _ context: krb5_context) -> GSSFailure {
        let message = krb5_get_error_message(context, code)
        defer { krb5_free_error_message(context, message) }
        let minor = OM_uint32(bitPattern: code)
        return GSSFailure(call: call, minor: minor, reason: reason(major: 0, minor: minor), text: message.map { String(cString: $0) } ?? "error \(code)")
    }

    /// The reason, from the krb5 error table's codes (krb5.h) and the GSS major status.
    static func reason(major: OM_uint32, minor: OM_uint32) -> GSSFailure.Reason {
        switch Int(Int32(bitPattern: minor)) {
        case Int(KRB5KRB_AP_ERR_SKEW): return .clockSkew
        case Int(KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN), Int(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN), Int(KRB5_KT_NOTFOUND), Int(KRB5KRB_AP_WRONG_PRINC):
            return .unknownPrincipal
        case Int(KRB5_REALM_UNKNOWN), Int(KRB5_REALM_CANT_RESOLVE), Int(KRB5KDC_ERR_WRONG_REALM), Int(KRB5KRB_AP_ERR_NOT_US):
            return .wrongRealm
        case Int(KRB5KRB_AP_ERR_TKT_EXPIRED), Int(KRB5KDC_ERR_TGT_REVOKED), Int(KRB5KDC_ERR_KEY_EXP), Int(KRB5KDC_ERR_NAME_EXP):
            return .expiredTicket
        case Int(KRB5_KDC_UNREACH): return .kdcUnreachable
        case Int(KRB5KRB_AP_ERR_BADKEYVER), Int(KRB5KRB_AP_ERR_BAD_INTEGRITY), Int(KRB5KDC_ERR_PREAUTH_FAILED), Int(KRB5_KT_KVNONOTFOUND),
             Int(KRB5KRB_AP_ERR_NOKEY), Int(KRB5KDC_ERR_ETYPE_NOSUPP):
            return .wrongKey
        case Int(KRB5KRB_AP_ERR_MODIFIED), Int(KRB5KRB_AP_ERR_REPEAT), Int(KRB5KRB_AP_ERR_BADORDER): return .integrity
        default: break
        }
        switch ward_gss_routine_error(major) {
        case WARD_GSS_S_NO_CRED: return .noCredentials
        case WARD_GSS_S_CREDENTIALS_EXPIRED, WARD_GSS_S_CONTEXT_EXPIRED: return .expiredTicket
        case WARD_GSS_S_BAD_SIG, WARD_GSS_S_DEFECTIVE_TOKEN: return .integrity
        case WARD_GSS_S_BAD_NAME, WARD_GSS_S_BAD_NAMETYPE: return .unknownPrincipal
        default: break
        }
        if major & WARD_GSS_S_DUPLICATE_TOKEN != 0 || major & WARD_GSS_S_OLD_TOKEN != 0 { return .integrity }
        return .other
    }

    /// gss_display_status's messages for one code, joined.
    static func text(_ code: OM_uint32, type: Int32) -> String {
        var messages: [String] = []
        var context: OM_uint32 = 0
        repeat {
            var minor: OM_uint32 = 0
            var buffer = gss_buffer_desc()
            let major = gss_display_status(&minor, code, type, type == GSS_C_MECH_CODE ? ward_gss_mech_krb5() : nil, &context, &buffer)
            if major == GSS_S_COMPLETE, buffer.length > 0 {
                messages.append(String(decoding: UnsafeRawBufferPointer(start: buffer.value, count: buffer.length), as: UTF8.self))
            }
            gss_release_buffer(&minor, &buffer)
            if major != GSS_S_COMPLETE { break }
        } while context != 0 && messages.count < 4
        return messages.joined(separator: ", ")
    }

    /// A name's display form (`HOST1$@WARD.TEST`).
    static func display(_ name: gss_name_t) -> String? {
        var minor: OM_uint32 = 0
        var buffer = gss_buffer_desc()
        guard gss_display_name(&minor, name, &buffer, nil) == GSS_S_COMPLETE else { return nil }
        defer { gss_release_buffer(&minor, &buffer) }
        return String(decoding: UnsafeRawBufferPointer(start: buffer.value, count: buffer.length), as: UTF8.self)
    }
}
