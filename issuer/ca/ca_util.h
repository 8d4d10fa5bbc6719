/* Certificate-building helpers shared by the CA hierarchy and the organisation profile. */
#ifndef SK_CA_UTIL_H
#define SK_CA_UTIL_H

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <time.h>

#include "util/sk_err.h"
#include "util/sk_keyalg.h"

/* Add an extension from its OpenSSL config-string form ("critical,CA:FALSE"). */
int cau_add_ext(X509 *cert, X509 *issuer, int nid, const char *value, sk_err *e);

/* Add a UTF-8 name entry by NID (skipped when value is NULL or empty). */
int cau_name_add(X509_NAME *name, int nid, const char *value, sk_err *e);

/* Set serial (upper-case hex), validity [not_before, not_before + days]. */
int cau_set_serial_validity(X509 *cert, const char *serial_hex, time_t not_before, int days,
                            sk_err *e);

/* Hex of the certificate's SubjectKeyIdentifier (empty if none). */
void cau_ski_hex(X509 *cert, char *hex, size_t hexlen);

/* The URI of the certificate's first CRL distribution point, or NULL; OPENSSL_free it. */
char *cau_crl_dp(X509 *cert);

/* Generate a software key of the algorithm. */
int cau_keygen(sk_keyalg alg, EVP_PKEY **out, sk_err *e);

/* Format t as ISO 8601 UTC ("2026-11-25T18:00:00Z"). */
void cau_iso_time(time_t t, char *buf, size_t len);
/* The ASN1_TIME as ISO 8601 UTC. */
void cau_asn1_iso(const ASN1_TIME *t, char *buf, size_t len);

/* The certificate as PEM text in a heap buffer (NUL-terminated). */
int cau_cert_pem(X509 *cert, char **pem, size_t *len, sk_err *e);

/* Write certificates as concatenated PEM, atomically, mode 0644. */
int cau_write_certs(const char *path, X509 *const *certs, size_t n, sk_err *e);
/* The same, but only as a new file: SK_ESTATE if path exists (sk_file_create_atomic). */
int cau_create_certs(const char *path, X509 *const *certs, size_t n, sk_err *e);

#endif
