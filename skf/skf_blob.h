/* Conversions between the GM/T 0016 structures and OpenSSL's forms (EVP_PKEY, DER SM2
 * signatures and GM/T 0009 SM2 ciphertexts), and the SM2 signing digest SM3(Z || M).
 *
 * Pure functions with no error context: each returns 0 or -1 and leaves OpenSSL's error
 * queue for the caller, which names the structure (skf/ library) or maps it to a SAR_* code
 * (tests/skfsoft/, which compiles this file into the soft module). */
#ifndef SK_SKF_BLOB_H
#define SK_SKF_BLOB_H

#include <openssl/evp.h>
#include <stddef.h>

#include "skf/gmt0016.h"

#define SKF_SM2_DEFAULT_ID "1234567812345678" /* GM/T 0009 default signer ID */
#define SKF_SM2_BITS 256

/* SM2 public point of pkey into blob (BitLen 256, coordinates right-aligned). */
int skf_blob_from_pkey(EVP_PKEY *pkey, ECCPUBLICKEYBLOB *blob);

/* An SM2 public key from blob; refuses a BitLen other than 256 or a point off the curve. */
int skf_blob_to_pkey(const ECCPUBLICKEYBLOB *blob, EVP_PKEY **out);

/* An SM2 key pair from its 32-byte private scalar (public point computed). */
int skf_pkey_from_priv(const unsigned char d[32], EVP_PKEY **out);

/* The 32-byte private scalar of an SM2 key pair. */
int skf_pkey_priv(EVP_PKEY *pkey, unsigned char d[32]);

/* DER ECDSA-Sig-Value <-> ECCSIGNATUREBLOB. *der is OPENSSL_malloc'd. */
int skf_sig_from_der(const unsigned char *der, size_t der_len, ECCSIGNATUREBLOB *sig);
int skf_sig_to_der(const ECCSIGNATUREBLOB *sig, unsigned char **der, size_t *der_len);

/* GM/T 0009 DER SM2 ciphertext (what OpenSSL's SM2 EVP_PKEY_encrypt makes) <->
 * ECCCIPHERBLOB. *blob is OPENSSL_zalloc'd with room for CipherLen bytes of Cipher,
 * *blob_len its size; *der is OPENSSL_malloc'd. */
int skf_cipher_from_der(const unsigned char *der, size_t der_len, ECCCIPHERBLOB **blob,
                        size_t *blob_len);
int skf_cipher_to_der(const ECCCIPHERBLOB *blob, size_t blob_len, unsigned char **der,
                      size_t *der_len);

/* e = SM3(Z || msg) with Z = SM3(ENTL || id || a || b || xG || yG || xA || yA) (GM/T 0009
 * 5.5), the 32 bytes SKF_ECCSignData signs. id NULL means SKF_SM2_DEFAULT_ID. In the skf/
 * library only (skf_con.c, over util/sk_sm2.c's sk_sm2_digest_id), not in the soft module. */
int skf_sm2_digest(EVP_PKEY *pub, const char *id, const unsigned char *msg, size_t msg_len,
                   unsigned char e[32]);

#endif
