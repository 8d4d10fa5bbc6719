/* The seal maker of a station whose SM2 root is kept by the CA elsewhere: a key and a
 * PKCS#10 request made here, the certificate that comes back installed after checks. */
#ifndef SEALMAKER_REQUEST_H
#define SEALMAKER_REQUEST_H

#include "seal/sealmaker.h"

#define SEALMAKER_CSR "seal-maker.csr"

/* Create in dir seal-maker.key (SM2, PKCS#8 encrypted under passphrase, 0600) and
 * seal-maker.csr (0644; subject O=org_name, CN="<org_name> Seal Maker"; signed SM2 with SM3
 * and the SM2 ID). SK_ESTATE if either exists. */
int sealmaker_request(const char *dir, const char *passphrase, const char *org_name, sk_err *e);

/* Check and install cert_path as seal-maker.crt and root_path as seal-root.crt in dir: the
 * certificate's key is seal-maker.key (decrypted with passphrase), it is not a CA and may
 * sign (digitalSignature or nonRepudiation when keyUsage is present), it is signed by the
 * root, the root is a self-signed SM2 CA. SK_ECRYPTO naming the file otherwise; SK_ESTATE
 * without a request or with a certificate installed already. */
int sealmaker_import(const char *dir, const char *passphrase, const char *cert_path,
                     const char *root_path, sk_err *e);

#endif
