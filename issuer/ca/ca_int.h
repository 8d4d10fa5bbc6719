/* Inside issuer/ca/: what ca.c shares with the production set-up (ca_request.c, ca_import.c)
 * so that requested and imported CAs use the very key files, HSM keys and checks of ca init
 * and ca_open. */
#ifndef SK_CA_INT_H
#define SK_CA_INT_H

#include <stdbool.h>

#include "issuer/ca/ca.h"

/* <station>/ca/<name>. */
int ca_int_file(const station_config *st, const char *name, char *buf, size_t len, sk_err *e);
/* A CA key file: PKCS#8 encrypted under secret, created exclusively, mode 0600. */
int ca_int_write_key(const char *path, EVP_PKEY *key, const char *secret, sk_err *e);
/* Read one; SK_EPIN for a wrong passphrase. */
int ca_int_read_key(const char *path, const char *secret, EVP_PKEY **out, sk_err *e);
/* The issuing key generated on the HSM token of ca.key_uri (logged in with pin). */
int ca_int_hsm_keygen(const station_config *st, sk_keyalg alg, const char *pin, tok_module *hsm,
                      tok_slot **slot, EVP_PKEY **priv, EVP_PKEY **pub, sk_err *e);
/* Does key belong to cert (a token key by a test signature)? */
bool ca_int_key_matches(X509 *cert, EVP_PKEY *key, bool on_token);
/* Is any file of a CA made by ca init in the station? path gets the first found. */
bool ca_int_any_file(const station_config *st, char *path, size_t len);

#endif
