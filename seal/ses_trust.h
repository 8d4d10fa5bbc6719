/* Internal to seal/: the trust checks of ses_seal_verify (seal/ses_verify.c): trusted
 * certificate files, and the holder (organisation) certificate's chain and revocation. */
#ifndef SES_TRUST_H
#define SES_TRUST_H

#include <openssl/x509_vfy.h>

#include "seal/ses.h"

void ses_set_check(ses_check *c, int state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Trusted certificates from a PEM file; each SM2-signed one gets the SM2 ID so that its
 * signature checks when it is an intermediate. */
int ses_load_store(const char *path, X509_STORE **out, sk_err *e);

/* A context that verifies cert against store at time at. cert is copied, since setting its
 * SM2 ID changes it and a seal is const. The caller frees *leaf and *ctx, on error too. */
int ses_chain_ctx(X509_STORE *store, const X509 *cert, time_t at, X509 **leaf,
                  X509_STORE_CTX **ctx, sk_err *e);

/* A certificate's serial in hex, and an ASN.1 time as ses_time_format writes it; "?" for
 * one that cannot be read. */
void ses_serial_hex(const ASN1_INTEGER *serial, char *buf, size_t len);
void ses_asn1_time_text(const ASN1_TIME *t, char *buf, size_t len);

/* The holder certificates of certList (type 1) against o->holder_ca_file at time at (chain,
 * validity), then each chain against the CRLs of o->crl_files: fills the holder and
 * revocation checks (skipped when no anchor or no CRL was given). Returns an error only when
 * checking itself went wrong (an unreadable file). */
int ses_check_holder(const ses_seal *s, const ses_verify_opts *o, time_t at, ses_check *holder,
                     ses_check *revocation, sk_err *e);

#endif
