/* The KMC interface (issuer/kmc/kmc.h): the checks every implementation gets. */
#include "issuer/kmc/kmc.h"

#include <openssl/crypto.h>
#include <string.h>

#include "util/sk_sm2.h"

static int order_number_ok(const char *s)
{
    size_t n = 0;

    if (s == NULL)
        return 0;
    for (; s[n] != '\0'; n++)
        if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
              (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '_'))
            return 0;
    return n >= 1 && n <= 64;
}

int kmc_enc_key_pair(kmc *k, const char *order_number, EVP_PKEY *sign_pub, kmc_envelope *out,
                     EVP_PKEY **enc_pub, X509_REQ **enc_req, sk_err *e)
{
    int ret;

    *enc_pub = NULL;
    *enc_req = NULL;
    memset(out, 0, sizeof(*out));
    if (!order_number_ok(order_number))
        return sk_err_set(e, SK_EINPUT, "KMC: order number '%s': 1-64 of A-Z a-z 0-9 - _",
                          order_number != NULL ? order_number : "");
    if (!sk_sm2_is_key(sign_pub))
        return sk_err_set(e, SK_EINPUT,
                          "KMC: order %s: the signing public key is not SM2: the "
                          "encryption key pair is enveloped to an SM2 key",
                          order_number);
    ret = k->ops->enc_key_pair(k, order_number, sign_pub, out, enc_pub, enc_req, e);
    if (ret != SK_OK) {
        kmc_envelope_clear(out);
        EVP_PKEY_free(*enc_pub);
        X509_REQ_free(*enc_req);
        *enc_pub = NULL;
        *enc_req = NULL;
        sk_err_wrap(e, "KMC: order %s", order_number);
    }
    return ret;
}

void kmc_free(kmc *k)
{
    if (k != NULL)
        k->ops->free(k);
}

void kmc_envelope_clear(kmc_envelope *env)
{
    OPENSSL_cleanse(env, sizeof(*env));
}
