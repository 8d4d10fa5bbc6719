/* Electronic seals for an order: its scans turned into seal pictures, and the signed
 * GB/T 38540 seals that bind them to the order's certificate. Used by the issuance and by
 * `sealkey seal make`. */
#ifndef SK_ISSUE_SEAL_H
#define SK_ISSUE_SEAL_H

#include <openssl/x509.h>
#include <stddef.h>

#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "seal/sealmaker.h"
#include "seal/ses.h"
#include "util/sk_err.h"

/* The CKO_DATA objects seals are stored in on the token. */
#define ISSUE_SEAL_APPLICATION "GB/T 38540 SES_Seal v4"

typedef struct issue_seal {
    const char *kind;       /* "official" or "legal-rep" */
    long type;              /* SES_TYPE_OFFICIAL / SES_TYPE_LEGAL_REP */
    int size_mm;            /* physical size of the picture */
    unsigned char *png;     /* the cleaned seal picture */
    size_t png_len;
    unsigned char *der;     /* the signed seal */
    size_t der_len;
    char es_id[SES_ESID_MAX];
    char sha256[65];        /* hex of der */
    char label[64];         /* token object label: "official seal" */
} issue_seal;

/* The seals an order gets: official always, legal-rep when its scan is given. */
#define ISSUE_MAX_SEALS 2

/* Turn the order's scans into pictures (the quality gate may refuse a scan: SK_EINPUT naming
 * the order, the field and the reason). *n receives the number of seals. */
int issue_seal_pictures(const order *o, const station_project *p, issue_seal *seals, size_t *n,
                        sk_err *e);

/* Picture for one kind ("official" / "legal-rep") from the order's scan of it. */
int issue_seal_picture_scan(const order *o, const station_project *p, const char *kind,
                            issue_seal *s, sk_err *e);

/* Picture for one kind from a PNG the operator supplies (checked to be a PNG). */
int issue_seal_picture_png(const char *kind, const station_project *p, const char *png_path,
                           issue_seal *s, sk_err *e);

/* Build and sign the seal for the certificate: esID fresh, name = unit name (official) or
 * legal representative (legal-rep), validity = the certificate's, ExtData USCC+unit name. */
int issue_seal_build(const sealmaker *maker, const order *o, X509 *cert, issue_seal *s,
                     sk_err *e);

/* Check a seal read back (from a token or file): parses, verifies (signature, validity now,
 * maker chain to the seal root certificate file, picture), and carries exactly this
 * certificate. */
int issue_seal_check(const char *seal_root, const unsigned char *der, size_t der_len, X509 *cert,
                     const char *what, sk_err *e);

void issue_seal_clear(issue_seal *s);

#endif
