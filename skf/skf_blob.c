/* GM/T 0016 structures <-> OpenSSL forms; see skf_blob.h. */
#include "skf/skf_blob.h"

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <string.h>

#define COORD 32 /* bytes of a 256-bit value */
#define FIELD 64 /* bytes of a GM/T 0016 coordinate field */

/* GM/T 0009 SM2Cipher ::= SEQUENCE { XCoordinate INTEGER, YCoordinate INTEGER,
 * HASH OCTET STRING (32), CipherText OCTET STRING } */
typedef struct SKF_SM2_CIPHER {
    BIGNUM *x;
    BIGNUM *y;
    ASN1_OCTET_STRING *hash;
    ASN1_OCTET_STRING *c2;
} SKF_SM2_CIPHER;

ASN1_SEQUENCE(SKF_SM2_CIPHER) = {
    ASN1_SIMPLE(SKF_SM2_CIPHER, x, BIGNUM),
    ASN1_SIMPLE(SKF_SM2_CIPHER, y, BIGNUM),
    ASN1_SIMPLE(SKF_SM2_CIPHER, hash, ASN1_OCTET_STRING),
    ASN1_SIMPLE(SKF_SM2_CIPHER, c2, ASN1_OCTET_STRING),
} ASN1_SEQUENCE_END(SKF_SM2_CIPHER)

DECLARE_ASN1_FUNCTIONS(SKF_SM2_CIPHER)
IMPLEMENT_ASN1_FUNCTIONS(SKF_SM2_CIPHER)

/* Pack/unpack a 256-bit big-endian value right-aligned in a 64-byte field. */
static int put_field(const BIGNUM *bn, BYTE field[FIELD])
{
    memset(field, 0, FIELD);
    return BN_bn2binpad(bn, field + FIELD - COORD, COORD) == COORD ? 0 : -1;
}

static BIGNUM *get_field(const BYTE field[FIELD])
{
    for (int i = 0; i < FIELD - COORD; i++)
        if (field[i] != 0)
            return NULL; /* more than 256 bits: not an SM2 value */
    return BN_bin2bn(field + FIELD - COORD, COORD, NULL);
}

int skf_blob_from_pkey(EVP_PKEY *pkey, ECCPUBLICKEYBLOB *blob)
{
    unsigned char pt[1 + 2 * COORD];
    size_t len = 0;
    if (!EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
                                         sizeof(pt), &len) ||
        len != sizeof(pt) || pt[0] != 0x04)
        return -1;
    memset(blob, 0, sizeof(*blob));
    blob->BitLen = SKF_SM2_BITS;
    memcpy(blob->XCoordinate + FIELD - COORD, pt + 1, COORD);
    memcpy(blob->YCoordinate + FIELD - COORD, pt + 1 + COORD, COORD);
    return 0;
}

/* EVP_PKEY_fromdata for an SM2 key with the given public point and optional private d. */
static int sm2_fromdata(const unsigned char pt[1 + 2 * COORD], const BIGNUM *d, EVP_PKEY **out)
{
    int ret = -1;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    if (bld == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_sm2, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, 1 + 2 * COORD) ||
        (d != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params) <= 0)
        goto out;
    *out = pkey;
    pkey = NULL;
    ret = 0;
out:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return ret;
}

/* Is pt (uncompressed) a point on the SM2 curve? fromdata does not check. */
static int on_curve(const unsigned char *pt, size_t len)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    int ok = p != NULL && EC_POINT_oct2point(g, p, pt, len, NULL) == 1 &&
             EC_POINT_is_on_curve(g, p, NULL) == 1 && EC_POINT_is_at_infinity(g, p) == 0;
    EC_POINT_free(p);
    EC_GROUP_free(g);
    return ok;
}

int skf_blob_to_pkey(const ECCPUBLICKEYBLOB *blob, EVP_PKEY **out)
{
    unsigned char pt[1 + 2 * COORD];
    if (blob->BitLen != SKF_SM2_BITS)
        return -1;
    for (int i = 0; i < FIELD - COORD; i++)
        if (blob->XCoordinate[i] != 0 || blob->YCoordinate[i] != 0)
            return -1;
    pt[0] = 0x04;
    memcpy(pt + 1, blob->XCoordinate + FIELD - COORD, COORD);
    memcpy(pt + 1 + COORD, blob->YCoordinate + FIELD - COORD, COORD);
    if (!on_curve(pt, sizeof(pt)))
        return -1;
    return sm2_fromdata(pt, NULL, out);
}

int skf_pkey_from_priv(const unsigned char d[32], EVP_PKEY **out)
{
    int ret = -1;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
    EC_POINT *p = g != NULL ? EC_POINT_new(g) : NULL;
    BIGNUM *bn = BN_secure_new();
    unsigned char pt[1 + 2 * COORD];
    if (p == NULL || bn == NULL || BN_bin2bn(d, COORD, bn) == NULL || BN_is_zero(bn) ||
        BN_cmp(bn, EC_GROUP_get0_order(g)) >= 0 ||
        !EC_POINT_mul(g, p, bn, NULL, NULL, NULL) ||
        EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pt, sizeof(pt), NULL) !=
            sizeof(pt))
        goto out;
    ret = sm2_fromdata(pt, bn, out);
out:
    BN_clear_free(bn);
    EC_POINT_free(p);
    EC_GROUP_free(g);
    return ret;
}

int skf_pkey_priv(EVP_PKEY *pkey, unsigned char d[32])
{
    BIGNUM *bn = NULL;
    int ret = -1;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) &&
        BN_bn2binpad(bn, d, COORD) == COORD)
        ret = 0;
    BN_clear_free(bn);
    return ret;
}

int skf_sig_from_der(const unsigned char *der, size_t der_len, ECCSIGNATUREBLOB *sig)
{
    const unsigned char *p = der;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    int ret = -1;
    if (es == NULL || p != der + der_len)
        goto out;
    ECDSA_SIG_get0(es, &r, &s);
    if (put_field(r, sig->r) != 0 || put_field(s, sig->s) != 0)
        goto out;
    ret = 0;
out:
    ECDSA_SIG_free(es);
    return ret;
}

int skf_sig_to_der(const ECCSIGNATUREBLOB *sig, unsigned char **der, size_t *der_len)
{
    BIGNUM *r = get_field(sig->r), *s = get_field(sig->s);
    ECDSA_SIG *es = ECDSA_SIG_new();
    unsigned char *buf = NULL;
    int len, ret = -1;
    if (r == NULL || s == NULL || es == NULL || !ECDSA_SIG_set0(es, r, s))
        goto out;
    r = s = NULL; /* owned by es */
    len = i2d_ECDSA_SIG(es, &buf);
    if (len <= 0)
        goto out;
    *der = buf;
    *der_len = (size_t)len;
    ret = 0;
out:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return ret;
}

int skf_cipher_from_der(const unsigned char *der, size_t der_len, ECCCIPHERBLOB **blob,
                        size_t *blob_len)
{
    const unsigned char *p = der;
    SKF_SM2_CIPHER *ct = d2i_SKF_SM2_CIPHER(NULL, &p, (long)der_len);
    ECCCIPHERBLOB *b = NULL;
    size_t c2len, len;
    int ret = -1;
    if (ct == NULL || p != der + der_len || ASN1_STRING_length(ct->hash) != 32 ||
        ASN1_STRING_length(ct->c2) <= 0)
        goto out;
    c2len = (size_t)ASN1_STRING_length(ct->c2);
    len = sizeof(ECCCIPHERBLOB) - 1 + c2len;
    b = OPENSSL_zalloc(len);
    if (b == NULL || put_field(ct->x, b->XCoordinate) != 0 ||
        put_field(ct->y, b->YCoordinate) != 0)
        goto out;
    memcpy(b->HASH, ASN1_STRING_get0_data(ct->hash), 32);
    b->CipherLen = (ULONG)c2len;
    memcpy(b->Cipher, ASN1_STRING_get0_data(ct->c2), c2len);
    *blob = b;
    *blob_len = len;
    b = NULL;
    ret = 0;
out:
    OPENSSL_free(b);
    SKF_SM2_CIPHER_free(ct);
    return ret;
}

int skf_cipher_to_der(const ECCCIPHERBLOB *blob, size_t blob_len, unsigned char **der,
                      size_t *der_len)
{
    SKF_SM2_CIPHER *ct = NULL;
    unsigned char *buf = NULL;
    int len, ret = -1;
    if (blob_len < sizeof(ECCCIPHERBLOB) - 1 || blob->CipherLen == 0 ||
        blob->CipherLen > blob_len - (sizeof(ECCCIPHERBLOB) - 1))
        return -1;
    ct = SKF_SM2_CIPHER_new();
    if (ct == NULL)
        goto out;
    BN_free(ct->x);
    BN_free(ct->y);
    ct->x = get_field(blob->XCoordinate);
    ct->y = get_field(blob->YCoordinate);
    if (ct->x == NULL || ct->y == NULL || !ASN1_OCTET_STRING_set(ct->hash, blob->HASH, 32) ||
        !ASN1_OCTET_STRING_set(ct->c2, blob->Cipher, (int)blob->CipherLen))
        goto out;
    len = i2d_SKF_SM2_CIPHER(ct, &buf);
    if (len <= 0)
        goto out;
    *der = buf;
    *der_len = (size_t)len;
    ret = 0;
out:
    SKF_SM2_CIPHER_free(ct);
    return ret;
}
