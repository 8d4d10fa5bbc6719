/* The seal maker by request (seal/sealmaker_request.h): the SM2 key stays here, the CA's SM2
 * root signs the request elsewhere, and what comes back is checked before it is installed. */
#include "seal/sealmaker_request.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "seal/ses.h"
#include "seal/sealmaker_pem.h"
#include "seal/ses_asn1.h"
#include "util/sk_file.h"
#include "util/sk_pem.h"
#include "util/sk_secret.h"
#include "util/sk_sm2.h"

#define KEY_FILE_MAX (64 * 1024)

static int build_req(EVP_PKEY *key, const char *org, X509_REQ **out, sk_err *e)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    char cn[300];
    int ret = SK_ECRYPTO;

    *out = NULL;
    if (snprintf(cn, sizeof(cn), "%s Seal Maker", org) >= (int)sizeof(cn)) {
        ret = sk_err_set(e, SK_EINPUT, "station.json: ca.name: too long");
        goto out;
    }
    if (req == NULL || name == NULL || mctx == NULL || !X509_REQ_set_version(req, 0) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) ||
        !X509_REQ_set_subject_name(req, name) || !X509_REQ_set_pubkey(req, key) ||
        EVP_DigestSignInit(mctx, &pctx, EVP_sm3(), NULL, key) != 1 ||
        EVP_PKEY_CTX_set1_id(pctx, SES_SM2_ID, strlen(SES_SM2_ID)) <= 0 ||
        X509_REQ_sign_ctx(req, mctx) <= 0) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "seal maker request: cannot build or sign it");
        goto out;
    }
    *out = req;
    req = NULL;
    ret = SK_OK;
out:
    EVP_MD_CTX_free(mctx);
    X509_NAME_free(name);
    X509_REQ_free(req);
    return ret;
}

int sealmaker_request(const char *dir, const char *passphrase, const char *org_name, sk_err *e)
{
    static const char *const files[] = {SEALMAKER_KEY, SEALMAKER_CSR, SEALMAKER_CRT,
                                        SEALMAKER_ROOT_KEY, SEALMAKER_ROOT_CRT};
    EVP_PKEY *key = NULL;
    X509_REQ *req = NULL;
    char path[4096];
    int ret;

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if ((ret = sk_path_join(path, sizeof(path), dir, files[i], e)) != SK_OK)
            goto out;
        if (sk_file_exists(path)) {
            ret =
                sk_err_set(e, SK_ESTATE, "%s exists: this station has a seal maker already", path);
            goto out;
        }
    }
    if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2")) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "cannot generate an SM2 key");
        goto out;
    }
    if ((ret = build_req(key, org_name, &req, e)) != SK_OK ||
        (ret = sealmaker_write_pem(dir, SEALMAKER_KEY, key, NULL, NULL, passphrase, e)) !=
            SK_OK ||
        (ret = sealmaker_write_pem(dir, SEALMAKER_CSR, NULL, NULL, req, NULL, e)) != SK_OK)
        goto out;
    ret = SK_OK;
out:
    X509_REQ_free(req);
    EVP_PKEY_free(key);
    return ret;
}

static int read_key(const char *path, const char *passphrase, EVP_PKEY **out, sk_err *e)
{
    unsigned char *pem = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    int ret;

    *out = NULL;
    if ((ret = sk_file_read(path, KEY_FILE_MAX, &pem, &len, e)) != SK_OK)
        goto out;
    if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
        *out = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)passphrase);
        sk_secret_wipe_stack(); /* the decoder's unwiped copy of the passphrase */
    }
    ERR_clear_error();
    ret = *out != NULL ? SK_OK
                       : sk_err_set(e, SK_EPIN,
                                    "%s: cannot decrypt the seal maker key (wrong "
                                    "passphrase, or the file is damaged)",
                                    path);
out:
    if (pem != NULL)
        OPENSSL_cleanse(pem, len);
    free(pem);
    BIO_free(bio);
    return ret;
}

/* Does issuer's key sign x (SM2 signatures checked with the SM2 ID, on a copy)? */
static int signed_by(X509 *x, X509 *issuer)
{
    X509 *dup = X509_dup(x);
    sk_err e;
    int ok = dup != NULL && sk_sm2_cert_set_id(dup, &e) == SK_OK &&
             X509_check_issued(issuer, dup) == X509_V_OK &&
             X509_verify(dup, X509_get0_pubkey(issuer)) == 1;

    X509_free(dup);
    ERR_clear_error();
    return ok;
}

static int check_pair(X509 *cert, X509 *root, EVP_PKEY *key, const char *cert_path,
                      const char *root_path, sk_err *e)
{
    uint32_t ku;

    if (!EVP_PKEY_is_a(X509_get0_pubkey(root), "SM2") || X509_check_ca(root) < 1 ||
        !signed_by(root, root))
        return sk_err_set(e, SK_ECRYPTO, "%s: not a self-signed SM2 CA certificate", root_path);
    if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        return sk_err_set(e, SK_ECRYPTO,
                          "%s: its key is not the seal maker key of this "
                          "station's request (seal-maker.key)",
                          cert_path);
    }
    if (X509_check_ca(cert) != 0)
        return sk_err_set(e, SK_ECRYPTO,
                          "%s: a CA certificate; the seal maker needs an end "
                          "entity certificate",
                          cert_path);
    ku = X509_get_key_usage(cert);
    if (ku != UINT32_MAX && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
        return sk_err_set(e, SK_ECRYPTO, "%s: its keyUsage allows no signing", cert_path);
    if (!signed_by(cert, root))
        return sk_err_set(e, SK_ECRYPTO, "%s is not issued by %s", cert_path, root_path);
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0 ||
        X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
        return sk_err_set(e, SK_ECRYPTO, "%s: not valid now", cert_path);
    return SK_OK;
}

int sealmaker_import(const char *dir, const char *passphrase, const char *cert_path,
                     const char *root_path, sk_err *e)
{
    X509 *cert = NULL, *root = NULL;
    EVP_PKEY *key = NULL;
    char path[4096];
    int ret;

    if ((ret = sk_path_join(path, sizeof(path), dir, SEALMAKER_CRT, e)) != SK_OK)
        goto out;
    if (sk_file_exists(path)) {
        ret = sk_err_set(e, SK_ESTATE,
                         "%s exists: the seal maker certificate is installed "
                         "already",
                         path);
        goto out;
    }
    if ((ret = sk_path_join(path, sizeof(path), dir, SEALMAKER_CSR, e)) != SK_OK)
        goto out;
    if (!sk_file_exists(path)) {
        ret = sk_err_set(e, SK_ESTATE,
                         "%s: no seal maker request in this station (run "
                         "sealkey ca request)",
                         path);
        goto out;
    }
    if ((ret = sk_pem_read_cert(cert_path, &cert, e)) != SK_OK ||
        (ret = sk_pem_read_cert(root_path, &root, e)) != SK_OK ||
        (ret = sk_path_join(path, sizeof(path), dir, SEALMAKER_KEY, e)) != SK_OK ||
        (ret = read_key(path, passphrase, &key, e)) != SK_OK ||
        (ret = check_pair(cert, root, key, cert_path, root_path, e)) != SK_OK)
        goto out;
    /* The root first: the maker certificate is what says the import is done. */
    if ((ret = sealmaker_write_pem(dir, SEALMAKER_ROOT_CRT, NULL, root, NULL, NULL, e)) != SK_OK ||
        (ret = sealmaker_write_pem(dir, SEALMAKER_CRT, NULL, cert, NULL, NULL, e)) != SK_OK)
        goto out;
    ret = SK_OK;
out:
    EVP_PKEY_free(key);
    X509_free(cert);
    X509_free(root);
    return ret;
}
