/* Verifying a seal's signature: SM2 with the user ID "1234567812345678", or the other
 * algorithms seals are found with. Signing, and the ID on certificates, are util/sk_sm2.c's.
 *
 * OpenSSL 3.0 uses an empty SM2 ID unless told otherwise, while every seal producer and
 * every Chinese CA uses the GM/T 0009 default. The ID enters the Z value hashed before the
 * message, so without it no real seal or SM2 certificate verifies. */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "seal/ses.h"
#include "seal/ses_asn1.h"
#include "util/sk_sm2.h"

int ses_sm2_verify(EVP_PKEY *key, const EVP_MD *md, const unsigned char *tbs, size_t tbs_len,
                   const unsigned char *sig, size_t sig_len, sk_err *e)
{
    EVP_MD_CTX *mctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int ret = SK_ECRYPTO, r;

    if ((mctx = EVP_MD_CTX_new()) == NULL || EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key) != 1 ||
        (sk_sm2_is_key(key) && EVP_PKEY_CTX_set1_id(pctx, SES_SM2_ID, strlen(SES_SM2_ID)) <= 0)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "cannot set up signature verification");
        goto out;
    }
    r = EVP_DigestVerify(mctx, sig, sig_len, tbs, tbs_len);
    if (r != 1) {
        /* A wrong signature and a malformed one are the same verdict here. */
        ERR_clear_error();
        ret = sk_err_set(e, SK_EFAIL, "signature does not verify with the maker certificate's key");
        goto out;
    }
    ret = SK_OK;
out:
    EVP_MD_CTX_free(mctx);
    return ret;
}
