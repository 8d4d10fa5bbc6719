/* Key pair generation with an exact template (libp11 0.4.12 can only make RSA keys, and
 * not with our attributes), and reading the public half back as an OpenSSL key. */
#include "pkcs11/tok_int.h"

#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* EVP_PKEY from an EC public key object: CKA_EC_PARAMS is the DER curve OID, CKA_EC_POINT
 * a DER OCTET STRING around the uncompressed point (some older modules give the bare
 * point; accepted too). */
static int ec_pub(tok_slot *s, CK_OBJECT_HANDLE obj, EVP_PKEY **out, sk_err *e)
{
    unsigned char *params = NULL, *point = NULL;
    size_t params_len = 0, point_len = 0;
    ASN1_OBJECT *oid = NULL;
    ASN1_OCTET_STRING *os = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *op = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    const unsigned char *p;
    const unsigned char *pt;
    size_t pt_len;
    const char *group;
    int ret;

    if ((ret = tok_get_attr(s, obj, CKA_EC_PARAMS, &params, &params_len, e)) != SK_OK ||
        (ret = tok_get_attr(s, obj, CKA_EC_POINT, &point, &point_len, e)) != SK_OK)
        goto out;
    p = params;
    oid = d2i_ASN1_OBJECT(NULL, &p, (long)params_len);
    if (oid == NULL || p != params + params_len || OBJ_obj2nid(oid) == NID_undef ||
        (group = OBJ_nid2sn(OBJ_obj2nid(oid))) == NULL) {
        ret = sk_err_set(e, SK_ECRYPTO, "token '%s' (serial %s): CKA_EC_PARAMS is not a known "
                         "named curve", s->label, s->serial);
        goto out;
    }
    p = point;
    os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)point_len);
    if (os != NULL && p == point + point_len) {
        pt = os->data;
        pt_len = (size_t)os->length;
    } else {
        pt = point;
        pt_len = point_len;
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, pt_len) ||
        (op = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(pctx) <= 0 ||
        EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, op) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "token '%s' (serial %s): EC public key from CKA_EC_POINT",
                          s->label, s->serial);
        goto out;
    }
    ret = SK_OK;
out:
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(op);
    OSSL_PARAM_BLD_free(bld);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(oid);
    free(params);
    free(point);
    return ret;
}

static int rsa_pub(tok_slot *s, CK_OBJECT_HANDLE obj, EVP_PKEY **out, sk_err *e)
{
    unsigned char *mod = NULL, *exp = NULL;
    size_t mod_len = 0, exp_len = 0;
    BIGNUM *n = NULL, *ebn = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *op = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int ret;

    if ((ret = tok_get_attr(s, obj, CKA_MODULUS, &mod, &mod_len, e)) != SK_OK ||
        (ret = tok_get_attr(s, obj, CKA_PUBLIC_EXPONENT, &exp, &exp_len, e)) != SK_OK)
        goto out;
    bld = OSSL_PARAM_BLD_new();
    if (mod == NULL || exp == NULL || (n = BN_bin2bn(mod, (int)mod_len, NULL)) == NULL ||
        (ebn = BN_bin2bn(exp, (int)exp_len, NULL)) == NULL || bld == NULL ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, ebn) ||
        (op = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(pctx) <= 0 ||
        EVP_PKEY_fromdata(pctx, out, EVP_PKEY_PUBLIC_KEY, op) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "token '%s' (serial %s): RSA public key from "
                          "CKA_MODULUS", s->label, s->serial);
        goto out;
    }
    ret = SK_OK;
out:
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(op);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(ebn);
    free(mod);
    free(exp);
    return ret;
}

int tok_get_public_key(tok_slot *s, const unsigned char *id, size_t id_len, EVP_PKEY **pub,
                       sk_err *e)
{
    CK_OBJECT_HANDLE obj;
    CK_KEY_TYPE kt = 0;
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof(kt)};
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int ret;

    *pub = NULL;
    if ((ret = tok_find_one(s, CKO_PUBLIC_KEY, id, id_len, &obj, e)) != SK_OK ||
        (ret = tok_session(s, &h, e)) != SK_OK)
        return ret;
    rv = s->m->f->C_GetAttributeValue(h, obj, &a, 1);
    if (rv != CKR_OK)
        return tok_fail(s, e, "C_GetAttributeValue(CKA_KEY_TYPE)", rv);
    if (kt == CKK_EC)
        return ec_pub(s, obj, pub, e);
    if (kt == CKK_RSA)
        return rsa_pub(s, obj, pub, e);
    return sk_err_set(e, SK_ECRYPTO, "token '%s' (serial %s): public key type 0x%lx is neither "
                      "EC nor RSA", s->label, s->serial, (unsigned long)kt);
}

/* Read boolean attributes of obj into v; one the module does not know reads as false (its
 * ulValueLen is marked unavailable and the rest are still filled). */
static int read_flags(tok_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
                      const CK_ATTRIBUTE_TYPE *types, CK_BBOOL *v, CK_ULONG n, sk_err *e)
{
    CK_ATTRIBUTE a[16];
    CK_RV rv;

    for (CK_ULONG i = 0; i < n; i++) {
        v[i] = CK_FALSE;
        a[i] = (CK_ATTRIBUTE){types[i], &v[i], 1};
    }
    rv = s->m->f->C_GetAttributeValue(h, obj, a, n);
    if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE)
        return tok_fail(s, e, "C_GetAttributeValue(key flags)", rv);
    for (CK_ULONG i = 0; i < n; i++)
        if (a[i].ulValueLen != 1)
            v[i] = CK_FALSE;
    return SK_OK;
}

int tok_get_key_attrs(tok_slot *s, const unsigned char *id, size_t id_len, tok_key_attrs *out,
                      sk_err *e)
{
    static const CK_ATTRIBUTE_TYPE priv_types[] = {
        CKA_LOCAL,  CKA_NEVER_EXTRACTABLE, CKA_ALWAYS_SENSITIVE, CKA_SENSITIVE,
        CKA_EXTRACTABLE, CKA_PRIVATE, CKA_SIGN, CKA_SIGN_RECOVER, CKA_DECRYPT, CKA_UNWRAP,
        CKA_DERIVE};
    static const CK_ATTRIBUTE_TYPE pub_types[] = {CKA_VERIFY, CKA_ENCRYPT, CKA_WRAP};
    CK_OBJECT_HANDLE obj;
    CK_SESSION_HANDLE h;
    CK_BBOOL v[11], pv[3];
    int ret;

    memset(out, 0, sizeof(*out));
    if ((ret = tok_find_one(s, CKO_PRIVATE_KEY, id, id_len, &obj, e)) != SK_OK ||
        (ret = tok_session(s, &h, e)) != SK_OK ||
        (ret = read_flags(s, h, obj, priv_types, v, 11, e)) != SK_OK ||
        (ret = tok_find_one(s, CKO_PUBLIC_KEY, id, id_len, &obj, e)) != SK_OK ||
        (ret = read_flags(s, h, obj, pub_types, pv, 3, e)) != SK_OK)
        return ret;
    out->local = v[0];
    out->never_extractable = v[1];
    out->always_sensitive = v[2];
    out->sensitive = v[3];
    out->extractable = v[4];
    out->is_private = v[5];
    out->sign = v[6];
    out->sign_recover = v[7];
    out->decrypt = v[8];
    out->unwrap = v[9];
    out->derive = v[10];
    out->pub_verify = pv[0];
    out->pub_encrypt = pv[1];
    out->pub_wrap = pv[2];
    return SK_OK;
}

bool tok_key_attrs_ok(const tok_key_attrs *a, const tok_key_usage *u, char *why, size_t len)
{
    if (!a->local || !a->never_extractable || !a->always_sensitive || !a->sensitive ||
        a->extractable || !a->is_private) {
        snprintf(why, len, "not a private, sensitive, never-extractable key generated on the "
                 "token (local=%d never_extractable=%d always_sensitive=%d sensitive=%d "
                 "extractable=%d private=%d)", a->local, a->never_extractable,
                 a->always_sensitive, a->sensitive, a->extractable, a->is_private);
        return false;
    }
    if (a->sign != u->sign || a->pub_verify != u->sign || a->sign_recover ||
        a->decrypt != u->decrypt || a->pub_encrypt != u->decrypt || a->unwrap != u->unwrap ||
        a->pub_wrap != u->unwrap || a->derive != u->derive) {
        snprintf(why, len, "usable for sign=%d verify=%d sign_recover=%d decrypt=%d encrypt=%d "
                 "unwrap=%d wrap=%d derive=%d, but its certificate allows sign=%d decrypt=%d "
                 "unwrap=%d derive=%d", a->sign, a->pub_verify, a->sign_recover, a->decrypt,
                 a->pub_encrypt, a->unwrap, a->pub_wrap, a->derive, u->sign, u->decrypt,
                 u->unwrap, u->derive);
        return false;
    }
    return true;
}

int tok_generate_keypair(tok_slot *s, sk_keyalg alg, const unsigned char *id, size_t id_len,
                         const char *label, EVP_PKEY **pub, sk_err *e)
{
    const tok_key_usage sign_only = {.sign = true};

    return tok_generate_keypair_for(s, alg, &sign_only, id, id_len, label, pub, e);
}

int tok_generate_keypair_for(tok_slot *s, sk_keyalg alg, const tok_key_usage *usage,
                             const unsigned char *id, size_t id_len, const char *label,
                             EVP_PKEY **pub, sk_err *e)
{
    static const CK_BYTE exp65537[] = {0x01, 0x00, 0x01};
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_BBOOL sign = usage->sign, decrypt = usage->decrypt, unwrap = usage->unwrap,
             derive = usage->derive;
    char why[512];
    CK_ULONG bits = (CK_ULONG)sk_keyalg_rsa_bits(alg);
    unsigned char *params = NULL;
    int params_len = 0;
    bool ec = sk_keyalg_is_ec(alg);
    CK_MECHANISM mech = {ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
    CK_OBJECT_HANDLE pubh = CK_INVALID_HANDLE, privh = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE *existing = NULL;
    size_t nexisting = 0;
    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    tok_key_attrs ka;
    char idhex[2 * TOK_ID_MAX + 1];
    CK_RV rv;
    int ret;

    *pub = NULL;
    /* PKCS#11 defines no SM2 mechanism: an SM2 key is made on an SKF token (GM/T 0016). */
    if (sk_keyalg_is_sm2(alg))
        return sk_err_set(e, SK_EINPUT, "key algorithm sm2: PKCS#11 tokens have no SM2 "
                                        "mechanism; SM2 keys are made on SKF tokens");
    tok_hex(idhex, sizeof(idhex), id, id_len);
    if (id_len == 0 || id_len > TOK_ID_MAX)
        return sk_err_set(e, SK_EINPUT, "key id must be 1..%d bytes", TOK_ID_MAX);
    if (ec) {
        ASN1_OBJECT *oid = OBJ_nid2obj(sk_keyalg_curve_nid(alg));

        params_len = oid ? i2d_ASN1_OBJECT(oid, &params) : -1;
        if (params_len <= 0)
            return sk_err_ossl(e, SK_ECRYPTO, "encoding the curve OID for %s",
                               sk_keyalg_name(alg));
    }
    CK_ATTRIBUTE pubt[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_ID, (void *)id, id_len},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_VERIFY, &sign, sizeof(sign)},
        {CKA_VERIFY_RECOVER, &no, sizeof(no)},
        {CKA_ENCRYPT, &decrypt, sizeof(decrypt)},
        {CKA_WRAP, &unwrap, sizeof(unwrap)},
        {CKA_DERIVE, &derive, sizeof(derive)},
        /* Readable without login, so the public key can be checked before a PIN is given. */
        {CKA_PRIVATE, &no, sizeof(no)},
        /* Last: the algorithm's attributes (EC params, or RSA size and exponent). */
        {ec ? CKA_EC_PARAMS : CKA_MODULUS_BITS, ec ? (void *)params : (void *)&bits,
         ec ? (CK_ULONG)params_len : sizeof(bits)},
        {CKA_PUBLIC_EXPONENT, (void *)exp65537, sizeof(exp65537)},
    };
    CK_ATTRIBUTE privt[] = {
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_ID, (void *)id, id_len},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        /* Exactly the usages asked for, each said outright: module defaults differ. */
        {CKA_SIGN, &sign, sizeof(sign)},
        {CKA_SIGN_RECOVER, &no, sizeof(no)},
        {CKA_DECRYPT, &decrypt, sizeof(decrypt)},
        {CKA_UNWRAP, &unwrap, sizeof(unwrap)},
        {CKA_DERIVE, &derive, sizeof(derive)},
    };
    CK_ULONG npub = sizeof(pubt) / sizeof(pubt[0]) - (ec ? 1 : 0);
    CK_ATTRIBUTE idt[] = {{CKA_ID, (void *)id, id_len}};

    if ((ret = tok_session(s, &h, e)) != SK_OK)
        goto out;
    /* Pairing is by CKA_ID alone, so a second key with the same ID would be ambiguous. */
    if ((ret = tok_find(s, h, idt, 1, &existing, &nexisting, e)) != SK_OK)
        goto out;
    if (nexisting > 0) {
        ret = sk_err_set(e, SK_ESTATE, "token '%s' (serial %s): %zu objects with id %s exist "
                         "already", s->label, s->serial, nexisting, idhex);
        goto out;
    }
    rv = s->m->f->C_GenerateKeyPair(h, &mech, pubt, npub, privt, sizeof(privt) / sizeof(privt[0]),
                                    &pubh, &privh);
    if (rv != CKR_OK) {
        ret = tok_fail(s, e, "C_GenerateKeyPair", rv);
        goto out;
    }
    if ((ret = tok_get_key_attrs(s, id, id_len, &ka, e)) != SK_OK)
        goto out;
    if (!tok_key_attrs_ok(&ka, usage, why, sizeof(why))) {
        ret = sk_err_set(e, SK_ETOKEN, "token '%s' (serial %s): generated key %s: %s; "
                         "destroyed it", s->label, s->serial, idhex, why);
        goto out;
    }
    ret = tok_get_public_key(s, id, id_len, pub, e);
out:
    if (ret != SK_OK && privh != CK_INVALID_HANDLE) {
        /* Half-made keys would block a retry with the same ID. */
        s->m->f->C_DestroyObject(h, privh);
        s->m->f->C_DestroyObject(h, pubh);
    }
    free(existing);
    OPENSSL_free(params);
    return ret;
}
