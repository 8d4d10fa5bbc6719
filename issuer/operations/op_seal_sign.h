/* seal sign: a GB/T 38540 document signature (SES_Signature v4) over a file, made with the
 * seal holder's SM2 key and its seal (seal/ses_sign.h). Prints nothing. */
#ifndef OP_SEAL_SIGN_H
#define OP_SEAL_SIGN_H

#include "seal/ses.h"
#include "util/sk_err.h"

typedef struct op_sign_req {
    const char *seal_path; /* the seal (.esl): a v4/v5 SESeal whose certList holds cert */
    const char *cert_path; /* the signer's certificate, PEM */
    const char *doc_path;  /* the document: its bytes are hashed (SM3) and signed */
    const char *out_path;  /* the SES_Signature (DER), created: never over an existing file */
    const char *key;       /* "pkcs11:..." (RFC 7512, object= or id=), "skf:DEV/APP/CON"
                              (an SKF device's container) or a PKCS#8 PEM file */
    const char *module;    /* PKCS#11 module of a pkcs11: key, SKF library of an skf: key
                              (required then) */
    const char *secret;    /* the key file's passphrase, or the token's user PIN */
    const char *property;  /* propertyInfo; NULL: the document's file name if printable ASCII
                              (at most 255 bytes), else "document" */
} op_sign_req;

typedef struct op_sign_result {
    char es_id[128];          /* the seal's */
    char time[SES_TIME_TEXT]; /* timeInfo */
    char property[256];
    char signer[256]; /* the certificate's subject CN */
} op_sign_result;

/* What op_seal_sign_prepare found, for op_seal_sign; op_seal_sign_clear releases it. */
typedef struct op_sign {
    const op_sign_req *req;
    unsigned char *seal;
    size_t seal_len;
    void *cert; /* X509 */
    unsigned char doc_hash[32];
    op_sign_result res;
} op_sign;

/* Everything checkable before the key's secret is read, so that a bad file never costs a PIN
 * try: SK_ESTATE when out_path exists; SK_EINPUT naming the file for an unreadable seal,
 * certificate or document, a seal that is not v4/v5, a certificate that is not SM2 or not in
 * the seal's certList. */
int op_seal_sign_prepare(const op_sign_req *req, op_sign *st, sk_err *e);

/* Sign with the key (req->secret: its passphrase or PIN) and write out_path: SK_EINPUT for a
 * key that is not SM2 (PKCS#11 tokens such as SoftHSM have none), SK_EPIN for a wrong
 * passphrase or PIN, SK_ECRYPTO for a key that is not the certificate's, SK_EINPUT for a time
 * outside the seal's or certificate's validity. Nothing is written unless all went well. */
int op_seal_sign(op_sign *st, sk_err *e);
void op_seal_sign_clear(op_sign *st);

/* op_seal_sign for an skf: key (op_seal_sign_skf.c): the container's signing key on the
 * device signs through skf_sign, after the user PIN (req->secret) is verified. */
int op_seal_sign_skf(op_sign *st, sk_err *e);

#endif
