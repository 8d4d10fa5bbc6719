/* ca import (issuer/ca/ca_pki.h): the certificates the CA's root signed for the station's
 * requests, checked against the request, the station's key and the root given, then
 * installed as the files ca_open reads. */
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
#include "util/sk_pem.h"

static int read_req(const char *path, X509_REQ **out, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    BIO *b = NULL;
    int ret;

    *out = NULL;
    if ((ret = sk_file_read(path, 1 << 20, &data, &len, e)) != SK_OK)
        goto out;
    if ((b = BIO_new_mem_buf(data, (int)len)) != NULL)
        *out = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
    ERR_clear_error();
    ret =
        *out != NULL ? SK_OK : sk_err_set(e, SK_EINPUT, "%s: not a PEM certificate request", path);
out:
    BIO_free(b);
    free(data);
    return ret;
}

/* The station's issuing key, as ca_open finds it: the file, or on the HSM. */
static int load_key(const station_config *st, const char *secret, tok_module *hsm, tok_slot **slot,
                    EVP_PKEY **key, sk_err *e)
{
    char path[PATH_MAX];
    int ret;

    if (st->ca_key_uri == NULL) {
        if ((ret = ca_int_file(st, "issuing.key", path, sizeof(path), e)) != SK_OK)
            return ret;
        return ca_int_read_key(path, secret, key, e);
    }
    if (hsm == NULL)
        return sk_err_set(e, SK_EINTERNAL, "CA key URI set but no HSM module loaded");
    if ((ret = tok_select(hsm, st->ca_key_uri, slot, e)) != SK_OK ||
        (ret = tok_login_user(*slot, secret, e)) != SK_OK ||
        (ret = tok_get_private_key_by_uri(*slot, st->ca_key_uri, key, e)) != SK_OK)
        return sk_err_wrap(e, "CA key %s", st->ca_key_uri);
    return SK_OK;
}

static bool self_signed_ca(X509 *x)
{
    bool ok = X509_check_ca(x) >= 1 && X509_check_issued(x, x) == X509_V_OK &&
              X509_verify(x, X509_get0_pubkey(x)) == 1;

    ERR_clear_error();
    return ok;
}

/* A CA certificate as the station needs its issuing CA: CA:TRUE in a critical
 * basicConstraints, and a keyUsage with keyCertSign (certificates) and cRLSign (CRLs). */
static int check_ca_profile(X509 *cert, const char *path, sk_err *e)
{
    int i = X509_get_ext_by_NID(cert, NID_basic_constraints, -1);
    uint32_t ku = X509_get_key_usage(cert);

    if (i < 0 || !(X509_get_extension_flags(cert) & EXFLAG_CA))
        return sk_err_set(e, SK_ECRYPTO,
                          "%s: not a CA certificate (basicConstraints CA:TRUE "
                          "missing)",
                          path);
    if (!X509_EXTENSION_get_critical(X509_get_ext(cert, i)))
        return sk_err_set(e, SK_ECRYPTO, "%s: basicConstraints is not critical", path);
    if (ku == UINT32_MAX ||
        (ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != (KU_KEY_CERT_SIGN | KU_CRL_SIGN))
        return sk_err_set(e, SK_ECRYPTO, "%s: keyUsage must allow keyCertSign and cRLSign", path);
    return SK_OK;
}

/* It chains to the root alone, now, signed by it directly (the station's CA files are an
 * issuing CA and its root: ca_open). */
static int check_chain(X509 *cert, X509 *root, const char *path, const char *root_path, sk_err *e)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ret = SK_ECRYPTO;

    if (!self_signed_ca(root)) {
        ret =
            sk_err_set(e, SK_ECRYPTO, "%s: not a self-signed CA certificate (the root)", root_path);
        goto out;
    }
    if (X509_check_issued(root, cert) != X509_V_OK ||
        X509_verify(cert, X509_get0_pubkey(root)) != 1) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_ECRYPTO,
                         "%s is not signed by the root %s (the issuing CA must "
                         "be signed by the root itself)",
                         path, root_path);
        goto out;
    }
    if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, root) ||
        !X509_STORE_CTX_init(ctx, store, cert, NULL)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "setting up chain verification");
        goto out;
    }
    if (X509_verify_cert(ctx) != 1) {
        ret = sk_err_set(e, SK_ECRYPTO, "%s does not verify against %s: %s", path, root_path,
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    ret = SK_OK;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ret;
}

/* Every check of the issuing CA certificate, before any file is written. */
static int check_issuing(const station_config *st, X509 *cert, X509 *root, const char *path,
                         const char *root_path, const char *secret, tok_module *hsm, sk_err *e)
{
    char csr[PATH_MAX];
    X509_REQ *req = NULL;
    EVP_PKEY *key = NULL;
    tok_slot *slot = NULL;
    int ret;

    if ((ret = ca_int_file(st, CA_ISSUING_CSR, csr, sizeof(csr), e)) != SK_OK ||
        (ret = read_req(csr, &req, e)) != SK_OK)
        goto out;
    if (EVP_PKEY_eq(X509_get0_pubkey(cert), X509_REQ_get0_pubkey(req)) != 1) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_ECRYPTO,
                         "%s: its key is not the one of this station's request "
                         "%s",
                         path, csr);
        goto out;
    }
    if ((ret = load_key(st, secret, hsm, &slot, &key, e)) != SK_OK)
        goto out;
    if (!ca_int_key_matches(cert, key, st->ca_key_uri != NULL)) {
        ret = sk_err_set(e, SK_ECRYPTO,
                         "%s: the station's issuing key (%s) does not belong to "
                         "it",
                         path, st->ca_key_uri != NULL ? st->ca_key_uri : "ca/issuing.key");
        goto out;
    }
    if ((ret = check_ca_profile(cert, path, e)) != SK_OK ||
        (ret = check_chain(cert, root, path, root_path, e)) != SK_OK)
        goto out;
    ret = SK_OK;
out:
    EVP_PKEY_free(key);
    tok_slot_free(slot);
    X509_REQ_free(req);
    return ret;
}

static int import_issuing(const station_config *st, const ca_import_files *f, const char *secret,
                          tok_module *hsm, X509 **cert, X509 **root, sk_err *e)
{
    char path[PATH_MAX];
    int ret;

    if ((ret = ca_int_file(st, "issuing.crt", path, sizeof(path), e)) != SK_OK)
        return ret;
    if (sk_file_exists(path))
        return sk_err_set(e, SK_ESTATE,
                          "%s exists: this station's issuing CA certificate is "
                          "installed already",
                          path);
    if ((ret = ca_int_file(st, CA_ISSUING_CSR, path, sizeof(path), e)) != SK_OK)
        return ret;
    if (!st->ca_external && !sk_file_exists(path))
        return sk_err_set(e, SK_ESTATE,
                          "%s: no issuing CA request in this station (run "
                          "sealkey ca request)",
                          path);
    if ((ret = sk_pem_read_cert(f->cert, cert, e)) != SK_OK ||
        (ret = sk_pem_read_cert(f->root, root, e)) != SK_OK)
        return ret;
    /* External signing: the CA that signs the tokens' certificates elsewhere; its key is
     * not the station's. */
    if (st->ca_external) {
        if ((ret = check_ca_profile(*cert, f->cert, e)) != SK_OK)
            return ret;
        return check_chain(*cert, *root, f->cert, f->root, e);
    }
    return check_issuing(st, *cert, *root, f->cert, f->root, secret, hsm, e);
}

int ca_import(const station_config *st, const ca_import_files *f, const char *secret,
              tok_module *hsm, sk_err *e)
{
    X509 *cert = NULL, *root = NULL;
    char dir[PATH_MAX], path[PATH_MAX];
    int lock = -1, ret;

    if ((f->cert == NULL) != (f->root == NULL) ||
        (f->seal_cert == NULL) != (f->seal_root == NULL) ||
        (f->cert == NULL && f->seal_cert == NULL)) {
        ret = sk_err_set(e, SK_EUSAGE,
                         "ca import: give --cert with --root, and/or "
                         "--seal-cert with --seal-root");
        goto out;
    }
    if ((ret = station_path(st, "ca", dir, sizeof(dir), e)) != SK_OK ||
        (ret = station_path(st, "ca.lock", path, sizeof(path), e)) != SK_OK ||
        (ret = sk_lock_acquire(path, &lock, e)) != SK_OK)
        goto out;
    if (f->cert != NULL && (ret = import_issuing(st, f, secret, hsm, &cert, &root, e)) != SK_OK)
        goto out;
    /* The seal maker checks and installs itself; then the issuing CA's files, issuing.crt
     * last, since it is what says the station has its CA. */
    if (f->seal_cert != NULL &&
        (ret = sealmaker_import(dir, secret, f->seal_cert, f->seal_root, e)) != SK_OK)
        goto out;
    if (cert != NULL) {
        X509 *chain[2] = {cert, root};
        if ((ret = ca_int_file(st, "root.crt", path, sizeof(path), e)) != SK_OK ||
            (ret = cau_create_certs(path, &root, 1, e)) != SK_OK ||
            (ret = ca_int_file(st, "chain.pem", path, sizeof(path), e)) != SK_OK ||
            (ret = cau_create_certs(path, chain, 2, e)) != SK_OK ||
            (ret = ca_int_file(st, "issuing.crt", path, sizeof(path), e)) != SK_OK ||
            (ret = cau_create_certs(path, &cert, 1, e)) != SK_OK)
            goto out;
    }
    ret = SK_OK;
out:
    sk_lock_release(&lock);
    X509_free(cert);
    X509_free(root);
    return ret;
}
