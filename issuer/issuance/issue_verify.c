/* The last step of an issuance: read everything back from the token and check it. */
#include <openssl/x509v3.h>
#include <p11-kit/pkcs11.h>
#include <string.h>

#include "issuer/issuance/issue_int.h"

int issue_ca_cert_id(X509 *cert, unsigned char *id, size_t *id_len, sk_err *e)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);

    if (ski == NULL || ASN1_STRING_length(ski) <= 0 || ASN1_STRING_length(ski) > TOK_ID_MAX)
        return sk_err_set(e, SK_ECRYPTO, "CA certificate has no usable SubjectKeyIdentifier");
    *id_len = (size_t)ASN1_STRING_length(ski);
    memcpy(id, ASN1_STRING_get0_data(ski), *id_len);
    return SK_OK;
}

static bool same_id(const tok_object *ob, const unsigned char *id, size_t id_len)
{
    return ob->id_len == id_len && memcmp(ob->id, id, id_len) == 0;
}

static bool same_der(const tok_object *ob, X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    bool same = len > 0 && ob->value_len == (size_t)len && memcmp(ob->value, der, ob->value_len) == 0;

    OPENSSL_free(der);
    return same;
}

/* Which of the CA chain's certificates (issue_env's ca_chain) this object is, or -1. */
static int ca_cert_of(const tok_object *ob, X509 *const *certs,
                      unsigned char ids[][TOK_ID_MAX], const size_t *id_lens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (same_id(ob, ids[i], id_lens[i]) && same_der(ob, certs[i]))
            return (int)i;
    return -1;
}

/* The seal this data object should be, or NULL. */
static const issue_seal *seal_for(const tok_object *ob, const issue_seal *seals, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ob->label, seals[i].label) == 0 &&
            strcmp(ob->application, ISSUE_SEAL_APPLICATION) == 0)
            return &seals[i];
    return NULL;
}

/* The usages the certificate allows its key (tok_key_usage). A certificate without keyUsage
 * would allow anything; ours always carry it, so none is read as the profile's sign only. */
static tok_key_usage cert_key_usage(X509 *cert)
{
    uint32_t ku = X509_get_key_usage(cert);
    tok_key_usage u = {.sign = true};

    if (ku == UINT32_MAX)
        return u;
    u.sign = (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION | KU_KEY_CERT_SIGN |
                    KU_CRL_SIGN)) != 0;
    u.decrypt = (ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT)) != 0;
    u.unwrap = (ku & KU_KEY_ENCIPHERMENT) != 0;
    u.derive = (ku & KU_KEY_AGREEMENT) != 0;
    return u;
}

int issue_verify_token(const issue_env *env, tok_slot *slot, const unsigned char *key_id,
                       size_t key_id_len, X509 *cert, const issue_seal *seals, size_t n_seals,
                       sk_err *e)
{
    int ret = SK_EFAIL;
    tok_object *objs = NULL;
    size_t n = 0;
    EVP_PKEY *pub = NULL;
    tok_key_attrs attrs;
    X509 *ca_certs[CA_CHAIN_MAX];
    size_t n_ca = ca_chain(env->ca, ca_certs);
    unsigned char ca_ids[CA_CHAIN_MAX][TOK_ID_MAX];
    size_t ca_id_lens[CA_CHAIN_MAX];
    int seen_priv = 0, seen_pub = 0, seen_cert = 0, seen_ca[CA_CHAIN_MAX] = {0};
    size_t seen_seals = 0, ca_ok = 0;

    for (size_t i = 0; i < n_ca; i++)
        if ((ret = issue_ca_cert_id(ca_certs[i], ca_ids[i], &ca_id_lens[i], e)) != SK_OK)
            goto out;
    if ((ret = tok_list_objects(slot, &objs, &n, e)) != SK_OK)
        goto out;
    ret = SK_EFAIL;
    for (size_t i = 0; i < n; i++) {
        const tok_object *ob = &objs[i];
        if (ob->cls == CKO_PRIVATE_KEY && same_id(ob, key_id, key_id_len)) {
            seen_priv++;
        } else if (ob->cls == CKO_PUBLIC_KEY && same_id(ob, key_id, key_id_len)) {
            seen_pub++;
        } else if (ob->cls == CKO_CERTIFICATE && same_id(ob, key_id, key_id_len)) {
            if (!same_der(ob, cert)) {
                sk_err_set(e, SK_EFAIL, "the certificate on the token differs from the issued one");
                goto out;
            }
            seen_cert++;
        } else if (ob->cls == CKO_CERTIFICATE && ca_cert_of(ob, ca_certs, ca_ids, ca_id_lens,
                                                             n_ca) >= 0) {
            seen_ca[ca_cert_of(ob, ca_certs, ca_ids, ca_id_lens, n_ca)]++;
        } else if (ob->cls == CKO_DATA && seal_for(ob, seals, n_seals) != NULL) {
            const issue_seal *sl = seal_for(ob, seals, n_seals);
            if (ob->value_len != sl->der_len || memcmp(ob->value, sl->der, sl->der_len) != 0) {
                sk_err_set(e, SK_EFAIL, "the %s on the token differs from the one made",
                           sl->label);
                goto out;
            }
            if ((ret = issue_seal_check(env->seal_root, ob->value, ob->value_len, cert, sl->label,
                                        e)) != SK_OK)
                goto out;
            ret = SK_EFAIL;
            seen_seals++;
        } else {
            sk_err_set(e, SK_EFAIL, "unexpected object on the token: class %lu, label '%s'",
                       ob->cls, ob->label);
            goto out;
        }
    }
    for (size_t i = 0; i < n_ca; i++)
        ca_ok += seen_ca[i] == 1;
    if (seen_priv != 1 || seen_pub != 1 || seen_cert != 1 || ca_ok != n_ca ||
        seen_seals != n_seals) {
        sk_err_set(e, SK_EFAIL,
                   "token holds %d private key(s), %d public key(s), %d certificate(s), "
                   "%zu of %zu CA certificate(s) once each and %zu of %zu seal(s) under the "
                   "expected ids; expected one of each",
                   seen_priv, seen_pub, seen_cert, ca_ok, n_ca, seen_seals, n_seals);
        goto out;
    }
    if ((ret = tok_get_key_attrs(slot, key_id, key_id_len, &attrs, e)) != SK_OK)
        goto out;
    ret = SK_EFAIL;
    tok_key_usage usage = cert_key_usage(cert);
    char why[512];
    if (!tok_key_attrs_ok(&attrs, &usage, why, sizeof(why))) {
        sk_err_set(e, SK_EFAIL, "the private key is %s", why);
        goto out;
    }
    if ((ret = tok_get_public_key(slot, key_id, key_id_len, &pub, e)) != SK_OK)
        goto out;
    if (EVP_PKEY_eq(pub, X509_get0_pubkey(cert)) != 1) {
        ret = sk_err_set(e, SK_EFAIL, "the certificate's public key is not the token's key");
        goto out;
    }
    if ((ret = ca_verify_cert(env->ca, cert, e)) != SK_OK)
        goto out;
    ret = SK_OK;
out:
    if (ret != SK_OK)
        sk_err_wrap(e, "verification");
    EVP_PKEY_free(pub);
    tok_objects_free(objs, n);
    return ret;
}
