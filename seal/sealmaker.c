/* The file-backed seal maker: an SM2 root and a seal-making certificate under it, with
 * passphrase-encrypted PKCS#8 keys. */
#include "seal/sealmaker.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "seal/ses.h"
#include "seal/sealmaker_pem.h"
#include "seal/ses_asn1.h"
#include "util/sk_file.h"
#include "util/sk_pem.h"
#include "util/sk_secret.h"
#include "util/sk_sm2.h"

#define ROOT_DAYS (20 * 365 + 5)
#define MAKER_DAYS (10 * 365 + 3)
#define KEY_FILE_MAX (64 * 1024)

static int new_sm2_key(EVP_PKEY **out, sk_err *e)
{
    *out = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    if (*out == NULL)
        return sk_err_ossl(e, SK_ECRYPTO, "cannot generate an SM2 key");
    return SK_OK;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, sk_err *e)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(x, ext, -1);

    X509_EXTENSION_free(ext);
    if (!ok)
        return sk_err_ossl(e, SK_ECRYPTO, "certificate extension %s=%s", OBJ_nid2sn(nid), value);
    return SK_OK;
}

/* A certificate for key, signed by issuer_key; issuer NULL means self-signed. */
static int make_cert(EVP_PKEY *key, const char *cn, const char *org, X509 *issuer,
                     EVP_PKEY *issuer_key, long days, int is_ca, X509 **out, sk_err *e)
{
    X509 *x = NULL;
    X509_NAME *name = NULL;
    BIGNUM *bn = NULL;
    unsigned char serial[16];
    X509V3_CTX ctx;
    int ret = SK_ECRYPTO;

    *out = NULL;
    if (RAND_bytes(serial, sizeof(serial)) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "no random serial number");
        goto out;
    }
    serial[0] &= 0x7f; /* positive */
    serial[0] |= 0x40; /* and a full 16 bytes long */
    if ((x = X509_new()) == NULL || (name = X509_NAME_new()) == NULL ||
        (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL || !X509_set_version(x, 2) ||
        BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) ||
        !X509_set_subject_name(x, name) ||
        !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) ||
        X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) == NULL ||
        !X509_set_pubkey(x, key)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "cannot build certificate '%s'", cn);
        goto out;
    }
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    if ((ret = add_ext(x, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE",
                       e)) != SK_OK ||
        (ret = add_ext(x, &ctx, NID_key_usage,
                       is_ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation",
                       e)) != SK_OK ||
        (ret = add_ext(x, &ctx, NID_subject_key_identifier, "hash", e)) != SK_OK)
        goto out;
    if (issuer != NULL &&
        (ret = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always", e)) != SK_OK)
        goto out;
    if ((ret = sk_x509_sign(x, issuer_key, e)) != SK_OK)
        goto out;
    *out = x;
    x = NULL;
    ret = SK_OK;
out:
    X509_free(x);
    X509_NAME_free(name);
    BN_free(bn);
    return ret;
}

int sealmaker_init(const char *dir, const char *passphrase, const char *org_name, sk_err *e)
{
    static const char *const files[] = {SEALMAKER_ROOT_KEY, SEALMAKER_ROOT_CRT, SEALMAKER_KEY,
                                        SEALMAKER_CRT};
    EVP_PKEY *root_key = NULL, *maker_key = NULL;
    X509 *root = NULL, *maker = NULL;
    char path[4096], cn[512];
    int ret;

    if (passphrase == NULL || passphrase[0] == '\0')
        return sk_err_set(e, SK_EPIN, "seal maker: an empty passphrase is not allowed");
    if (org_name == NULL || org_name[0] == '\0' || strlen(org_name) > 64)
        return sk_err_set(e, SK_EINPUT, "seal maker: organisation name must be 1..64 bytes");
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if ((ret = sk_path_join(path, sizeof(path), dir, files[i], e)) != SK_OK)
            return ret;
        if (sk_file_exists(path))
            return sk_err_set(e, SK_ESTATE, "%s: already exists; refusing to overwrite", path);
    }
    if ((ret = sk_mkdir_p(dir, 0700, e)) != SK_OK)
        return ret;
    if ((ret = new_sm2_key(&root_key, e)) != SK_OK || (ret = new_sm2_key(&maker_key, e)) != SK_OK)
        goto out;
    snprintf(cn, sizeof(cn), "%s Seal Root CA", org_name);
    if ((ret = make_cert(root_key, cn, org_name, NULL, root_key, ROOT_DAYS, 1, &root, e)) != SK_OK)
        goto out;
    snprintf(cn, sizeof(cn), "%s Seal Maker", org_name);
    if ((ret = make_cert(maker_key, cn, org_name, root, root_key, MAKER_DAYS, 0, &maker, e)) !=
        SK_OK)
        goto out;
    /* Keys first: a crash leaves a key without its certificate, which init then refuses to
     * overwrite, rather than a certificate whose key is lost. */
    if ((ret = sealmaker_write_pem(dir, SEALMAKER_ROOT_KEY, root_key, NULL, NULL, passphrase,
                                   e)) != SK_OK ||
        (ret = sealmaker_write_pem(dir, SEALMAKER_KEY, maker_key, NULL, NULL, passphrase, e)) !=
            SK_OK ||
        (ret = sealmaker_write_pem(dir, SEALMAKER_ROOT_CRT, NULL, root, NULL, NULL, e)) != SK_OK ||
        (ret = sealmaker_write_pem(dir, SEALMAKER_CRT, NULL, maker, NULL, NULL, e)) != SK_OK)
        goto out;
    ret = SK_OK;
out:
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(maker_key);
    X509_free(root);
    X509_free(maker);
    return ret;
}

static int file_sign(const sealmaker *m, const unsigned char *tbs, size_t tbs_len,
                     unsigned char **sig, size_t *sig_len, sk_err *e)
{
    return sk_sm2_sign((EVP_PKEY *)m->key, tbs, tbs_len, sig, sig_len, e);
}

static void file_free_key(void *key)
{
    EVP_PKEY_free(key);
}

static int read_cert(const char *dir, const char *file, int optional, X509 **out, sk_err *e)
{
    char path[4096];
    int ret;

    *out = NULL;
    if ((ret = sk_path_join(path, sizeof(path), dir, file, e)) != SK_OK)
        return ret;
    if (optional && !sk_file_exists(path))
        return SK_OK;
    return sk_pem_read_cert(path, out, e);
}

/* Was the last decoder failure a failed decryption (wrong passphrase) rather than a damaged
 * file? OpenSSL 3.0 reports it as "bad decrypt" from the cipher, under decoder errors. */
static int bad_decrypt_in_queue(void)
{
    unsigned long err;
    int found = 0;

    while ((err = ERR_get_error()) != 0) {
        const char *r = ERR_reason_error_string(err);
        if (r != NULL && strstr(r, "bad decrypt") != NULL)
            found = 1;
    }
    return found;
}

/* Read and decrypt an SM2 key file. SK_EPIN for a wrong passphrase. */
static int read_key(const char *path, const char *passphrase, EVP_PKEY **out, sk_err *e)
{
    unsigned char *pem = NULL;
    size_t pem_len = 0;
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    int ret;

    *out = NULL;
    if ((ret = sk_file_read(path, KEY_FILE_MAX, &pem, &pem_len, e)) != SK_OK)
        goto out;
    if ((bio = BIO_new_mem_buf(pem, (int)pem_len)) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s", path);
        goto out;
    }
    /* With no callback, OpenSSL takes the last argument as the passphrase itself. */
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)passphrase);
    sk_secret_wipe_stack(); /* the decoder's unwiped copy of the passphrase */
    if (key == NULL) {
        if (bad_decrypt_in_queue())
            ret = sk_err_set(e, SK_EPIN, "%s: wrong passphrase for the seal maker key", path);
        else
            ret = sk_err_set(e, SK_EPIN,
                             "%s: cannot decrypt the seal maker key (wrong passphrase, or the "
                             "file is damaged)",
                             path);
        goto out;
    }
    if (!EVP_PKEY_is_a(key, "SM2")) {
        ret = sk_err_set(e, SK_EINPUT, "%s: not an SM2 key", path);
        goto out;
    }
    *out = key;
    key = NULL;
    ret = SK_OK;
out:
    if (pem != NULL)
        OPENSSL_cleanse(pem, pem_len);
    free(pem);
    BIO_free(bio);
    EVP_PKEY_free(key);
    return ret;
}

/* key_path's key belongs to cert (read from crt_path): the files are one hierarchy. */
static int key_matches(X509 *cert, EVP_PKEY *key, const char *key_path, const char *crt_path,
                       sk_err *e)
{
    if (X509_check_private_key(cert, key) == 1)
        return SK_OK;
    ERR_clear_error();
    return sk_err_set(e, SK_ECRYPTO,
                      "%s does not match %s: the seal maker files are not one hierarchy; "
                      "refusing to use them",
                      key_path, crt_path);
}

/* The root's key (when it is in dir) must match the root certificate, and the maker
 * certificate must be signed by the root: files of two inits, or one copied in, are refused. */
static int check_root(const char *dir, const sealmaker *m, const char *passphrase, sk_err *e)
{
    char path[4096], crt[4096], mcrt[4096];
    EVP_PKEY *key = NULL;
    X509 *maker = NULL;
    EVP_PKEY *root_pub = m->root != NULL ? X509_get0_pubkey(m->root) : NULL;
    int ret;

    if (m->root == NULL)
        return SK_OK;
    if ((ret = sk_path_join(path, sizeof(path), dir, SEALMAKER_ROOT_KEY, e)) != SK_OK ||
        (ret = sk_path_join(crt, sizeof(crt), dir, SEALMAKER_ROOT_CRT, e)) != SK_OK ||
        (ret = sk_path_join(mcrt, sizeof(mcrt), dir, SEALMAKER_CRT, e)) != SK_OK)
        return ret;
    /* The maker certificate's SM2 signature checks only with the SM2 ID set on a copy. */
    if ((maker = X509_dup(m->cert)) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s", mcrt);
        goto out;
    }
    if ((ret = sk_sm2_cert_set_id(maker, e)) != SK_OK)
        goto out;
    if (root_pub == NULL || X509_check_issued(m->root, maker) != X509_V_OK ||
        X509_verify(maker, root_pub) != 1) {
        ERR_clear_error();
        ret = sk_err_set(e, SK_ECRYPTO,
                         "%s is not issued by %s: the seal maker files are not one hierarchy; "
                         "refusing to use them",
                         mcrt, crt);
        goto out;
    }
    if (sk_file_exists(path)) {
        if ((ret = read_key(path, passphrase, &key, e)) != SK_OK)
            goto out;
        if ((ret = key_matches(m->root, key, path, crt, e)) != SK_OK)
            goto out;
    }
    ret = SK_OK;
out:
    EVP_PKEY_free(key);
    X509_free(maker);
    return ret;
}

int sealmaker_open(const char *dir, const char *passphrase, sealmaker **out, sk_err *e)
{
    sealmaker *m = NULL;
    EVP_PKEY *key = NULL;
    char path[4096], crt[4096];
    int ret;

    *out = NULL;
    if ((m = calloc(1, sizeof(*m))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    if ((ret = read_cert(dir, SEALMAKER_CRT, 0, &m->cert, e)) != SK_OK ||
        (ret = read_cert(dir, SEALMAKER_ROOT_CRT, 1, &m->root, e)) != SK_OK ||
        (ret = sk_path_join(path, sizeof(path), dir, SEALMAKER_KEY, e)) != SK_OK ||
        (ret = sk_path_join(crt, sizeof(crt), dir, SEALMAKER_CRT, e)) != SK_OK ||
        (ret = read_key(path, passphrase, &key, e)) != SK_OK)
        goto out;
    if ((ret = key_matches(m->cert, key, path, crt, e)) != SK_OK)
        goto out;
    if ((ret = check_root(dir, m, passphrase, e)) != SK_OK)
        goto out;
    m->key = key;
    key = NULL;
    m->sign = file_sign;
    m->free_key = file_free_key;
    *out = m;
    m = NULL;
    ret = SK_OK;
out:
    EVP_PKEY_free(key);
    sealmaker_free(m);
    return ret;
}

void sealmaker_free(sealmaker *m)
{
    if (m == NULL)
        return;
    if (m->free_key != NULL)
        m->free_key(m->key);
    X509_free(m->cert);
    X509_free(m->root);
    free(m);
}
