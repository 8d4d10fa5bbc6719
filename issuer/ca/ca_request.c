/* ca request and the station's CA mode (issuer/ca/ca_pki.h): the issuing CA key and its
 * PKCS#10 request for the CA's root, and the seal maker's, made on the station. */
#include "issuer/ca/ca_pki.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "issuer/ca/ca_int.h"
#include "issuer/ca/ca_util.h"
#include "seal/sealmaker_request.h"
#include "util/sk_file.h"
#include "util/sk_lock.h"
#include "util/sk_sm2.h"

const char *ca_mode_name(ca_mode m)
{
    switch (m) {
    case CA_MODE_DEMO:
        return "demo";
    case CA_MODE_REQUESTED:
        return "requested";
    case CA_MODE_PRODUCTION:
        return "production";
    case CA_MODE_EXTERNAL:
        return "external";
    case CA_MODE_NONE:
        break;
    }
    return "none";
}

static int exists(const station_config *st, const char *name, bool *yes, sk_err *e)
{
    char path[PATH_MAX];
    int ret = ca_int_file(st, name, path, sizeof(path), e);

    *yes = ret == SK_OK && sk_file_exists(path);
    return ret;
}

int ca_mode_get(const station_config *st, ca_mode_info *out, sk_err *e)
{
    bool crt, root_key, csr, seal_csr, seal_crt;
    int ret;

    memset(out, 0, sizeof(*out));
    if ((ret = exists(st, "issuing.crt", &crt, e)) != SK_OK ||
        (ret = exists(st, "root.key", &root_key, e)) != SK_OK ||
        (ret = exists(st, CA_ISSUING_CSR, &csr, e)) != SK_OK ||
        (ret = exists(st, CA_SEALMAKER_CSR, &seal_csr, e)) != SK_OK ||
        (ret = exists(st, SEALMAKER_CRT, &seal_crt, e)) != SK_OK ||
        (ret = exists(st, SEALMAKER_ROOT_KEY, &out->seal_root_key, e)) != SK_OK)
        return ret;
    out->mode = crt                                    ? (root_key          ? CA_MODE_DEMO
                                                          : st->ca_external ? CA_MODE_EXTERNAL
                                                                            : CA_MODE_PRODUCTION)
                : csr || (st->ca_external && seal_csr) ? CA_MODE_REQUESTED
                                                       : CA_MODE_NONE;
    out->seal_requested = seal_csr && !seal_crt;
    return SK_OK;
}

/* The request of the issuing CA, signed by its key (a file key, or the HSM's through libp11):
 * the subject ca init would give it, and the extensions the station needs of its
 * certificate, which the root's operators may copy or set themselves (ca import checks). */
static int build_req(const station_config *st, EVP_PKEY *pub, EVP_PKEY *key, X509_REQ **out,
                     sk_err *e)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *bc = NULL, *ku = NULL;
    char cn[300];
    int ret = SK_ECRYPTO;

    *out = NULL;
    if (snprintf(cn, sizeof(cn), "%s Issuing CA 1", st->ca_name) >= (int)sizeof(cn)) {
        ret = sk_err_set(e, SK_EINPUT, "station.json: ca.name: too long");
        goto out;
    }
    if (req == NULL || name == NULL || exts == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    if ((ret = cau_name_add(name, NID_countryName, "CN", e)) != SK_OK ||
        (ret = cau_name_add(name, NID_organizationName, st->ca_name, e)) != SK_OK ||
        (ret = cau_name_add(name, NID_commonName, cn, e)) != SK_OK)
        goto out;
    ret = SK_ECRYPTO;
    if ((bc = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
                                  "critical,CA:TRUE,pathlen:0")) == NULL ||
        (ku = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, "critical,keyCertSign,cRLSign")) ==
            NULL ||
        !sk_X509_EXTENSION_push(exts, bc) || !sk_X509_EXTENSION_push(exts, ku) ||
        !X509_REQ_set_version(req, 0) || !X509_REQ_set_subject_name(req, name) ||
        !X509_REQ_set_pubkey(req, pub) || !X509_REQ_add_extensions(req, exts)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "issuing CA request: cannot build it");
        goto out;
    }
    /* An SM2 issuing CA's request is SM2-with-SM3 with the SM2 ID (GM/T 0015), as the SM2
     * root must check it (openssl x509 -req -vfyopt distid:...); any other key's, SHA-256
     * through the key itself (an HSM key through libp11). */
    if (sk_sm2_is_key(pub)) {
        if ((ret = sk_req_sign(req, key, e)) != SK_OK) {
            sk_err_wrap(e, "issuing CA request");
            goto out;
        }
    } else if (X509_REQ_sign(req, key, EVP_sha256()) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "issuing CA request: cannot sign it");
        goto out;
    }
    *out = req;
    req = NULL;
    ret = SK_OK;
out:
    sk_X509_EXTENSION_free(exts); /* bc, ku freed below: the stack does not own them */
    X509_EXTENSION_free(bc);
    X509_EXTENSION_free(ku);
    X509_NAME_free(name);
    X509_REQ_free(req);
    return ret;
}

static int create_req(const char *path, X509_REQ *req, sk_err *e)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long len;
    int ret;

    if (b == NULL || !PEM_write_bio_X509_REQ(b, req)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: encoding the request", path);
        goto out;
    }
    len = BIO_get_mem_data(b, &p);
    ret = sk_file_create_atomic(path, p, (size_t)len, 0644, e);
out:
    BIO_free(b);
    return ret;
}

int ca_request(const station_config *st, sk_keyalg key_alg, const char *secret, tok_module *hsm,
               sk_err *e)
{
    EVP_PKEY *key = NULL, *pub = NULL;
    tok_slot *slot = NULL;
    X509_REQ *req = NULL;
    char dir[PATH_MAX], path[PATH_MAX];
    int lock = -1, ret;

    if ((ret = station_path(st, "ca", dir, sizeof(dir), e)) != SK_OK ||
        (ret = sk_mkdir_p(dir, 0755, e)) != SK_OK ||
        (ret = station_path(st, "ca.lock", path, sizeof(path), e)) != SK_OK ||
        (ret = sk_lock_acquire(path, &lock, e)) != SK_OK)
        goto out;
    if (ca_int_any_file(st, path, sizeof(path)) ||
        ((ret = ca_int_file(st, CA_ISSUING_CSR, path, sizeof(path), e)) == SK_OK &&
         sk_file_exists(path))) {
        ret =
            sk_err_set(e, SK_ESTATE, "%s exists: this station already has a CA or a request", path);
        goto out;
    }
    if (ret != SK_OK)
        goto out;
    /* External signing: the CA's own system keeps the issuing key; only the seal maker's
     * is made here. */
    if (st->ca_external) {
        ret = sealmaker_request(dir, secret, st->ca_name, e);
        goto out;
    }
    if (st->ca_key_uri != NULL && sk_keyalg_is_sm2(key_alg)) {
        /* PKCS#11 defines no SM2 mechanism (SoftHSM has none): an SM2 CA key is a file. */
        ret = sk_err_set(e, SK_EINPUT, "station.json: ca.key_uri: an sm2 CA key cannot be made "
                         "on a PKCS#11 HSM; leave ca.key_uri out for an SM2 CA");
        goto out;
    }
    if (st->ca_key_uri != NULL) {
        if (hsm == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "CA key URI set but no HSM module loaded");
            goto out;
        }
        if ((ret = ca_int_hsm_keygen(st, key_alg, secret, hsm, &slot, &key, &pub, e)) != SK_OK)
            goto out;
    } else {
        if ((ret = cau_keygen(key_alg, &key, e)) != SK_OK)
            goto out;
        pub = key;
        EVP_PKEY_up_ref(pub);
    }
    /* The request carries the public key the key generation returned (a token key may not
     * expose it through libp11) and is signed by the private key, on the HSM when there. */
    if ((ret = build_req(st, pub, key, &req, e)) != SK_OK)
        goto out;
    /* The key first, the request last: a request on the station means its key is there. */
    if (st->ca_key_uri == NULL &&
        ((ret = ca_int_file(st, "issuing.key", path, sizeof(path), e)) != SK_OK ||
         (ret = ca_int_write_key(path, key, secret, e)) != SK_OK))
        goto out;
    if ((ret = sealmaker_request(dir, secret, st->ca_name, e)) != SK_OK)
        goto out;
    if ((ret = ca_int_file(st, CA_ISSUING_CSR, path, sizeof(path), e)) != SK_OK ||
        (ret = create_req(path, req, e)) != SK_OK)
        goto out;
    ret = SK_OK;
out:
    sk_lock_release(&lock);
    X509_REQ_free(req);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(key); /* the token key refers to the slot, so it goes first */
    tok_slot_free(slot);
    return ret;
}
