/* The seal maker's PEM files (seal/sealmaker.c, seal/sealmaker_request.c), written one way. */
#ifndef SEALMAKER_PEM_H
#define SEALMAKER_PEM_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/sk_err.h"

/* Create dir/file as PEM holding key (PKCS#8, AES-256 under passphrase, mode 0600) if key is
 * given, else cert if given, else req (mode 0644). Through sk_file_create_atomic, with its
 * final mode and never over an existing file: a second run racing this one fails rather than
 * swapping a key in. SK_ECRYPTO "PATH: cannot encode", or sk_file_create_atomic's error. */
int sealmaker_write_pem(const char *dir, const char *file, EVP_PKEY *key, X509 *cert,
                        X509_REQ *req, const char *passphrase, sk_err *e);

#endif
