/* The station's revocation status in the index format `openssl ocsp -index` serves (the
 * index.txt of `openssl ca`), so that the OCSP URL the certificates name can be answered. */
#ifndef SK_CA_OCSP_H
#define SK_CA_OCSP_H

#include <openssl/x509.h>
#include <stddef.h>

#include "issuer/records/ledger.h"
#include "util/sk_err.h"

/* One line per certificate the ledger holds under the issuing CA `issuing`: "V" for one not
 * revoked, "R" with its revocation time and reason for one revoked (its issuance may be
 * verified, superseded, revoked or failed after signing); serial, expiry and subject come from
 * the certificate itself, so the index says what the responder will be asked about. Issuances
 * that never signed a certificate are left out (the responder answers "unknown" for them).
 * *text is heap, NUL-terminated. */
typedef struct ca_ocsp_counts {
    size_t good, revoked;
} ca_ocsp_counts;
int ca_ocsp_index(ledger *l, X509 *issuing, char **text, size_t *len, ca_ocsp_counts *n, sk_err *e);

#endif
