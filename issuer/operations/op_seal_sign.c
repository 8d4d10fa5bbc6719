/* seal sign (op_seal_sign.h): the signer's key from a file or a PKCS#11 token, through the
 * ses_signer callback, so an SKF device can take the token's place without this changing. */
#include "issuer/operations/op_seal_sign.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/tok.h"
#include "seal/ses_sign.h"
#include "util/sk_file.h"
#include "util/sk_pem.h"
#include "util/sk_secret.h"
#include "util/sk_sm2.h"

#define KEY_FILE_MAX (64 * 1024)

struct key_src {
    tok_module *mod;
    tok_slot *slot;
    EVP_PKEY *key;
};

static void key_src_free(struct key_src *k)
{
    EVP_PKEY_free(k->key); /* a token key refers to its slot: first */
    tok_slot_free(k->slot);
    tok_module_free(k->mod);
}

static int key_from_file(const char *path, const char *pass, EVP_PKEY **out, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    BIO *b = NULL;
    int ret;

    *out = NULL;
    if ((ret = sk_file_read(path, KEY_FILE_MAX, &data, &len, e)) != SK_OK)
        return ret;
    if ((b = BIO_new_mem_buf(data, (int)len)) != NULL) {
        *out = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)(pass != NULL ? pass : ""));
        sk_secret_wipe_stack(); /* the decoder's unwiped copy of the passphrase */
    }
    if (*out == NULL) {
        unsigned long err = ERR_peek_last_error();
        ERR_clear_error();
        ret = ERR_GET_REASON(err) == EVP_R_BAD_DECRYPT || ERR_GET_LIB(err) == ERR_LIB_PKCS12 ||
                      ERR_GET_LIB(err) == ERR_LIB_EVP
                  ? sk_err_set(e, SK_EPIN, "%s: cannot decrypt the key: wrong passphrase?", path)
                  : sk_err_set(e, SK_EINPUT, "%s: not a PEM private key", path);
    } else {
        ret = SK_OK;
    }
    BIO_free(b);
    OPENSSL_cleanse(data, len);
    free(data);
    return ret;
}

static int key_from_token(const op_sign_req *r, struct key_src *k, sk_err *e)
{
    int ret;

    if (r->module == NULL)
        return sk_err_set(e, SK_EINPUT, "key %s: no PKCS#11 module given (--module)", r->key);
    if ((ret = tok_module_open(r->module, &k->mod, e)) != SK_OK ||
        (ret = tok_select(k->mod, r->key, &k->slot, e)) != SK_OK ||
        (ret = tok_login_user(k->slot, r->secret, e)) != SK_OK ||
        (ret = tok_get_private_key_by_uri(k->slot, r->key, &k->key, e)) != SK_OK)
        return sk_err_wrap(e, "key %s", r->key);
    return SK_OK;
}

/* The document's file name when it is printable ASCII, else "document". */
static void default_property(const char *doc, char *buf, size_t len)
{
    const char *base = strrchr(doc, '/');
    size_t n;

    base = base != NULL ? base + 1 : doc;
    n = strlen(base);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)base[i] < 0x20 || (unsigned char)base[i] > 0x7e)
            n = 0;
    snprintf(buf, len, "%s", n > 0 && n < 256 ? base : "document");
}

int op_seal_sign_prepare(const op_sign_req *r, op_sign *st, sk_err *e)
{
    X509 *cert = NULL;
    ses_seal *s = NULL;
    unsigned char *der = NULL;
    int der_len, ret;

    memset(st, 0, sizeof(*st));
    st->req = r;
    if (sk_file_exists(r->out_path))
        return sk_err_set(e, SK_ESTATE, "%s exists: not overwritten", r->out_path);
    if ((ret = sk_file_read(r->seal_path, SES_MAX_FILE, &st->seal, &st->seal_len, e)) != SK_OK ||
        (ret = ses_seal_parse(st->seal, st->seal_len, r->seal_path, &s, e)) != SK_OK ||
        (ret = sk_pem_read_cert(r->cert_path, &cert, e)) != SK_OK ||
        (ret = sk_sm2_cert_set_id(cert, e)) != SK_OK ||
        (ret = ses_doc_hash_file(r->doc_path, st->doc_hash, e)) != SK_OK)
        goto out;
    if (s->in_signature != 0 || s->format_version == 1) {
        ret = sk_err_set(e, SK_EINPUT, "%s: a v4 seal is needed, this is %s", r->seal_path,
                         s->in_signature ? "an SES_Signature" : "a v1 seal");
        goto out;
    }
    if (!sk_sm2_is_key(X509_get0_pubkey(cert))) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_EINPUT,
                         "%s: not an SM2 certificate: GB/T 38540 signatures are "
                         "SM2-with-SM3",
                         r->cert_path);
        goto out;
    }
    if ((der_len = i2d_X509(cert, &der)) <= 0 || !ses_cert_in_list(s, der, (size_t)der_len)) {
        ret = sk_err_set(e, SK_EINPUT,
                         "%s: the certificate is not in the seal's certList (%s): "
                         "only the seal's holder signs with it",
                         r->cert_path, r->seal_path);
        goto out;
    }
    default_property(r->doc_path, st->res.property, sizeof(st->res.property));
    if (r->property != NULL)
        snprintf(st->res.property, sizeof(st->res.property), "%s", r->property);
    snprintf(st->res.es_id, sizeof(st->res.es_id), "%s", s->es_id);
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, st->res.signer,
                                  sizeof(st->res.signer)) <= 0)
        X509_NAME_oneline(X509_get_subject_name(cert), st->res.signer, sizeof(st->res.signer));
    st->cert = cert;
    cert = NULL;
    ret = SK_OK;
out:
    OPENSSL_free(der);
    X509_free(cert);
    ses_seal_free(s);
    return ret;
}

int op_seal_sign(op_sign *st, sk_err *e)
{
    const op_sign_req *r = st->req;
    struct key_src k = {NULL, NULL, NULL};
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    ses_signer signer;
    ses_sign_params p;
    int ret;

    memset(&p, 0, sizeof(p));
    if (strncmp(r->key, "skf:", 4) == 0)
        return op_seal_sign_skf(st, e);
    if (strncmp(r->key, "pkcs11:", 7) == 0)
        ret = key_from_token(r, &k, e);
    else
        ret = key_from_file(r->key, r->secret, &k.key, e);
    if (ret != SK_OK)
        goto out;
    if (!sk_sm2_is_key(k.key)) {
        ret = sk_err_set(e, SK_EINPUT,
                         "key %s: not an SM2 key (PKCS#11 tokens such as SoftHSM have no SM2; an "
                         "SM2 token key signs through SKF)",
                         r->key);
        goto out;
    }
    p.seal = st->seal;
    p.seal_len = st->seal_len;
    memcpy(p.doc_hash, st->doc_hash, sizeof(p.doc_hash));
    p.property = st->res.property;
    p.time = time(NULL);
    ses_signer_evp(k.key, st->cert, &signer);
    if ((ret = ses_signature_build(&p, &signer, &sig, &sig_len, e)) != SK_OK) {
        sk_err_wrap(e, "%s", r->doc_path);
        goto out;
    }
    /* Created, never replaced; whole or not at all. */
    if ((ret = sk_file_create_atomic(r->out_path, sig, sig_len, 0644, e)) != SK_OK)
        goto out;
    ses_time_format(p.time, st->res.time, sizeof(st->res.time));
    ret = SK_OK;
out:
    key_src_free(&k);
    OPENSSL_free(sig);
    return ret;
}

void op_seal_sign_clear(op_sign *st)
{
    free(st->seal);
    X509_free(st->cert);
    st->seal = NULL;
    st->cert = NULL;
}
