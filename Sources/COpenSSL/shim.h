// The parts of the system libcrypto (OpenSSL 3, Debian libssl-dev) that Transforms uses.
// The low-level DES API is deprecated in OpenSSL 3 but is the one way to single DES without
// loading the legacy provider; the low-level digest API (MD5_CTX, SHA_CTX, …) keeps a digest's
// state in a plain struct that HMAC can copy without allocating. Both are deprecated, not
// removed; the deprecation warnings are silenced here on purpose.
#ifndef WARD_COPENSSL_SHIM_H
#define WARD_COPENSSL_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/des.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/bn.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/decoder.h>
#include <openssl/x509.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/rsa.h>
// Parameter names as C strings with static storage: OSSL_PARAM_BLD keeps the key pointers until
// OSSL_PARAM_BLD_to_param, so Swift's temporary C strings for the macro constants would dangle.
static const char *const WARD_PARAM_FFC_P = OSSL_PKEY_PARAM_FFC_P;
static const char *const WARD_PARAM_FFC_G = OSSL_PKEY_PARAM_FFC_G;
static const char *const WARD_PARAM_PUB_KEY = OSSL_PKEY_PARAM_PUB_KEY;
static const char *const WARD_PARAM_GROUP_NAME = OSSL_PKEY_PARAM_GROUP_NAME;
static const char *const WARD_PARAM_DH_PRIV_LEN = OSSL_PKEY_PARAM_DH_PRIV_LEN;
static const char *const WARD_CURVE_P256 = "P-256";
static const char *const WARD_CURVE_P384 = "P-384";

// Selection masks that are composite macros, which Swift cannot import.
static const int WARD_EVP_PKEY_PUBLIC_KEY = EVP_PKEY_PUBLIC_KEY;
static const int WARD_EVP_PKEY_KEY_PARAMETERS = EVP_PKEY_KEY_PARAMETERS;
static const int WARD_EVP_PKEY_KEYPAIR = EVP_PKEY_KEYPAIR;
// BIO_get_mem_data is a macro over BIO_ctrl.
static inline long ward_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
#endif
