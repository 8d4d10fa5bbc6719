#include "util/sk_keyalg.h"

#include <openssl/obj_mac.h>
#include <string.h>

static const struct {
    const char *name;
    const char *alias;
    sk_keyalg alg;
} keyalgs[] = {
    {"ec-p256", "p256", SK_KEY_EC_P256},
    {"ec-p384", "p384", SK_KEY_EC_P384},
    {"rsa-2048", "rsa2048", SK_KEY_RSA2048},
    {"rsa-3072", "rsa3072", SK_KEY_RSA3072},
    {"sm2", "sm2", SK_KEY_SM2},
};

int sk_keyalg_parse(const char *s, sk_keyalg *out, sk_err *e)
{
    for (size_t i = 0; i < sizeof(keyalgs) / sizeof(keyalgs[0]); i++) {
        if (strcmp(s, keyalgs[i].name) == 0 || strcmp(s, keyalgs[i].alias) == 0) {
            *out = keyalgs[i].alg;
            return SK_OK;
        }
    }
    return sk_err_set(e, SK_EINPUT,
                      "key algorithm '%s' is not one of ec-p256, ec-p384, rsa-2048, rsa-3072, sm2", s);
}

const char *sk_keyalg_name(sk_keyalg alg)
{
    for (size_t i = 0; i < sizeof(keyalgs) / sizeof(keyalgs[0]); i++)
        if (keyalgs[i].alg == alg)
            return keyalgs[i].name;
    return "unknown";
}

int sk_keyalg_is_ec(sk_keyalg alg)
{
    return alg == SK_KEY_EC_P256 || alg == SK_KEY_EC_P384;
}

int sk_keyalg_is_sm2(sk_keyalg alg)
{
    return alg == SK_KEY_SM2;
}

int sk_keyalg_rsa_bits(sk_keyalg alg)
{
    return alg == SK_KEY_RSA3072 ? 3072 : alg == SK_KEY_RSA2048 ? 2048 : 0;
}

int sk_keyalg_curve_nid(sk_keyalg alg)
{
    return alg == SK_KEY_EC_P384 ? NID_secp384r1 : alg == SK_KEY_EC_P256 ? NID_X9_62_prime256v1 : 0;
}
