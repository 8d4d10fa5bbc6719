/* Private keys as OpenSSL keys through libp11, so X509_sign and X509_REQ_sign sign on the
 * token with no engine or provider configuration. */
#include "pkcs11/tok_int.h"

#include <string.h>

/* Find the libp11 private key with this id (and label, if given). */
static int find_key(tok_slot *s, const unsigned char *id, size_t id_len, const char *label,
                    PKCS11_KEY **out, sk_err *e)
{
    PKCS11_SLOT *p11;
    PKCS11_KEY *keys = NULL;
    unsigned int n = 0;
    size_t nfound = 0;
    char idhex[2 * TOK_ID_MAX + 1];
    int ret;

    *out = NULL;
    if ((ret = tok_p11_slot(s, &p11, e)) != SK_OK)
        return ret;
    /* libp11 searches the token again on each call and adds what it had not seen, so a key
     * made through the raw function list shows up here. */
    if (PKCS11_enumerate_keys(p11->token, &keys, &n) != 0) {
        ERR_clear_error();
        return sk_err_set(e, SK_ETOKEN, "token '%s' (serial %s): listing private keys (libp11) "
                          "failed", s->label, s->serial);
    }
    for (unsigned int i = 0; i < n; i++) {
        if (id != NULL && (keys[i].id_len != id_len || memcmp(keys[i].id, id, id_len) != 0))
            continue;
        if (label != NULL && (keys[i].label == NULL || strcmp(keys[i].label, label) != 0))
            continue;
        if (nfound++ == 0)
            *out = &keys[i];
    }
    tok_hex(idhex, sizeof(idhex), id, id != NULL ? id_len : 0);
    if (nfound == 1)
        return SK_OK;
    *out = NULL;
    return sk_err_set(e, nfound == 0 ? SK_ETOKEN : SK_ESTATE,
                      "token '%s' (serial %s): %s private key with%s%s%s%s%s", s->label,
                      s->serial, nfound == 0 ? "no" : "more than one", id ? " id " : "",
                      id ? idhex : "", label ? " label '" : "", label ? label : "",
                      label ? "'" : "");
}

static int key_to_evp(tok_slot *s, PKCS11_KEY *key, EVP_PKEY **priv, sk_err *e)
{
    *priv = PKCS11_get_private_key(key);
    if (*priv == NULL)
        return sk_err_ossl(e, SK_ETOKEN, "token '%s' (serial %s): PKCS11_get_private_key",
                           s->label, s->serial);
    return SK_OK;
}

int tok_get_private_key(tok_slot *s, const unsigned char *id, size_t id_len, EVP_PKEY **priv,
                        sk_err *e)
{
    PKCS11_KEY *key;
    int ret;

    *priv = NULL;
    if ((ret = find_key(s, id, id_len, NULL, &key, e)) != SK_OK)
        return ret;
    return key_to_evp(s, key, priv, e);
}

int tok_get_private_key_by_uri(tok_slot *s, const char *uri, EVP_PKEY **priv, sk_err *e)
{
    tok_uri u;
    PKCS11_KEY *key;
    int ret;

    *priv = NULL;
    if ((ret = tok_uri_parse(uri, &u, e)) != SK_OK)
        return ret;
    if (!u.has_object && !u.has_id)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI %s names no key (object= or id=)", uri);
    if (u.has_type && strcmp(u.type, "private") != 0)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI %s: type=%s is not a private key", uri,
                          u.type);
    if ((ret = find_key(s, u.has_id ? u.id : NULL, u.id_len, u.has_object ? u.object : NULL,
                        &key, e)) != SK_OK)
        return ret;
    return key_to_evp(s, key, priv, e);
}
