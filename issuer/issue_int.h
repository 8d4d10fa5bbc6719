/* Pieces of the issuance shared between issuer/issue*.c files. */
#ifndef SK_ISSUE_INT_H
#define SK_ISSUE_INT_H

#include "issuer/issue.h"
#include "issuer/issue_seal.h"

int issue_random_pin(int min_digits, int max_digits, char *pin, size_t pinlen, sk_err *e);
int issue_write_pin_mailer(const char *path, const order *o, const char *token_label,
                           const char *token_serial, const char *pin, sk_err *e);

/* Read the token back and check that it holds exactly what the issuance wrote: the key pair
 * (on-token, sensitive, never extractable) and certificate under key_id, the certificate's
 * key equal to the token's public key, the chain verifying, the CA certificates, and each
 * seal as a data object byte-identical to what was made, verifying and carrying the
 * certificate. */
int issue_verify_token(const issue_env *env, tok_slot *slot, const unsigned char *key_id,
                       size_t key_id_len, X509 *cert, const issue_seal *seals, size_t n_seals,
                       sk_err *e);

/* The CKA_ID under which a CA certificate is stored: its SubjectKeyIdentifier. */
int issue_ca_cert_id(X509 *cert, unsigned char *id, size_t *id_len, sk_err *e);

#endif
