/* The station CA hierarchy: creation and loading. The organisation profile is ca_profile.c. */
#include "issuer/ca/ca.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/ca/ca_util.h"
#include "seal/sealmaker.h"
#include "util/sk_file.h"
#include "util/sk_pem.h"
#include "util/sk_lock.h"
#include "util/sk_secret.h"
#include "util/sk_sm2.h"

struct ca {
    X509 *root;
    X509 *issuing;
    X509 *policy[CA_POLICY_MAX]; /* the CAs between the issuing CA and the root, nearest first */
    size_t n_policy;
    EVP_PKEY *key;        /* issuing CA key: software, or a token key via libp11 */
    tok_slot *hsm_slot;   /* the HSM slot the key lives on, or NULL */
    char issuer_id[64];
};

X509 *ca_issuing_cert(const ca *c)
{
    return c->issuing;
}

EVP_PKEY *ca_issuing_key(const ca *c)
{
    return c->key;
}

X509 *ca_root_cert(const ca *c)
{
    return c->root;
}

const char *ca_issuer_id(const ca *c)
{
    return c->issuer_id;
}

size_t ca_chain(const ca *c, X509 *out[CA_CHAIN_MAX])
{
    size_t n = 0;

    out[n++] = c->issuing;
    for (size_t i = 0; i < c->n_policy; i++)
        out[n++] = c->policy[i];
    out[n++] = c->root;
    return n;
}

void ca_free(ca *c)
{
    if (c == NULL)
        return;
    X509_free(c->root);
    X509_free(c->issuing);
    for (size_t i = 0; i < c->n_policy; i++)
        X509_free(c->policy[i]);
    /* The token key refers to the slot, so it goes first. */
    EVP_PKEY_free(c->key);
    tok_slot_free(c->hsm_slot);
    free(c);
}

static int ca_file(const station_config *st, const char *name, char *buf, size_t len, sk_err *e)
{
    char rel[64];
    snprintf(rel, sizeof(rel), "ca/%s", name);
    return station_path(st, rel, buf, len, e);
}

static int write_key(const char *path, EVP_PKEY *key, const char *secret, sk_err *e)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long len;
    int ret = SK_ECRYPTO;

    if (b == NULL || !PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), NULL, 0, NULL,
                                                    (void *)secret)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: encrypting key", path);
        goto out;
    }
    len = BIO_get_mem_data(b, &p);
    /* Created, never replaced: a second `ca init` racing this one cannot swap a key in. */
    ret = sk_file_create_atomic(path, p, (size_t)len, 0600, e);
    OPENSSL_cleanse(p, (size_t)len);
out:
    BIO_free(b);
    return ret;
}

static int read_key(const char *path, const char *secret, EVP_PKEY **out, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    BIO *b = NULL;
    int ret;

    *out = NULL;
    ret = sk_file_read(path, 1 << 20, &data, &len, e);
    if (ret != SK_OK)
        goto out;
    b = BIO_new_mem_buf(data, (int)len);
    if (b != NULL) {
        *out = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)secret);
        sk_secret_wipe_stack(); /* the decoder's unwiped copy of the passphrase */
    }
    if (*out == NULL) {
        unsigned long err = ERR_peek_last_error();
        ERR_clear_error();
        /* A wrong passphrase surfaces as a decrypt or decode failure. */
        if (ERR_GET_REASON(err) == EVP_R_BAD_DECRYPT || ERR_GET_LIB(err) == ERR_LIB_PEM ||
            ERR_GET_LIB(err) == ERR_LIB_PKCS12 || ERR_GET_LIB(err) == ERR_LIB_EVP)
            ret = sk_err_set(e, SK_EPIN, "%s: cannot decrypt the CA key: wrong passphrase?",
                             path);
        else
            ret = sk_err_set(e, SK_ECRYPTO, "%s: cannot read the CA key", path);
        goto out;
    }
    ret = SK_OK;
out:
    BIO_free(b);
    if (data != NULL) {
        OPENSSL_cleanse(data, len);
        free(data);
    }
    return ret;
}

/* A CA certificate; crl_url (or NULL) is where its issuer's CRL is published, for the CRL
 * distribution point that path validation with revocation checks (RFC 5280 4.2.1.13). */
static int make_ca_cert(X509 **out, EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key,
                        const char *cn, const char *org, int days, const char *basic,
                        const char *crl_url, sk_err *e)
{
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    char serial[64], dp[1200];
    int ret = SK_ECRYPTO;

    *out = NULL;
    if (cert == NULL || name == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "out of memory");
        goto out;
    }
    if ((ret = cau_name_add(name, NID_countryName, "CN", e)) != SK_OK ||
        (ret = cau_name_add(name, NID_organizationName, org, e)) != SK_OK ||
        (ret = cau_name_add(name, NID_commonName, cn, e)) != SK_OK)
        goto out;
    if ((ret = ca_new_serial(serial, sizeof(serial), e)) != SK_OK ||
        (ret = cau_set_serial_validity(cert, serial, time(NULL), days, e)) != SK_OK)
        goto out;
    if (!X509_set_version(cert, X509_VERSION_3) || !X509_set_subject_name(cert, name) ||
        !X509_set_issuer_name(cert, issuer != NULL ? X509_get_subject_name(issuer) : name) ||
        !X509_set_pubkey(cert, subject_key)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "building CA certificate %s", cn);
        goto out;
    }
    if ((ret = cau_add_ext(cert, issuer, NID_basic_constraints, basic, e)) != SK_OK ||
        (ret = cau_add_ext(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign", e)) !=
            SK_OK ||
        (ret = cau_add_ext(cert, issuer, NID_subject_key_identifier, "hash", e)) != SK_OK ||
        (ret = cau_add_ext(cert, issuer, NID_authority_key_identifier, "keyid:always", e)) !=
            SK_OK)
        goto out;
    if (crl_url != NULL) {
        if (snprintf(dp, sizeof(dp), "URI:%s", crl_url) >= (int)sizeof(dp)) {
            ret = sk_err_set(e, SK_EINPUT, "station.json: ca.root_crl_url: too long");
            goto out;
        }
        if ((ret = cau_add_ext(cert, issuer, NID_crl_distribution_points, dp, e)) != SK_OK)
            goto out;
    }
    /* SM2-with-SM3 with the SM2 ID for an SM2 CA (GM/T 0015), SHA-256 otherwise. */
    if ((ret = sk_x509_sign(cert, issuer_key, e)) != SK_OK) {
        sk_err_wrap(e, "CA certificate %s", cn);
        goto out;
    }
    *out = cert;
    cert = NULL;
    ret = SK_OK;
out:
    X509_free(cert);
    X509_NAME_free(name);
    return ret;
}

/* Generate the issuing key on the HSM token the URI names, under the URI's object label and
 * id (a random id when the URI has none); returns the token's private key. */
static int hsm_keygen(const station_config *st, sk_keyalg alg, const char *pin, tok_module *hsm,
                      tok_slot **slot, EVP_PKEY **priv, EVP_PKEY **pub, sk_err *e)
{
    tok_uri u;
    int ret;

    if ((ret = tok_uri_parse(st->ca_key_uri, &u, e)) != SK_OK)
        return sk_err_wrap(e, "station.json: ca.key_uri");
    if (!u.has_object && !u.has_id)
        return sk_err_set(e, SK_EINPUT, "station.json: ca.key_uri: name the key with object= "
                                        "or id=");
    if (!u.has_id) {
        u.id_len = 20;
        if (RAND_bytes(u.id, (int)u.id_len) != 1)
            return sk_err_ossl(e, SK_ECRYPTO, "random key id");
    }
    if ((ret = tok_select(hsm, st->ca_key_uri, slot, e)) != SK_OK ||
        (ret = tok_login_user(*slot, pin, e)) != SK_OK ||
        (ret = tok_generate_keypair(*slot, alg, u.id, u.id_len,
                                    u.has_object ? u.object : "sealkey issuing CA", pub, e)) !=
            SK_OK ||
        (ret = tok_get_private_key(*slot, u.id, u.id_len, priv, e)) != SK_OK)
        return sk_err_wrap(e, "CA key HSM %s", st->ca_key_uri);
    return SK_OK;
}

/* The files of a CA, all checked before any is made: a station where one of them exists
 * (a CA, or the remains of a failed init) is refused, never completed or overwritten. */
static const char *const ca_files[] = {"root.key",         "root.crt",         "issuing.key",
                                       "issuing.crt",      "chain.pem",        SEALMAKER_ROOT_KEY,
                                       SEALMAKER_ROOT_CRT, SEALMAKER_KEY,      SEALMAKER_CRT};

int ca_init(const station_config *st, const ca_init_opts *o, const char *secret, tok_module *hsm,
            sk_err *e)
{
    int ret = SK_ECRYPTO;
    EVP_PKEY *root_key = NULL, *iss_key = NULL, *iss_pub = NULL;
    X509 *root = NULL, *issuing = NULL;
    tok_slot *slot = NULL;
    char dir[PATH_MAX], path[PATH_MAX], cn[256];
    int lock = -1;

    if (o->root_days < 1 || o->issuing_days < 1 || o->issuing_days > o->root_days) {
        ret = sk_err_set(e, SK_EINPUT,
                         "CA validity: the issuing CA's %d days must be 1 to the root's %d days",
                         o->issuing_days, o->root_days);
        goto out;
    }
    if ((ret = station_path(st, "ca", dir, sizeof(dir), e)) != SK_OK ||
        (ret = sk_mkdir_p(dir, 0755, e)) != SK_OK)
        goto out;
    /* One init at a time per station: the second waits, then finds the first one's CA. */
    if ((ret = station_path(st, "ca.lock", path, sizeof(path), e)) != SK_OK ||
        (ret = sk_lock_acquire(path, &lock, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < sizeof(ca_files) / sizeof(ca_files[0]); i++) {
        if ((ret = ca_file(st, ca_files[i], path, sizeof(path), e)) != SK_OK)
            goto out;
        if (sk_file_exists(path)) {
            ret = sk_err_set(e, SK_ESTATE, "%s exists: this station already has a CA", path);
            goto out;
        }
    }

    if ((ret = cau_keygen(o->key_alg, &root_key, e)) != SK_OK)
        goto out;
    snprintf(cn, sizeof(cn), "%s Root CA", st->ca_name);
    if ((ret = make_ca_cert(&root, root_key, NULL, root_key, cn, st->ca_name, o->root_days,
                            "critical,CA:TRUE", NULL, e)) != SK_OK)
        goto out;

    if (st->ca_key_uri != NULL) {
        if (hsm == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "CA key URI set but no HSM module loaded");
            goto out;
        }
        if (sk_keyalg_is_sm2(o->key_alg)) {
            /* PKCS#11 defines no SM2 mechanism (SoftHSM has none): an SM2 CA key is a file. */
            ret = sk_err_set(e, SK_EINPUT,
                             "station.json: ca.key_uri: an sm2 CA key cannot be made on a "
                             "PKCS#11 HSM; leave ca.key_uri out for an SM2 CA");
            goto out;
        }
        if ((ret = hsm_keygen(st, o->key_alg, secret, hsm, &slot, &iss_key, &iss_pub, e)) != SK_OK)
            goto out;
    } else {
        if ((ret = cau_keygen(o->key_alg, &iss_key, e)) != SK_OK)
            goto out;
        iss_pub = iss_key;
        EVP_PKEY_up_ref(iss_pub);
    }
    snprintf(cn, sizeof(cn), "%s Issuing CA 1", st->ca_name);
    if ((ret = make_ca_cert(&issuing, iss_pub, root, root_key, cn, st->ca_name, o->issuing_days,
                            "critical,CA:TRUE,pathlen:0", st->ca_root_crl_url, e)) != SK_OK)
        goto out;

    /* Keys first, certificates after, each created exclusively: a half-made CA is then
     * detected as existing and refused, never silently overwritten. */
    if ((ret = ca_file(st, "root.key", path, sizeof(path), e)) != SK_OK ||
        (ret = write_key(path, root_key, secret, e)) != SK_OK)
        goto out;
    if (st->ca_key_uri == NULL &&
        ((ret = ca_file(st, "issuing.key", path, sizeof(path), e)) != SK_OK ||
         (ret = write_key(path, iss_key, secret, e)) != SK_OK))
        goto out;
    X509 *chain[2] = {issuing, root};
    if ((ret = ca_file(st, "root.crt", path, sizeof(path), e)) != SK_OK ||
        (ret = cau_create_certs(path, &root, 1, e)) != SK_OK ||
        (ret = ca_file(st, "issuing.crt", path, sizeof(path), e)) != SK_OK ||
        (ret = cau_create_certs(path, &issuing, 1, e)) != SK_OK ||
        (ret = ca_file(st, "chain.pem", path, sizeof(path), e)) != SK_OK ||
        (ret = cau_create_certs(path, chain, 2, e)) != SK_OK)
        goto out;
    /* The SM2 seal-maker hierarchy beside it: SoftHSM has no SM2, so its keys are files. */
    if ((ret = sealmaker_init(dir, secret, st->ca_name, e)) != SK_OK)
        goto out;
    ret = SK_OK;
out:
    sk_lock_release(&lock);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(iss_key);
    EVP_PKEY_free(iss_pub);
    X509_free(root);
    X509_free(issuing);
    tok_slot_free(slot);
    return ret;
}

/* Does the private key belong to the certificate? A key file's public half is compared; a
 * token key may not expose its public half (libp11), so it signs a test message that the
 * certificate's public key must verify. */
static int key_matches(X509 *cert, EVP_PKEY *key, bool on_token)
{
    static const unsigned char msg[] = "sealkey: does this CA key belong to its certificate?";
    EVP_MD_CTX *md = NULL;
    unsigned char sig[1024];
    size_t sig_len = sizeof(sig);
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    int ok = 0;

    if (pub == NULL)
        goto out;
    if (!on_token) {
        ok = X509_check_private_key(cert, key) == 1;
        goto out;
    }
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, sig, &sig_len, msg, sizeof(msg)) != 1)
        goto out;
    EVP_MD_CTX_free(md);
    if ((md = EVP_MD_CTX_new()) == NULL ||
        EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) != 1)
        goto out;
    ok = EVP_DigestVerify(md, sig, sig_len, msg, sizeof(msg)) == 1;
out:
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

int ca_load_root_key(const station_config *st, const ca *c, const char *secret, EVP_PKEY **out,
                     sk_err *e)
{
    char path[PATH_MAX], crt[PATH_MAX];
    int ret;

    *out = NULL;
    if ((ret = ca_file(st, "root.key", path, sizeof(path), e)) != SK_OK ||
        (ret = ca_file(st, "root.crt", crt, sizeof(crt), e)) != SK_OK)
        return ret;
    if (!sk_file_exists(path))
        return SK_OK; /* the root key is kept off the station */
    if ((ret = read_key(path, secret, out, e)) != SK_OK)
        return ret;
    if (!key_matches(c->root, *out, false)) {
        EVP_PKEY_free(*out);
        *out = NULL;
        return sk_err_set(e, SK_ECRYPTO,
                          "%s does not match %s: the CA files are not one CA; refusing to use "
                          "them",
                          path, crt);
    }
    return SK_OK;
}

/* ca/chain.pem must be the issuing CA, any policy CAs between it and the root, then the root
 * (what tokens and verifiers get), each issued and signed by the next: files from two CAs,
 * or one copied in, are refused. Without chain.pem (it is made with the rest) the issuing
 * CA must be signed by the root itself. The policy CAs are kept in c. */
static int load_chain(const station_config *st, ca *c, sk_err *e)
{
    char path[PATH_MAX], crt[PATH_MAX], rootcrt[PATH_MAX];
    STACK_OF(X509) *x = NULL;
    int ret, n;

    if ((ret = ca_file(st, "chain.pem", path, sizeof(path), e)) != SK_OK ||
        (ret = ca_file(st, "issuing.crt", crt, sizeof(crt), e)) != SK_OK ||
        (ret = ca_file(st, "root.crt", rootcrt, sizeof(rootcrt), e)) != SK_OK)
        return ret;
    if (!sk_file_exists(path)) {
        if (X509_check_issued(c->root, c->issuing) != X509_V_OK ||
            X509_verify(c->issuing, X509_get0_pubkey(c->root)) != 1) {
            ERR_clear_error();
            return sk_err_set(e, SK_ECRYPTO, "%s is not issued by %s: the CA files are not one "
                              "CA; refusing to use them", crt, rootcrt);
        }
        return SK_OK;
    }
    if ((ret = sk_pem_read_certs(path, CA_CHAIN_MAX, &x, e)) != SK_OK)
        goto out;
    n = sk_X509_num(x);
    if (n < 2 || X509_cmp(sk_X509_value(x, 0), c->issuing) != 0) {
        ret = sk_err_set(e, SK_ECRYPTO, "%s is not issuing.crt followed by root.crt (with any "
                         "policy CAs between): the CA files are not one CA; refusing to use "
                         "them", path);
        goto out;
    }
    if (X509_cmp(sk_X509_value(x, n - 1), c->root) != 0) {
        ret = sk_err_set(e, SK_ECRYPTO, "%s is not issued by %s (directly, or through the "
                         "policy CAs of %s): the CA files are not one CA; refusing to use them",
                         crt, rootcrt, path);
        goto out;
    }
    for (int i = 1; i + 1 < n; i++) {
        X509 *p = sk_X509_value(x, i);
        if ((ret = sk_sm2_cert_set_id(p, e)) != SK_OK)
            goto out;
        X509_up_ref(p);
        c->policy[c->n_policy++] = p;
    }
    for (int i = 0; i + 1 < n; i++) {
        X509 *sub = i == 0 ? c->issuing : sk_X509_value(x, i);
        X509 *iss = sk_X509_value(x, i + 1);
        if (X509_check_issued(iss, sub) != X509_V_OK ||
            X509_verify(sub, X509_get0_pubkey(iss)) != 1) {
            ERR_clear_error();
            ret = sk_err_set(e, SK_ECRYPTO, "%s: certificate %d is not issued by certificate %d "
                             "(%s): the CA files are not one CA; refusing to use them", path,
                             i + 1, i + 2, i + 2 == n ? "the root" : "a policy CA");
            goto out;
        }
    }
    ret = SK_OK;
out:
    sk_X509_pop_free(x, X509_free);
    return ret;
}

/* root.crt and issuing.crt into c, as ca_open and ca_open_certs both start; when a station
 * lacks one (SK_EINPUT) the error ends with missing, which says what to run. */
static int read_ca_certs(const station_config *st, ca *c, const char *missing, sk_err *e)
{
    char path[PATH_MAX];
    int ret;

    if ((ret = ca_file(st, "root.crt", path, sizeof(path), e)) != SK_OK ||
        (ret = sk_pem_read_cert(path, &c->root, e)) != SK_OK ||
        (ret = ca_file(st, "issuing.crt", path, sizeof(path), e)) != SK_OK ||
        (ret = sk_pem_read_cert(path, &c->issuing, e)) != SK_OK) {
        if (ret == SK_EINPUT)
            sk_err_wrap(e, "%s", missing);
        return ret;
    }
    /* An SM2 CA's certificates are checked with the SM2 ID they were signed with. */
    if ((ret = sk_sm2_cert_set_id(c->root, e)) != SK_OK)
        return ret;
    return sk_sm2_cert_set_id(c->issuing, e);
}

int ca_open(const station_config *st, const char *secret, tok_module *hsm, ca **out, sk_err *e)
{
    int ret = SK_ECRYPTO;
    ca *c = NULL;
    char path[PATH_MAX];

    *out = NULL;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sk_err_set(e, SK_ECRYPTO, "out of memory");
    if ((ret = read_ca_certs(st, c, "no CA in this station (run sealkey ca init)", e)) != SK_OK)
        goto out;
    if (st->ca_key_uri != NULL) {
        if (hsm == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "CA key URI set but no HSM module loaded");
            goto out;
        }
        if ((ret = tok_select(hsm, st->ca_key_uri, &c->hsm_slot, e)) != SK_OK ||
            (ret = tok_login_user(c->hsm_slot, secret, e)) != SK_OK ||
            (ret = tok_get_private_key_by_uri(c->hsm_slot, st->ca_key_uri, &c->key, e)) !=
                SK_OK) {
            sk_err_wrap(e, "CA key %s", st->ca_key_uri);
            goto out;
        }
    } else {
        if ((ret = ca_file(st, "issuing.key", path, sizeof(path), e)) != SK_OK ||
            (ret = read_key(path, secret, &c->key, e)) != SK_OK)
            goto out;
    }
    /* Every CA key must belong to its certificate and the issuing CA to the root, or every
     * certificate issued would be bad: files from two `ca init` runs, or one copied in. */
    char crt[PATH_MAX];
    if ((ret = ca_file(st, "issuing.crt", crt, sizeof(crt), e)) != SK_OK)
        goto out;
    if (!key_matches(c->issuing, c->key, st->ca_key_uri != NULL)) {
        ret = sk_err_set(e, SK_ECRYPTO,
                         "%s does not match %s: the CA files are not one CA; refusing to use "
                         "them",
                         st->ca_key_uri != NULL ? st->ca_key_uri : path, crt);
        goto out;
    }
    if ((ret = load_chain(st, c, e)) != SK_OK)
        goto out;
    EVP_PKEY *root_key = NULL;
    if ((ret = ca_load_root_key(st, c, secret, &root_key, e)) != SK_OK)
        goto out;
    EVP_PKEY_free(root_key); /* checked; only `sealkey crl` signs with it */
    cau_ski_hex(c->issuing, c->issuer_id, sizeof(c->issuer_id));
    *out = c;
    c = NULL;
    ret = SK_OK;
out:
    ca_free(c);
    return ret;
}

int ca_new_serial(char *hex, size_t hexlen, sk_err *e)
{
    unsigned char rnd[16];
    BIGNUM *bn = NULL;
    char *h = NULL;
    int ret = SK_ECRYPTO;

    /* 127 random bits under a top bit that is always set: every serial is 32 hex digits
     * (a leading zero byte, 1 draw in 256, made a shorter one), never zero, and a leading
     * 0x00 in DER keeps the integer positive within RFC 5280's 20 octets. */
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "random serial");
        goto out;
    }
    rnd[0] |= 0x80;
    bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
    if (bn == NULL || (h = BN_bn2hex(bn)) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "random serial");
        goto out;
    }
    if (snprintf(hex, hexlen, "%s", h) >= (int)hexlen) {
        ret = sk_err_set(e, SK_EINTERNAL, "serial buffer too small");
        goto out;
    }
    ret = SK_OK;
out:
    OPENSSL_free(h);
    BN_free(bn);
    return ret;
}

int ca_verify_cert(const ca *c, X509 *cert, sk_err *e)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    int ret = SK_EFAIL;

    if ((ret = sk_sm2_cert_set_id(cert, e)) != SK_OK)
        goto out;
    ret = SK_EFAIL;
    bool pushed = untrusted != NULL && sk_X509_push(untrusted, c->issuing);
    for (size_t i = 0; pushed && i < c->n_policy; i++)
        pushed = sk_X509_push(untrusted, c->policy[i]) > 0;
    if (store == NULL || ctx == NULL || !pushed || !X509_STORE_add_cert(store, c->root) ||
        !X509_STORE_CTX_init(ctx, store, cert, untrusted)) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "setting up chain verification");
        goto out;
    }
    if (X509_verify_cert(ctx) != 1) {
        ret = sk_err_set(e, SK_EFAIL, "certificate chain does not verify: %s",
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        goto out;
    }
    ret = SK_OK;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_free(untrusted);
    return ret;
}

/* For the production set-up without a root key (ca_request.c, ca_import.c; ca_int.h): the
 * same key files, HSM key generation and key check as ca init and ca_open. */
int ca_int_file(const station_config *st, const char *name, char *buf, size_t len, sk_err *e)
{
    return ca_file(st, name, buf, len, e);
}

int ca_int_write_key(const char *path, EVP_PKEY *key, const char *secret, sk_err *e)
{
    return write_key(path, key, secret, e);
}

int ca_int_read_key(const char *path, const char *secret, EVP_PKEY **out, sk_err *e)
{
    return read_key(path, secret, out, e);
}

int ca_int_hsm_keygen(const station_config *st, sk_keyalg alg, const char *pin, tok_module *hsm,
                      tok_slot **slot, EVP_PKEY **priv, EVP_PKEY **pub, sk_err *e)
{
    return hsm_keygen(st, alg, pin, hsm, slot, priv, pub, e);
}

bool ca_int_key_matches(X509 *cert, EVP_PKEY *key, bool on_token)
{
    return key_matches(cert, key, on_token) != 0;
}

bool ca_int_any_file(const station_config *st, char *path, size_t len)
{
    sk_err e;

    for (size_t i = 0; i < sizeof(ca_files) / sizeof(ca_files[0]); i++)
        if (ca_file(st, ca_files[i], path, len, &e) == SK_OK && sk_file_exists(path))
            return true;
    return false;
}

/* A station whose certificates the CA's own system signs (ca.signing "external"): the CA
 * certificates without a key, checked as ca_open checks them (ca_pki.h). */
int ca_open_certs(const station_config *st, ca **out, sk_err *e)
{
    ca *c = NULL;
    int ret;

    *out = NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return sk_err_set(e, SK_ECRYPTO, "out of memory");
    if ((ret = read_ca_certs(st, c, "no CA certificates in this station (run sealkey ca import)",
                             e)) != SK_OK ||
        (ret = load_chain(st, c, e)) != SK_OK)
        goto out;
    cau_ski_hex(c->issuing, c->issuer_id, sizeof(c->issuer_id));
    *out = c;
    c = NULL;
    ret = SK_OK;
out:
    ca_free(c);
    return ret;
}
