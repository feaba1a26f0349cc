// OpenLDAP's libldap (Debian libldap-dev) with Cyrus SASL (libsasl2-dev), for the directory
// client in `Directory`. The SASL interaction callback lives here because libldap calls it
// from C: with GSSAPI every credential comes from the Kerberos ticket cache, so it answers each
// prompt with its default (an empty authorisation identity: act as the ticket's principal).
#ifndef WARD_CLDAP_SHIM_H
#define WARD_CLDAP_SHIM_H
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <lber.h>
#include <sasl/sasl.h>

static inline int ward_sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in) {
    (void)ld; (void)flags; (void)defaults;
    sasl_interact_t *interact = (sasl_interact_t *)in;
    for (; interact->id != SASL_CB_LIST_END; interact++) {
        interact->result = interact->defresult ? interact->defresult : "";
        interact->len = (unsigned)strlen((const char *)interact->result);
    }
    return LDAP_SUCCESS;
}

/// A SASL GSSAPI bind with the caller's Kerberos credentials, non-interactive.
static inline int ward_ldap_gssapi_bind(LDAP *ld) {
    return ldap_sasl_interactive_bind_s(ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
                                        ward_sasl_interact, NULL);
}

// Option setters with the value types libldap expects (the C API is variadic-by-pointer).
static inline int ward_ldap_set_int(LDAP *ld, int option, int value) {
    return ldap_set_option(ld, option, &value);
}
/// Referrals off: LDAP_OPT_REFERRALS takes LDAP_OPT_OFF itself, not a pointer to 0 (any
/// non-NULL pointer turns chasing on, and a chased referral binds anonymously).
static inline int ward_ldap_referrals_off(LDAP *ld) {
    return ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
}
static inline int ward_ldap_set_string(LDAP *ld, int option, const char *value) {
    return ldap_set_option(ld, option, value);
}
static inline int ward_ldap_set_timeout(LDAP *ld, int option, long seconds) {
    struct timeval tv = { .tv_sec = seconds, .tv_usec = 0 };
    return ldap_set_option(ld, option, &tv);
}
static inline const char *ward_ldap_diagnostic(LDAP *ld) {
    char *message = NULL;
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message);
    return message;
}
static inline int ward_ldap_ssf(LDAP *ld) {
    sasl_ssf_t ssf = 0;
    if (ldap_get_option(ld, LDAP_OPT_X_SASL_SSF, &ssf) != LDAP_OPT_SUCCESS) return -1;
    return (int)ssf;
}

/// A synchronous search with the LDAP_SERVER_SD_FLAGS control ([MS-ADTS] §3.1.1.3.4.1.11)
/// asking for the DACL only (value 4, BER SEQUENCE { INTEGER 4 }): what a computer account may
/// read of a GPO's nTSecurityDescriptor.
static inline int ward_ldap_search_dacl(LDAP *ld, const char *base, int scope, const char *filter, char **attrs,
                                        LDAPMessage **result) {
    static char value[] = { 0x30, 0x03, 0x02, 0x01, 0x04 };
    struct berval ber = { .bv_len = sizeof value, .bv_val = value };
    LDAPControl *control = NULL;
    int rc = ldap_control_create("1.2.840.113556.1.4.801", 1, &ber, 1, &control);
    if (rc != LDAP_SUCCESS) return rc;
    LDAPControl *controls[] = { control, NULL };
    rc = ldap_search_ext_s(ld, base, scope, filter, attrs, 0, controls, NULL, NULL, LDAP_NO_LIMIT, result);
    ldap_control_free(control);
    return rc;
}
#endif
