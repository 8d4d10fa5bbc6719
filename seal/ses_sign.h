/* GB/T 38540 document signatures (SES_Signature v4): a seal holder signs a document with its
 * SM2 key and its seal.
 *
 *   SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING (the signer's certificate),
 *       signatureAlgID OBJECT IDENTIFIER (SM2-with-SM3), signature BIT STRING,
 *       timeStamp [0] BIT STRING OPTIONAL }
 *   TBS_Sign ::= SEQUENCE { version INTEGER (4), eseal SESeal (stored unchanged),
 *       timeInfo GeneralizedTime, dataHash BIT STRING (SM3 of the document's bytes),
 *       propertyInfo IA5String (what was signed, e.g. the file name),
 *       extDatas [0] ExtensionDatas OPTIONAL }
 *
 * The signature is SM2-with-SM3 with the SM2 ID 1234567812345678 over the DER of toSign as
 * stored; a verifier checks the document's hash, the signature, and that the signer's
 * certificate is in the seal's certList (docs/seal-format.md, "Document signatures"). */
#ifndef SES_SIGN_H
#define SES_SIGN_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "seal/ses.h"
#include "util/sk_err.h"

#define SES_DOC_HASH_LEN 32 /* SM3 */

/* Who signs: the signer's certificate and its key, behind a callback so that the key can be
 * a software key, a PKCS#11 key through libp11 (ses_signer_evp) or an SKF device later.
 * sign() gets both the message (DER of toSign) and its SM2 digest e = SM3(Z || msg) for the
 * certificate's key (GM/T 0009, SM2 ID 1234567812345678): a key that signs messages
 * (EVP_DigestSign) uses msg, a device that signs a hash (SKF_ECCSignData) uses digest. It
 * returns the signature as DER SEQUENCE { r, s } in *sig (OPENSSL_malloc'd; an SKF backend
 * converts its ECCSIGNATUREBLOB), or a status with e filled. */
typedef struct ses_signer {
    X509 *cert;
    int (*sign)(void *ctx, const unsigned char *msg, size_t msg_len,
                const unsigned char digest[SES_DOC_HASH_LEN], unsigned char **sig, size_t *sig_len,
                sk_err *e);
    void *ctx;
} ses_signer;

/* A signer over an SM2 EVP_PKEY (software, or a token key through libp11): ctx = key. Neither
 * key nor cert is copied; both must outlive the signer. */
void ses_signer_evp(EVP_PKEY *key, X509 *cert, ses_signer *out);

/* SM3 of a file's bytes, read in pieces (documents may be large). SK_EINPUT naming the file
 * when it cannot be read. */
int ses_doc_hash_file(const char *path, unsigned char out[SES_DOC_HASH_LEN], sk_err *e);

typedef struct ses_sign_params {
    const unsigned char *seal; /* the seal (.esl) exactly as stored: a v4/v5 SESeal */
    size_t seal_len;
    unsigned char doc_hash[SES_DOC_HASH_LEN]; /* ses_doc_hash_file of the document */
    const char *property; /* propertyInfo: 1..255 printable ASCII, e.g. the file name */
    time_t time;          /* timeInfo; 0 = now */
} ses_sign_params;

/* Make a v4 SES_Signature. Refused before signing (SK_EINPUT, naming what): a seal that does
 * not parse or is not v4/v5, a signer certificate that is not SM2 or not in the seal's
 * certList, a time outside the seal's or the certificate's validity. After signing, the result
 * is parsed back and its signature verified with the certificate: a key that does not match
 * the certificate gives SK_ECRYPTO. *der is OPENSSL_malloc'ed. */
int ses_signature_build(const ses_sign_params *p, const ses_signer *signer, unsigned char **der,
                        size_t *der_len, sk_err *e);

/* A decoded v4 SES_Signature. */
typedef struct ses_signature {
    ses_seal *seal;     /* toSign.eseal, parsed */
    unsigned char *tbs; /* DER of toSign as stored: what the signature covers */
    size_t tbs_len;
    time_t time;
    char time_text[SES_TIME_TEXT];
    unsigned char *data_hash;
    size_t data_hash_len;
    char *property;
    X509 *cert; /* the signer's certificate */
    unsigned char *cert_der;
    size_t cert_der_len;
    char sign_alg_oid[128];
    unsigned char *signature; /* DER SEQUENCE { r, s } (converted from raw r || s) */
    size_t signature_len;
    int has_time_stamp;
} ses_signature;

/* Decode a v4 SES_Signature (v1 ones are read by ses_seal_parse for their seal only:
 * SK_EINPUT here). SK_EINPUT naming the field for anything malformed. */
int ses_signature_parse(const unsigned char *der, size_t len, const char *name, ses_signature **out,
                        sk_err *e);
void ses_signature_free(ses_signature *sg);

/* Is the certificate (DER) in the seal's certList? certListType 1 compares certificates, 2
 * the digests under the algorithm the list names. */
int ses_cert_in_list(const ses_seal *s, const unsigned char *der, size_t der_len);

/* The document checks (SES_DOC_*), added to r after ses_seal_verify filled it for sg->seal:
 * doc_hash is the document's SM3 (ses_doc_hash_file), or NULL when no document was given (the
 * document check is then skipped and r->unverified set). Failed checks count in r->n_failed;
 * SK_EFAIL naming them, SK_OK otherwise, another code when checking itself went wrong. */
int ses_signature_verify(const ses_signature *sg, const unsigned char *doc_hash,
                         ses_verify_result *r, sk_err *e);

#endif
