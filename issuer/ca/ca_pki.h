/* A station inside the CA's own PKI (docs/pki.md): the issuing CA key made on the station,
 * its certificate signed elsewhere by the CA's offline root, so that no root key is ever on
 * the station. `ca request` makes the keys and PKCS#10 requests, `ca import` installs what
 * comes back after checking it; `ca init` (ca.h) stays for demos and tests. */
#ifndef SK_CA_PKI_H
#define SK_CA_PKI_H

#include "issuer/ca/ca.h"

/* Which way the station's CA came to be, from its files. */
typedef enum ca_mode {
    CA_MODE_NONE,       /* no CA files */
    CA_MODE_DEMO,       /* made by ca init: the root key (ca/root.key) is on the station */
    CA_MODE_REQUESTED,  /* ca request done: keys and requests, no certificate yet */
    CA_MODE_PRODUCTION, /* issuing certificate imported; no root key on the station */
    CA_MODE_EXTERNAL,   /* ca.signing "external": the CA's certificates, no CA key at all */
} ca_mode;

typedef struct ca_mode_info {
    ca_mode mode;
    bool seal_requested; /* seal-maker.csr waits for its certificate (seal-maker.crt absent) */
    bool seal_root_key;  /* seal-root.key (a seal-maker root key) is on the station */
} ca_mode_info;
int ca_mode_get(const station_config *st, ca_mode_info *out, sk_err *e);
const char *ca_mode_name(ca_mode m);

/* The request files `ca request` writes in <station>/ca. */
#define CA_ISSUING_CSR "issuing.csr"
#define CA_SEALMAKER_CSR "seal-maker.csr"

/* Make, under <station>/ca.lock, the issuing CA key (encrypted file ca/issuing.key, or on
 * the HSM of ca.key_uri) and the seal maker's SM2 key (ca/seal-maker.key), and a PKCS#10
 * request for each, signed by its key: ca/issuing.csr (subject C=CN, O=ca.name, CN="<name>
 * Issuing CA 1", asking for CA:TRUE,pathlen:0 and keyCertSign,cRLSign) and
 * ca/seal-maker.csr (SM2 with SM3 and the SM2 ID 1234567812345678). With ca.signing
 * "external" only the seal maker's: the CA's own system keeps the issuing key. Refuses
 * (SK_ESTATE) a station with any CA file or request already. Files are created exclusively. */
int ca_request(const station_config *st, sk_keyalg key_alg, const char *secret, tok_module *hsm,
               sk_err *e);

/* What `ca import` installs. cert+root and seal_cert+seal_root each come as a pair; either
 * pair may be NULL (imported later), not both. */
typedef struct ca_import_files {
    const char *cert;      /* the issuing CA certificate signed by the CA's root (or by a
                              policy CA); a bundle may follow it with the policy CAs */
    const char *chain;     /* or NULL: the policy CA certificate(s) between cert and root */
    const char *root;      /* that root: the trust anchor the operator got out of band */
    const char *seal_cert; /* the seal maker certificate, signed by seal_root */
    const char *seal_root; /* the SM2 seal root */
} ca_import_files;

/* Install the certificates that came back for `ca request`, under <station>/ca.lock, after
 * checking each (SK_ECRYPTO naming the file and the reason): the certificate's key is the
 * requested one and the station's key belongs to it (file key with the passphrase, or the
 * HSM key by a test signature); it is a CA certificate (basicConstraints CA:TRUE, critical;
 * keyUsage keyCertSign and cRLSign); it is signed by the root given, or through policy CAs
 * (chain, or after cert in its file: each a CA as above whose pathlen leaves room for the
 * CAs below it, each signed by the next, every one on the path), and verifies against the
 * root alone now; the root is a self-signed CA. The same for the seal maker (SM2 signatures
 * with the SM2 ID). Then root.crt, issuing.crt, chain.pem (issuing, policy CAs, root) and
 * seal-maker.crt,
 * seal-root.crt are created exclusively. SK_ESTATE when the station has no request, or has
 * the certificate already. With ca.signing "external" the issuing CA certificate is the
 * external CA's: no request or key of the station's to match, every other check the same. */
int ca_import(const station_config *st, const ca_import_files *f, const char *secret,
              tok_module *hsm, sk_err *e);

/* External signing (station.json ca.signing "external"): the CA whose certificates the
 * CA's own system signs, from ca/root.crt, issuing.crt and chain.pem, checked as ca_open
 * checks them, without a key (ca_issuing_key is NULL: nothing is signed here). */
int ca_open_certs(const station_config *st, ca **out, sk_err *e);

#endif
