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

/* The holder certificates of certList (type 1) against o->holder_ca_file at time at (chain,
 * validity), then each chain against the CRLs of o->crl_files: fills the holder and
 * revocation checks (skipped when no anchor or no CRL was given). Returns an error only when
 * checking itself went wrong (an unreadable file). */
int ses_check_holder(const ses_seal *s, const ses_verify_opts *o, time_t at, ses_check *holder,
                     ses_check *revocation, sk_err *e);

#endif
