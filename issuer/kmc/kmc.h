/* The station's side of the CA's key management centre (KMC), for dual certificates (双证书).
 *
 * A Chinese SM2 organisation token carries two key pairs: the signing pair, generated on the
 * token, and an encryption pair that the KMC generates and escrows (so that encrypted data
 * can be recovered). The KMC hands the encryption pair to the station enveloped to the
 * token's signing public key, and the token imports it (GM/T 0016 SKF_ImportECCKeyPair with
 * an ENVELOPEDKEYBLOB): a random SM4 key, SM2-encrypted to the signing key (ECCCIPHERBLOB),
 * and the 32-byte encryption private key SM4-ECB encrypted under it. The private key is never
 * in the clear outside the KMC and the token.
 *
 * struct kmc is a function table, so a real KMC (a network service) and the stand-in here
 * (kmc_standin_open: for the demo and the tests) are used the same way. The fields of
 * kmc_envelope are laid out as GM/T 0016's ENVELOPEDKEYBLOB wants them: 256-bit values
 * right-aligned in 64-byte fields (ECC_MAX_XCOORDINATE_BITS_LEN / 8), so an SKF backend copies
 * them into its structures without conversion. */
#ifndef SK_KMC_H
#define SK_KMC_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/sk_err.h"

#define KMC_FIELD_LEN 64 /* GM/T 0016 coordinate / key field: 512 bits */
#define KMC_SM4_KEY_LEN 16
#define KMC_SGD_SM4_ECB 0x00000401u /* GM/T 0006 algorithm id, ENVELOPEDKEYBLOB.ulSymmAlgID */

typedef struct kmc_envelope {
    /* ENVELOPEDKEYBLOB */
    unsigned long version;                        /* 1 */
    unsigned long symm_alg_id;                    /* KMC_SGD_SM4_ECB */
    unsigned long bits;                           /* 256: the encryption key pair's size */
    unsigned char enc_private_key[KMC_FIELD_LEN]; /* cbEncryptedPriKey: SM4-ECB of the 32-byte
                                                     private key, in the last 32 bytes */
    /* PubKey (ECCPUBLICKEYBLOB): the encryption public key, BitLen 256 */
    unsigned long pub_bits;
    unsigned char pub_x[KMC_FIELD_LEN], pub_y[KMC_FIELD_LEN];
    /* ECCCipherBlob (ECCCIPHERBLOB): the SM4 key SM2-encrypted to the signing public key
     * (GM/T 0003.4: C1 = (x, y), C3 = HASH = SM3(x2 || M || y2), C2 = Cipher) */
    unsigned char cipher_x[KMC_FIELD_LEN], cipher_y[KMC_FIELD_LEN];
    unsigned char cipher_hash[32];
    unsigned long cipher_len; /* KMC_SM4_KEY_LEN */
    unsigned char cipher[KMC_SM4_KEY_LEN];
} kmc_envelope;

typedef struct kmc kmc;

/* What a KMC does for the station. */
typedef struct kmc_ops {
    /* An encryption key pair for the order, enveloped to sign_pub (the token's SM2 signing
     * public key): out filled, *enc_pub the encryption public key and *enc_req a certificate
     * request for it, signed with the encryption key (proof of possession by the KMC); the
     * caller frees both. */
    int (*enc_key_pair)(kmc *k, const char *order_number, EVP_PKEY *sign_pub, kmc_envelope *out,
                        EVP_PKEY **enc_pub, X509_REQ **enc_req, sk_err *e);
    void (*free)(kmc *k);
} kmc_ops;

struct kmc {
    const kmc_ops *ops;
    void *impl;
};

/* k->ops->enc_key_pair, with the checks every KMC gets: order_number of A-Z a-z 0-9 - _
 * (1..64), sign_pub an SM2 key (SK_EINPUT naming it otherwise). */
int kmc_enc_key_pair(kmc *k, const char *order_number, EVP_PKEY *sign_pub, kmc_envelope *out,
                     EVP_PKEY **enc_pub, X509_REQ **enc_req, sk_err *e);
void kmc_free(kmc *k);
/* Wipe an envelope (it holds no secret in the clear, but nothing of it need linger). */
void kmc_envelope_clear(kmc_envelope *env);

/* The stand-in KMC (kmc_standin.c): generates each SM2 encryption key pair in software and
 * escrows the private key in dir/escrow/ORDER-KEYID.p8 (PKCS#8 PEM, AES-256-CBC under
 * escrow_secret, created exclusively, mode 0600; dir and dir/escrow made 0700). KEYID is the
 * first 8 bytes of SM3(public point), hex. escrow_secret is copied into locked memory and
 * wiped by kmc_free. Not a KMC for production: the keys are as safe as the station
 * directory and the secret. */
int kmc_standin_open(const char *dir, const char *escrow_secret, kmc **out, sk_err *e);

/* Key recovery from the stand-in's escrow: the private key of an order's encryption key
 * whose KEYID (16 hex digits) is key_id. SK_EINPUT when there is none, SK_EPIN for a wrong
 * escrow secret. */
int kmc_standin_recover(kmc *k, const char *order_number, const char *key_id, EVP_PKEY **out,
                        sk_err *e);

/* The KEYID of an SM2 public key (16 hex digits + NUL). */
int kmc_key_id(EVP_PKEY *pub, char id[17], sk_err *e);

#endif
