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
#include "util/sk_sm2.h"

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

/* A certificate's commonName (else its one-line name), for messages. */
static void cert_name(X509 *x, char *buf, size_t len)
{
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)len) < 0)
        X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len);
}

static bool signed_by(X509 *sub, X509 *iss)
{
    bool ok =
        X509_check_issued(iss, sub) == X509_V_OK && X509_verify(sub, X509_get0_pubkey(iss)) == 1;

    ERR_clear_error();
    return ok;
}

/* The path from cert up to root through the policy CAs of pool (any order; root itself,
 * if there, is left out), into *policy nearest first: each issued and signed by the next,
 * the last by root; every certificate of pool on it; each policy CA a CA as the station
 * needs its issuing CA to be (check_ca_profile), with a pathLenConstraint, if any, that
 * allows the CAs below it in a token certificate's path (the issuing CA and the policy CAs
 * under it), and the root's too; and the whole path verifying against root alone now. */
static int check_path(X509 *cert, STACK_OF(X509) *pool, X509 *root, const char *path,
                      const char *chain_path, const char *root_path, STACK_OF(X509) **policy,
                      sk_err *e)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *pol = sk_X509_new_null();
    X509 *cur = cert;
    char name[256], what[600];
    bool used[CA_CHAIN_MAX * 2] = {false};
    int ret = SK_ECRYPTO, n_pool = pool != NULL ? sk_X509_num(pool) : 0;

    *policy = NULL;
    if (store == NULL || ctx == NULL || pol == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    if (n_pool > (int)(sizeof(used) / sizeof(used[0]))) {
        ret = sk_err_set(e, SK_EINPUT, "%s: more than %zu certificates", chain_path,
                         sizeof(used) / sizeof(used[0]));
        goto out;
    }
    if (!self_signed_ca(root)) {
        ret =
            sk_err_set(e, SK_ECRYPTO, "%s: not a self-signed CA certificate (the root)", root_path);
        goto out;
    }
    /* The root, or the issuing CA again, in a bundle is no policy CA. */
    for (int i = 0; i < n_pool; i++)
        used[i] = X509_cmp(sk_X509_value(pool, i), root) == 0 ||
                  X509_cmp(sk_X509_value(pool, i), cert) == 0;
    while (!signed_by(cur, root)) {
        int next = -1;
        for (int i = 0; i < n_pool && next < 0; i++)
            if (!used[i] && signed_by(cur, sk_X509_value(pool, i)))
                next = i;
        cert_name(cur, name, sizeof(name));
        if (next < 0 && sk_X509_num(pol) == 0) {
            ret = sk_err_set(e, SK_ECRYPTO, "%s is not signed by the root %s%s%s", path, root_path,
                             n_pool > 0 ? " nor by a policy CA of "
                                        : " (a policy CA between them? give it with --chain)",
                             n_pool > 0 ? chain_path : "");
            goto out;
        }
        if (next < 0) {
            ret = sk_err_set(e, SK_ECRYPTO,
                             "%s: the policy CA '%s' is signed neither by the "
                             "root %s nor by another certificate of %s",
                             chain_path, name, root_path, chain_path);
            goto out;
        }
        if (sk_X509_num(pol) == CA_POLICY_MAX) {
            ret = sk_err_set(e, SK_EINPUT, "%s: more than %d policy CAs between %s and the root",
                             chain_path, CA_POLICY_MAX, path);
            goto out;
        }
        used[next] = true;
        cur = sk_X509_value(pool, next);
        if (!sk_X509_push(pol, cur)) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
            goto out;
        }
        X509_up_ref(cur);
    }
    for (int i = 0; i < n_pool; i++)
        if (!used[i]) {
            cert_name(sk_X509_value(pool, i), name, sizeof(name));
            ret = sk_err_set(e, SK_ECRYPTO, "%s: '%s' is not on the path from %s to the root %s",
                             chain_path, name, path, root_path);
            goto out;
        }
    for (int i = 0; i <= sk_X509_num(pol); i++) {
        X509 *p = i < sk_X509_num(pol) ? sk_X509_value(pol, i) : root;
        long len = X509_get_pathlen(p);
        cert_name(p, name, sizeof(name));
        snprintf(what, sizeof(what), "%s: %s '%s'", i < sk_X509_num(pol) ? chain_path : root_path,
                 i < sk_X509_num(pol) ? "policy CA" : "root", name);
        if (i < sk_X509_num(pol) && (ret = check_ca_profile(p, what, e)) != SK_OK)
            goto out;
        /* Below it in a token certificate's path: the issuing CA and i policy CAs. */
        if (len >= 0 && len < i + 1) {
            ret = sk_err_set(e, SK_ECRYPTO,
                             "%s: basicConstraints pathlen:%ld leaves no room "
                             "for the %d CA(s) below it (the issuing CA%s)",
                             what, len, i + 1, i > 0 ? " and policy CAs" : "");
            goto out;
        }
    }
    if (!X509_STORE_add_cert(store, root) || !X509_STORE_CTX_init(ctx, store, cert, pol)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "setting up chain verification");
        goto out;
    }
    if (X509_verify_cert(ctx) != 1) {
        ret = sk_err_set(e, SK_ECRYPTO, "%s does not verify against %s%s%s: %s", path, root_path,
                         sk_X509_num(pol) > 0 ? " through the policy CAs of " : "",
                         sk_X509_num(pol) > 0 ? chain_path : "",
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    *policy = pol;
    pol = NULL;
    ret = SK_OK;
out:
    sk_X509_pop_free(pol, X509_free);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ret;
}

/* Every check of the issuing CA certificate, before any file is written. */
static int check_issuing(const station_config *st, X509 *cert, X509 *root, STACK_OF(X509) *pool,
                         const char *path, const char *chain_path, const char *root_path,
                         const char *secret, tok_module *hsm, STACK_OF(X509) **policy, sk_err *e)
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
        (ret = check_path(cert, pool, root, path, chain_path, root_path, policy, e)) != SK_OK)
        goto out;
    ret = SK_OK;
out:
    EVP_PKEY_free(key);
    tok_slot_free(slot);
    X509_REQ_free(req);
    return ret;
}

/* The certificates of --chain, and those after the first in --cert (a bundle), in one
 * pool for check_path; SM2 ones get the SM2 ID they are checked with. */
static int read_pool(const ca_import_files *f, STACK_OF(X509) *bundle, STACK_OF(X509) **pool,
                     sk_err *e)
{
    STACK_OF(X509) *chain = NULL;
    int ret;

    if ((*pool = sk_X509_new_null()) == NULL)
        return sk_err_ossl(e, SK_ECRYPTO, "out of memory");
    if (f->chain != NULL &&
        (ret = sk_pem_read_certs(f->chain, CA_CHAIN_MAX * 2, &chain, e)) != SK_OK)
        return ret;
    for (int i = 1; i < sk_X509_num(bundle); i++)
        if (!sk_X509_push(*pool, X509_dup(sk_X509_value(bundle, i)))) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
            goto out;
        }
    while (chain != NULL && sk_X509_num(chain) > 0)
        if (!sk_X509_push(*pool, sk_X509_shift(chain))) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
            goto out;
        }
    for (int i = 0; i < sk_X509_num(*pool); i++)
        if (sk_X509_value(*pool, i) == NULL ||
            (ret = sk_sm2_cert_set_id(sk_X509_value(*pool, i), e)) != SK_OK) {
            ret =
                sk_X509_value(*pool, i) == NULL ? sk_err_ossl(e, SK_ECRYPTO, "out of memory") : ret;
            goto out;
        }
    ret = SK_OK;
out:
    sk_X509_pop_free(chain, X509_free);
    return ret;
}

static int import_issuing(const station_config *st, const ca_import_files *f, const char *secret,
                          tok_module *hsm, X509 **cert, X509 **root, STACK_OF(X509) **policy,
                          sk_err *e)
{
    char path[PATH_MAX];
    STACK_OF(X509) *bundle = NULL, *pool = NULL;
    const char *chain_path = f->chain != NULL ? f->chain : f->cert;
    int ret;

    if ((ret = ca_int_file(st, "issuing.crt", path, sizeof(path), e)) != SK_OK)
        goto out;
    if (sk_file_exists(path)) {
        ret = sk_err_set(e, SK_ESTATE,
                         "%s exists: this station's issuing CA certificate is "
                         "installed already",
                         path);
        goto out;
    }
    if ((ret = ca_int_file(st, CA_ISSUING_CSR, path, sizeof(path), e)) != SK_OK)
        goto out;
    if (!st->ca_external && !sk_file_exists(path)) {
        ret = sk_err_set(e, SK_ESTATE,
                         "%s: no issuing CA request in this station (run "
                         "sealkey ca request)",
                         path);
        goto out;
    }
    /* --cert may be a bundle: the issuing CA first, then policy CAs (and the root). */
    if ((ret = sk_pem_read_certs(f->cert, CA_CHAIN_MAX * 2, &bundle, e)) != SK_OK ||
        (ret = sk_pem_read_cert(f->root, root, e)) != SK_OK ||
        (ret = read_pool(f, bundle, &pool, e)) != SK_OK)
        goto out;
    *cert = sk_X509_shift(bundle);
    if ((ret = sk_sm2_cert_set_id(*cert, e)) != SK_OK ||
        (ret = sk_sm2_cert_set_id(*root, e)) != SK_OK)
        goto out;
    /* External signing: the CA that signs the tokens' certificates elsewhere; its key is
     * not the station's. */
    if (st->ca_external) {
        if ((ret = check_ca_profile(*cert, f->cert, e)) != SK_OK)
            goto out;
        ret = check_path(*cert, pool, *root, f->cert, chain_path, f->root, policy, e);
        goto out;
    }
    ret =
        check_issuing(st, *cert, *root, pool, f->cert, chain_path, f->root, secret, hsm, policy, e);
out:
    sk_X509_pop_free(bundle, X509_free);
    sk_X509_pop_free(pool, X509_free);
    return ret;
}

int ca_import(const station_config *st, const ca_import_files *f, const char *secret,
              tok_module *hsm, sk_err *e)
{
    X509 *cert = NULL, *root = NULL, *chain[CA_CHAIN_MAX];
    STACK_OF(X509) *policy = NULL;
    char dir[PATH_MAX], path[PATH_MAX];
    int lock = -1, ret;
    size_t n = 0;

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
    if (f->chain != NULL && f->cert == NULL) {
        ret = sk_err_set(e, SK_EUSAGE, "ca import: --chain goes with --cert and --root");
        goto out;
    }
    if (f->cert != NULL &&
        (ret = import_issuing(st, f, secret, hsm, &cert, &root, &policy, e)) != SK_OK)
        goto out;
    /* The seal maker checks and installs itself; then the issuing CA's files, issuing.crt
     * last, since it is what says the station has its CA. */
    if (f->seal_cert != NULL &&
        (ret = sealmaker_import(dir, secret, f->seal_cert, f->seal_root, e)) != SK_OK)
        goto out;
    if (cert != NULL) {
        /* chain.pem: the issuing CA, the policy CAs nearest first, the root (ca_open). */
        chain[n++] = cert;
        for (int i = 0; i < sk_X509_num(policy); i++)
            chain[n++] = sk_X509_value(policy, i);
        chain[n++] = root;
        if ((ret = ca_int_file(st, "root.crt", path, sizeof(path), e)) != SK_OK ||
            (ret = cau_create_certs(path, &root, 1, e)) != SK_OK ||
            (ret = ca_int_file(st, "chain.pem", path, sizeof(path), e)) != SK_OK ||
            (ret = cau_create_certs(path, chain, n, e)) != SK_OK ||
            (ret = ca_int_file(st, "issuing.crt", path, sizeof(path), e)) != SK_OK ||
            (ret = cau_create_certs(path, &cert, 1, e)) != SK_OK)
            goto out;
    }
    ret = SK_OK;
out:
    sk_lock_release(&lock);
    X509_free(cert);
    X509_free(root);
    sk_X509_pop_free(policy, X509_free);
    return ret;
}
