/* Key algorithms sealkey generates: on tokens and for the CA. */
#ifndef SK_KEYALG_H
#define SK_KEYALG_H

#include "util/sk_err.h"

typedef enum sk_keyalg {
    SK_KEY_EC_P256,
    SK_KEY_EC_P384,
    SK_KEY_RSA2048,
    SK_KEY_RSA3072,
    SK_KEY_SM2, /* SM2 (GM/T 0003) on the SM2 curve, signed SM2-with-SM3 with the SM2 ID */
} sk_keyalg;

/* "ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "sm2" (also "p256", "p384", "rsa2048",
 * "rsa3072"). */
int sk_keyalg_parse(const char *s, sk_keyalg *out, sk_err *e);
const char *sk_keyalg_name(sk_keyalg alg);
/* NIST curves only: SM2 is its own kind (sk_keyalg_is_sm2), since PKCS#11 tokens lack it. */
int sk_keyalg_is_ec(sk_keyalg alg);
int sk_keyalg_is_sm2(sk_keyalg alg);
/* RSA modulus bits, or the curve's NID for EC. */
int sk_keyalg_rsa_bits(sk_keyalg alg);
int sk_keyalg_curve_nid(sk_keyalg alg);

#endif
