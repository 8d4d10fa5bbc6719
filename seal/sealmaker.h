/* The seal maker: the CA's SM2 seal-making key and certificate, issued by an SM2 root.
 *
 * sealmaker_init creates the hierarchy in a directory; sealmaker_open loads it for signing.
 * Signing goes through the sign function pointer of struct sealmaker, so an SM2-capable
 * HSM can provide a maker later without the seal builder changing. */
#ifndef SEALMAKER_H
#define SEALMAKER_H

#include <stddef.h>

#include <openssl/x509.h>

#include "util/sk_err.h"

#define SEALMAKER_ROOT_KEY "seal-root.key"
#define SEALMAKER_ROOT_CRT "seal-root.crt"
#define SEALMAKER_KEY "seal-maker.key"
#define SEALMAKER_CRT "seal-maker.crt"

typedef struct sealmaker sealmaker;

struct sealmaker {
    X509 *cert; /* the maker certificate, written into each seal (SESeal.cert) */
    X509 *root; /* its issuer when known, else NULL */
    /* Sign tbs with SM2-with-SM3 and the SM2 ID 1234567812345678. *sig is a DER
     * SEQUENCE { r, s } to release with OPENSSL_free. */
    int (*sign)(const sealmaker *m, const unsigned char *tbs, size_t tbs_len, unsigned char **sig,
                size_t *sig_len, sk_err *e);
    void (*free_key)(void *key); /* releases key; may be NULL */
    void *key;                   /* the backend's key handle */
};

/* Create in dir (made 0700 if missing): seal-root.key + seal-root.crt (self-signed SM2 root,
 * 20 years) and seal-maker.key + seal-maker.crt (SM2, issued by the root, 10 years). Keys are
 * PKCS#8 PEM encrypted with AES-256-CBC under passphrase, mode 0600; certificates 0644.
 * Refuses (SK_ESTATE) if any of the four files exists; each is created exclusively, so a
 * concurrent init fails rather than overwrites. org_name goes into the subjects. */
int sealmaker_init(const char *dir, const char *passphrase, const char *org_name, sk_err *e);

/* Load the maker key and certificate (and the root certificate when present) from dir.
 * SK_EPIN for a wrong passphrase; SK_ECRYPTO naming the files when the maker key does not
 * match its certificate, the maker certificate is not signed by the root, or seal-root.key
 * (when present) does not match the root certificate. */
int sealmaker_open(const char *dir, const char *passphrase, sealmaker **out, sk_err *e);

void sealmaker_free(sealmaker *m);

#endif
