/* SM2 signatures on X.509 objects (certificates, CRLs, requests) with the GM/T 0009 user ID.
 *
 * OpenSSL 3.0 signs and verifies SM2 with an empty user ID unless one is set, while every
 * Chinese CA, seal producer and SKF token uses "1234567812345678" (GM/T 0009 default). The
 * ID goes into the Z value hashed before the message, so a certificate signed without it
 * verifies nowhere else. These helpers pick SM2-with-SM3 plus the ID for an SM2 key and
 * ECDSA/RSA with SHA-256 for any other key, so the CA code signs one way for both. */
#ifndef SK_SM2_H
#define SK_SM2_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/sk_err.h"

#define SK_SM2_ID "1234567812345678"

/* Is this an SM2 key? */
int sk_sm2_is_key(const EVP_PKEY *key);

/* A digest-sign context for key: SM3 with the SM2 ID for an SM2 key, SHA-256 otherwise. */
int sk_sm2_sign_ctx(EVP_PKEY *key, EVP_MD_CTX **out, sk_err *e);

/* Sign with key (see above). SK_ECRYPTO with OpenSSL's reason on failure. */
int sk_x509_sign(X509 *x, EVP_PKEY *key, sk_err *e);
int sk_crl_sign(X509_CRL *crl, EVP_PKEY *key, sk_err *e);
int sk_req_sign(X509_REQ *req, EVP_PKEY *key, sk_err *e);

/* Give an SM2-with-SM3 signed certificate or request the ID, so that X509_verify,
 * X509_REQ_verify and chain building check it the way it was signed. A no-op for others. */
int sk_sm2_cert_set_id(X509 *x, sk_err *e);
int sk_sm2_req_set_id(X509_REQ *req, sk_err *e);

/* X509_CRL_verify, but an SM2-with-SM3 CRL is checked with the ID (OpenSSL 3.0 has no way to
 * give a CRL one). 1 when pub signed it, 0 otherwise; clears OpenSSL's error queue. */
int sk_crl_verify(X509_CRL *crl, EVP_PKEY *pub);

/* SM2-with-SM3 signature with the ID over msg (DER SEQUENCE {r, s} into *sig, OPENSSL_malloc'd)
 * and its check (SK_OK, SK_EFAIL for a signature that does not verify, SK_ECRYPTO). */
int sk_sm2_sign(EVP_PKEY *key, const unsigned char *msg, size_t len, unsigned char **sig,
                size_t *sig_len, sk_err *e);
int sk_sm2_verify(EVP_PKEY *pub, const unsigned char *msg, size_t len, const unsigned char *sig,
                  size_t sig_len, sk_err *e);

/* e = SM3(Z || msg), Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) for pub's key
 * (GM/T 0009 with the SM2 ID): what an SM2 signature over msg signs. For a device that signs
 * a hash (SKF_ECCSignData); EVP_DigestSign computes the same inside. */
int sk_sm2_digest(EVP_PKEY *pub, const unsigned char *msg, size_t len, unsigned char e_out[32],
                  sk_err *e);
/* The same with another user ID (NULL: SK_SM2_ID), up to 8191 bytes (SK_EINPUT beyond). */
int sk_sm2_digest_id(EVP_PKEY *pub, const char *id, const unsigned char *msg, size_t len,
                     unsigned char e_out[32], sk_err *e);

#endif
