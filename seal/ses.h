/* GB/T 38540 electronic seals (SES_Seal): read v1/v4/v5, verify, and build + sign v4.
 *
 * The format and the signing rule are described in docs/seal-format.md. In short: the seal
 * maker signs, with SM2-with-SM3 and the user ID "1234567812345678", the DER of eSealInfo
 * (v4/v5) or of SEQUENCE { SES_SealInfo, cert, signatureAlgorithm } (v1), exactly as those
 * bytes stand in the file. ses_seal_parse keeps them; nothing is re-encoded before verifying. */
#ifndef SES_H
#define SES_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "util/sk_err.h"

struct sealmaker;

#define SES_SM2_ID "1234567812345678"
#define SES_OID_SM2_SM3 "1.2.156.10197.1.501"
#define SES_OID_UNIT_ID "1.2.156.112600.7.1" /* ExtData: "USCC+name" as UTF-8 */
#define SES_MAX_FILE (16u * 1024 * 1024)     /* a seal file larger than this is refused */
#define SES_ESID_MAX 40
#define SES_TIME_TEXT 24                     /* "2020-04-22T02:09:00Z" + NUL */

enum ses_seal_type {
    SES_TYPE_OFFICIAL = 1,  /* 公章, official unit seal */
    SES_TYPE_FINANCE = 2,
    SES_TYPE_INVOICE = 3,
    SES_TYPE_CONTRACT = 4,
    SES_TYPE_LEGAL_REP = 5, /* 法人章, legal representative's name seal */
    SES_TYPE_OTHER = 99,
};

/* One certList entry. certListType 1: der is a certificate and x509 its decoding.
 * certListType 2: der is a digest, digest_type its algorithm name, x509 NULL. */
typedef struct ses_cert_ref {
    unsigned char *der;
    size_t der_len;
    X509 *x509;
    char *digest_type;
} ses_cert_ref;

typedef struct ses_ext {
    char oid[128]; /* dotted text */
    int critical;
    unsigned char *value;
    size_t value_len;
} ses_ext;

/* A decoded seal. Every string is NUL-terminated, checked (IA5 is ASCII, name is UTF-8) and
 * owned by the seal. */
typedef struct ses_seal {
    int format_version;   /* 1, 4 or 5: from the structure, 5 = v4 layout with header version 5 */
    int header_version;   /* as written in the header (v1 producers also write 2) */
    int in_signature;     /* 0, or 1/4: the seal was taken out of a v1/v4 SES_Signature */
    char *header_id;      /* "ES" */
    char *vid;
    char *es_id;
    long type;
    char *name;
    int cert_list_type;   /* 1 certificates, 2 digests (v1: always 1) */
    ses_cert_ref *certs;
    size_t n_certs;
    time_t create_date, valid_start, valid_end;
    char create_text[SES_TIME_TEXT], valid_start_text[SES_TIME_TEXT], valid_end_text[SES_TIME_TEXT];
    char *picture_type;   /* as written: "PNG", "png", "ofd", ... */
    unsigned char *picture;
    size_t picture_len;
    long width_mm, height_mm;
    ses_ext *exts;
    size_t n_exts;
    X509 *maker_cert;
    unsigned char *maker_der;
    size_t maker_der_len;
    char sign_alg_oid[128];
    unsigned char *signed_bytes; /* exactly what the maker's signature covers */
    size_t signed_len;
    unsigned char *signature;    /* DER SEQUENCE { r, s } (converted when stored raw) */
    size_t signature_len;
    int signature_was_raw;       /* the file held a raw 64-byte r || s */
    int has_time_stamp;          /* v5 timeStamp present (not checked) */
} ses_seal;

/* Decode a seal file: a v1, v4 or v5 SESeal (told apart by structure), or a v1/v4
 * SES_Signature, from which the seal inside toSign is taken. name_for_errors names the input
 * in messages. SK_EINPUT with the field named for anything malformed, including trailing
 * bytes. */
int ses_seal_parse(const unsigned char *der, size_t len, const char *name_for_errors,
                   ses_seal **out, sk_err *e);
/* ses_seal_parse on a file read with the SES_MAX_FILE limit. */
int ses_seal_read_file(const char *path, ses_seal **out, sk_err *e);
void ses_seal_free(ses_seal *s);

enum ses_check_id {
    SES_CHECK_SIGNATURE,   /* maker's signature over signed_bytes */
    SES_CHECK_VALIDITY,    /* validStart <= time <= validEnd */
    SES_CHECK_MAKER_CERT,  /* maker certificate within its validity at the check time */
    SES_CHECK_CHAIN,       /* maker certificate chains to the trusted file (skipped without one) */
    SES_CHECK_PICTURE,     /* picture bytes match the type and the header decodes */
    SES_CHECK_HOLDER,      /* holder certificates chain to the trusted CA file at the time */
    SES_CHECK_REVOCATION,  /* holder certificates (and their CAs) on none of the CRLs given */
    SES_CHECK_COUNT
};

enum ses_check_state { SES_CHECK_SKIPPED = -1, SES_CHECK_PASSED = 0, SES_CHECK_FAILED = 1 };

typedef struct ses_check {
    const char *name;  /* "signature", "validity", "maker-cert", "chain", "picture", "holder",
                          "revocation" */
    int state;
    char detail[512];
} ses_check;

/* The document signature of an SES_Signature (seal/ses_sign.h: ses_signature_verify), checked
 * after the seal inside it. */
enum ses_doc_check_id {
    SES_DOC_DOCUMENT,  /* toSign.dataHash = SM3 of the document's bytes */
    SES_DOC_SIGNATURE, /* signer's SM2-with-SM3 signature over DER(toSign) as stored */
    SES_DOC_SIGNER,    /* the signer's certificate is in the seal's certList */
    SES_DOC_TIME,      /* timeInfo within the seal's and the signer certificate's validity */
    SES_DOC_CHECK_COUNT
};

#define SES_MAX_CRL_FILES 8
typedef struct ses_verify_opts {
    time_t at;           /* the check time; 0 = now */
    const char *ca_file; /* trusted certificates (PEM) for the maker chain; NULL = no chain check */
    const char *name;    /* names the seal in messages; NULL = "seal" */
    /* Trusted CA certificates (PEM: the root, and intermediates) for the holder certificates
     * in certList; NULL = holder not checked. */
    const char *holder_ca_file;
    /* CRL files (PEM or DER) for the holder chain: each holder certificate must be on none of
     * its issuer's CRLs, nor its CAs on theirs; a CRL past its next update fails the check. */
    const char *crl_files[SES_MAX_CRL_FILES];
    size_t n_crl_files;
} ses_verify_opts;

typedef struct ses_verify_result {
    time_t at;
    ses_check check[SES_CHECK_COUNT];
    int n_failed;
    long picture_px_width, picture_px_height; /* from the image header when decoded, else 0 */
    /* Nothing failed, but a trust check was skipped (no maker anchor, no holder anchor or no
     * CRL): the seal is not "valid", only "not verified"; summary says what was and was not
     * checked, e.g. "signature by the seal maker's key OK; maker certificate NOT checked
     * against any trust anchor; holder certificate NOT checked". */
    int unverified;
    char summary[768];
    /* Set by ses_signature_verify for an SES_Signature: its document checks, counted in
     * n_failed and unverified (no document given) like the seal's. */
    int has_doc;
    ses_check doc_check[SES_DOC_CHECK_COUNT];
} ses_verify_result;

/* Run every check (one failing does not stop the others) and fill r. Returns SK_OK when no
 * check failed (then r->unverified tells whether trust was established: a caller that
 * reports validity must look at it), SK_EFAIL with e naming every failed check, or another
 * code (e.g. SK_EIO for an unreadable ca_file, SK_ECRYPTO) when checking itself went wrong. */
int ses_seal_verify(const ses_seal *s, const ses_verify_opts *o, ses_verify_result *r, sk_err *e);

/* The picture check alone: type vs magic bytes, and for PNG the IHDR. SK_OK or SK_EFAIL with
 * the reason in detail; px dimensions are set when known. */
int ses_picture_check(const char *type, const unsigned char *data, size_t len, long *px_w,
                      long *px_h, char *detail, size_t detail_len);

typedef struct ses_seal_params {
    const char *vid;         /* vendor id, ASCII, e.g. "sealkey" */
    const char *es_id;       /* ASCII; see ses_esid_new */
    long type;               /* SES_TYPE_OFFICIAL or SES_TYPE_LEGAL_REP (1..99 accepted) */
    const char *name;        /* UTF-8, e.g. the unit name */
    X509 *holder_cert;       /* the organisation's certificate: certList, certListType 1 */
    time_t create_date, valid_start, valid_end;
    const unsigned char *picture;
    size_t picture_len;
    const char *picture_type; /* "PNG" */
    long width_mm, height_mm;
    const char *uscc;        /* with unit_name: ExtData SES_OID_UNIT_ID = uscc "+" unit_name; */
    const char *unit_name;   /*   both NULL: no extDatas */
} ses_seal_params;

/* Encode a v4 seal and sign DER(eSealInfo) with the maker. *der is OPENSSL_malloc'ed. The
 * result is parsed back and its signed bytes compared before it is returned. */
int ses_seal_build(const ses_seal_params *p, const struct sealmaker *maker, unsigned char **der,
                   size_t *der_len, sk_err *e);

/* A fresh seal code: a random (version 4) UUID as 32 lower-case hex digits without dashes,
 * the form ofdrw and most producers write. buflen >= SES_ESID_MAX. */
int ses_esid_new(char *buf, size_t buflen, sk_err *e);

/* sk_time_parse (util/sk_time.h) with "time" naming the input: RFC 3339 with a zone
 * ("2021-06-01T08:00:00+08:00", "...Z"), or a date alone ("2021-06-01", 00:00 UTC). */
int ses_time_parse(const char *text, time_t *out, sk_err *e);
/* t as "YYYY-MM-DDTHH:MM:SSZ"; buf needs SES_TIME_TEXT bytes. */
void ses_time_format(time_t t, char *buf, size_t buflen);

/* Describe a seal (and, when r is not NULL, the verification) as text lines or a JSON
 * document, for the CLI to print. *out is malloc'ed. */
int ses_seal_describe(const ses_seal *s, const char *file, const ses_verify_result *r, int json,
                      char **out, sk_err *e);

#endif
