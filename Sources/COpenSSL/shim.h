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
#endif
