// MIT Kerberos' GSS-API (Debian libkrb5-dev), behind Kerberos authentication in IKE
// (`Kerberos.GSSAPIKerberos`). The helpers here take what Swift finds awkward in the C API:
// credential stores (arrays of key/value structs), buffers and the krb5 mechanism's OID.
#ifndef WARD_CGSSAPI_SHIM_H
#define WARD_CGSSAPI_SHIM_H
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <string.h>

/// gss_acquire_cred_from with the credential store MIT documents ("client_keytab",
/// "keytab", "ccache"; gss_store_cred_into(3)); a NULL value leaves that key out.
static inline OM_uint32 ward_gss_acquire(OM_uint32 *minor, gss_name_t name, gss_cred_usage_t usage,
                                         const char *client_keytab, const char *keytab, const char *ccache,
                                         gss_cred_id_t *cred) {
    gss_key_value_element_desc elements[3];
    OM_uint32 count = 0;
    if (client_keytab) { elements[count].key = "client_keytab"; elements[count].value = client_keytab; count++; }
    if (keytab) { elements[count].key = "keytab"; elements[count].value = keytab; count++; }
    if (ccache) { elements[count].key = "ccache"; elements[count].value = ccache; count++; }
    gss_key_value_set_desc store = { count, elements };
    gss_OID_set_desc mechs = { 1, (gss_OID)gss_mech_krb5 };
    return gss_acquire_cred_from(minor, name, GSS_C_INDEFINITE, &mechs, usage, &store, cred, NULL, NULL);
}

/// Imports `text` as a Kerberos principal name ("HOST2$@WARD.TEST") or, when `hostbased`,
/// as a host-based service ("host@host2.ward.test").
static inline OM_uint32 ward_gss_import_name(OM_uint32 *minor, const char *text, int hostbased, gss_name_t *name) {
    gss_buffer_desc buffer = { strlen(text), (void *)text };
    return gss_import_name(minor, &buffer, hostbased ? GSS_C_NT_HOSTBASED_SERVICE : (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, name);
}

static inline gss_OID ward_gss_mech_krb5(void) { return (gss_OID)gss_mech_krb5; }
static inline gss_buffer_desc ward_gss_buffer(void *bytes, size_t length) { gss_buffer_desc b = { length, bytes }; return b; }
static inline OM_uint32 ward_gss_routine_error(OM_uint32 major) { return GSS_ROUTINE_ERROR(major); }
static inline OM_uint32 ward_gss_flags(void) {
    // draft-ietf-ipsec-isakmp-gss-auth-07 §3: mutual and integrity MUST, confidentiality
    // SHOULD; sequence checking makes a replayed wrap token fail (racoon asks the same).
    return GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
}
// The status codes are shifted-expression macros Swift does not import.
static const OM_uint32 WARD_GSS_S_CONTINUE_NEEDED = GSS_S_CONTINUE_NEEDED;
static const OM_uint32 WARD_GSS_S_DUPLICATE_TOKEN = GSS_S_DUPLICATE_TOKEN;
static const OM_uint32 WARD_GSS_S_OLD_TOKEN = GSS_S_OLD_TOKEN;
static const OM_uint32 WARD_GSS_S_NO_CRED = GSS_S_NO_CRED;
static const OM_uint32 WARD_GSS_S_CREDENTIALS_EXPIRED = GSS_S_CREDENTIALS_EXPIRED;
static const OM_uint32 WARD_GSS_S_CONTEXT_EXPIRED = GSS_S_CONTEXT_EXPIRED;
static const OM_uint32 WARD_GSS_S_BAD_SIG = GSS_S_BAD_SIG;
static const OM_uint32 WARD_GSS_S_DEFECTIVE_TOKEN = GSS_S_DEFECTIVE_TOKEN;
static const OM_uint32 WARD_GSS_S_BAD_NAME = GSS_S_BAD_NAME;
static const OM_uint32 WARD_GSS_S_BAD_NAMETYPE = GSS_S_BAD_NAMETYPE;
#endif
