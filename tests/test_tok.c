/* pkcs11/tok.h against a real SoftHSM in a throwaway store: token setup, key generation
 * with the exact template, signing on the token, certificate and data objects, listing,
 * PIN errors, URI selection and module reload. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkcs11/tok.h"
#include "tests/test.h"

#define SO_PIN "so-pin-4711"
#define USER_PIN "user-pin-0815"
#define LABEL "JX2026-000101"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A SoftHSM store of our own: SOFTHSM2_CONF must point at it before the module loads. */
static char *make_store(void)
{
    static char dir[] = "/tmp/sk-tok-test-XXXXXX";
    char path[512];
    FILE *f;

    if (mkdtemp(dir) == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/tokens", dir);
    if (mkdir(path, 0700) != 0)
        return NULL;
    snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
    f = fopen(path, "w");
    if (f == NULL)
        return NULL;
    fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
               "log.level = ERROR\nslots.removable = false\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", path, 1);
    return dir;
}

/* A CSR signed on the token must verify with the public key read back from it. */
static void check_csr(EVP_PKEY *priv, EVP_PKEY *pub, const char *what)
{
    X509_REQ *req = X509_REQ_new();
    X509_NAME *name = X509_NAME_new();

    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)what, -1, -1, 0);
    X509_REQ_set_subject_name(req, name);
    X509_REQ_set_pubkey(req, pub);
    CHECK_MSG(X509_REQ_sign(req, priv, EVP_sha256()) > 0, "%s: X509_REQ_sign", what);
    CHECK_MSG(X509_REQ_verify(req, pub) == 1, "%s: CSR does not verify", what);
    X509_NAME_free(name);
    X509_REQ_free(req);
}

/* Self-signed certificate for pub, signed by priv (on the token, or in software). */
static X509 *make_cert(EVP_PKEY *priv, EVP_PKEY *pub, const char *cn, bool ca)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, name);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pub);
    if (X509_sign(x, priv, EVP_sha256()) <= 0) {
        X509_free(x);
        x = NULL;
    }
    X509_NAME_free(name);
    return x;
}

struct key {
    sk_keyalg alg;
    unsigned char id[20];
    EVP_PKEY *pub;
};

static void gen_and_check(tok_slot *s, struct key *k)
{
    sk_err e;
    tok_key_attrs ka;
    EVP_PKEY *priv = NULL;
    const char *name = sk_keyalg_name(k->alg);

    RAND_bytes(k->id, sizeof(k->id));
    int rc = tok_generate_keypair(s, k->alg, k->id, sizeof(k->id), name, &k->pub, &e);
    CHECK_MSG(rc == SK_OK, "%s: %s", name, e.msg);
    if (rc != SK_OK)
        return;
    CHECK(EVP_PKEY_get_bits(k->pub) == (k->alg == SK_KEY_EC_P256   ? 256
                                        : k->alg == SK_KEY_EC_P384 ? 384
                                                                   : sk_keyalg_rsa_bits(k->alg)));
    rc = tok_get_key_attrs(s, k->id, sizeof(k->id), &ka, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    CHECK(ka.local && ka.never_extractable && ka.always_sensitive && ka.sensitive &&
          !ka.extractable && ka.is_private);
    /* Issue 13 item 5: a signing key, exactly: no decrypt, unwrap or derive, though
     * SoftHSM's defaults would allow decrypting with an RSA key. */
    CHECK_MSG(ka.sign && ka.pub_verify && !ka.sign_recover && !ka.decrypt && !ka.unwrap &&
              !ka.derive && !ka.pub_encrypt && !ka.pub_wrap,
              "%s: sign=%d decrypt=%d unwrap=%d derive=%d encrypt=%d wrap=%d", name, ka.sign,
              ka.decrypt, ka.unwrap, ka.derive, ka.pub_encrypt, ka.pub_wrap);
    const tok_key_usage sign_only = {.sign = true}, sign_decrypt = {.sign = true, .decrypt = true};
    char why[512];
    CHECK(tok_key_attrs_ok(&ka, &sign_only, why, sizeof(why)));
    CHECK(!tok_key_attrs_ok(&ka, &sign_decrypt, why, sizeof(why)));
    CHECK(strstr(why, "decrypt=0") != NULL);
    /* A key made to decrypt too is one the read-back of a signing certificate refuses. */
    if (k->alg == SK_KEY_RSA2048) {
        unsigned char id2[20];
        const tok_key_usage enc = {.sign = true, .decrypt = true, .unwrap = true};
        EVP_PKEY *pub2 = NULL;
        tok_key_attrs ka2;

        RAND_bytes(id2, sizeof(id2));
        rc = tok_generate_keypair_for(s, k->alg, &enc, id2, sizeof(id2), "enc", &pub2, &e);
        CHECK_MSG(rc == SK_OK, "decrypting key: %s", e.msg);
        CHECK(tok_get_key_attrs(s, id2, sizeof(id2), &ka2, &e) == SK_OK);
        CHECK(ka2.decrypt && ka2.unwrap && ka2.pub_encrypt && ka2.pub_wrap && !ka2.derive);
        CHECK(tok_key_attrs_ok(&ka2, &enc, why, sizeof(why)));
        CHECK(!tok_key_attrs_ok(&ka2, &sign_only, why, sizeof(why)));
        CHECK(strstr(why, "but its certificate allows sign=1 decrypt=0") != NULL);
        CHECK(tok_destroy_by_id(s, id2, sizeof(id2), &e) == SK_OK);
        EVP_PKEY_free(pub2);
    }
    rc = tok_get_private_key(s, k->id, sizeof(k->id), &priv, &e);
    CHECK_MSG(rc == SK_OK, "%s: %s", name, e.msg);
    if (rc == SK_OK)
        check_csr(priv, k->pub, name);
    EVP_PKEY_free(priv);
    /* Same ID again is refused: pairing is by CKA_ID alone. */
    EVP_PKEY *dup = NULL;
    rc = tok_generate_keypair(s, k->alg, k->id, sizeof(k->id), name, &dup, &e);
    CHECK(rc == SK_ESTATE && dup == NULL);
}

static size_t count_id(tok_object *o, size_t n, unsigned long cls, const unsigned char *id,
                       size_t id_len)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        if (o[i].cls == cls && o[i].id_len == id_len && memcmp(o[i].id, id, id_len) == 0)
            c++;
    return c;
}

int main(void)
{
    const char *module = getenv("SOFTHSM2_MODULE");
    /* test_tok_tool.sh runs us on its own store and inspects it afterwards with OpenSC. */
    bool keep = getenv("SK_TOK_KEEP_STORE") != NULL && getenv("SOFTHSM2_CONF") != NULL;
    char *dir = keep ? getenv("SOFTHSM2_CONF") : make_store();
    tok_module *m = NULL;
    tok_slot *s = NULL, *s2 = NULL;
    tok_info info;
    sk_err e;
    struct key keys[3] = {{SK_KEY_EC_P256, {0}, NULL}, {SK_KEY_RSA2048, {0}, NULL},
                          {SK_KEY_EC_P384, {0}, NULL}};
    char serial1[17] = "";
    EVP_PKEY *ec = NULL, *rsa = NULL, *ca_key = NULL;
    X509 *user_cert = NULL, *ca_cert = NULL;
    int rc;

    if (module == NULL || dir == NULL) {
        fprintf(stderr, "SOFTHSM2_MODULE unset or no temp dir\n");
        return 1;
    }
    rc = tok_module_open(module, &m, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    if (rc != SK_OK)
        goto out;

    /* A blank token, chosen without a URI. */
    rc = tok_select(m, NULL, &s, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    if (rc != SK_OK)
        goto out;
    CHECK(tok_get_info(s, &info, &e) == SK_OK && !info.initialized);
    CHECK(tok_init_token(s, SO_PIN, "a label that is longer than thirty-two bytes", &e) ==
          SK_EINPUT);
    rc = tok_init_token(s, SO_PIN, LABEL, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    CHECK(tok_get_info(s, &info, &e) == SK_OK);
    CHECK(info.initialized && strcmp(info.label, LABEL) == 0 && !info.user_pin_initialized);
    CHECK(strcmp(info.manufacturer, "SoftHSM project") == 0 && info.min_pin_len >= 4);
    memcpy(serial1, info.serial, sizeof(serial1));
    CHECK(tok_login_user(s, USER_PIN, &e) == SK_EPIN); /* no user PIN yet */
    rc = tok_init_user_pin(s, SO_PIN, USER_PIN, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    CHECK(tok_get_info(s, &info, &e) == SK_OK && info.user_pin_initialized);

    /* Wrong PINs: SK_EPIN, the CKR name, and never the PIN itself. */
    rc = tok_init_user_pin(s, "wrong-so-pin-999", USER_PIN, &e);
    CHECK(rc == SK_EPIN);
    CHECK_CONTAINS(e.msg, "CKR_PIN_INCORRECT");
    CHECK(strstr(e.msg, "wrong-so-pin-999") == NULL);
    rc = tok_login_user(s, "not-the-pin-123", &e);
    CHECK(rc == SK_EPIN);
    CHECK_CONTAINS(e.msg, "C_Login: CKR_PIN_INCORRECT");
    CHECK_CONTAINS(e.msg, LABEL);
    CHECK(strstr(e.msg, "not-the-pin-123") == NULL);

    rc = tok_login_user(s, USER_PIN, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    CHECK(tok_login_user(s, USER_PIN, &e) == SK_OK); /* already logged in is fine */

    for (int i = 0; i < 3; i++)
        gen_and_check(s, &keys[i]);

    /* A key handed out earlier still signs after other keys were looked up. */
    CHECK(tok_get_private_key(s, keys[0].id, 20, &ec, &e) == SK_OK);
    CHECK(tok_get_private_key(s, keys[1].id, 20, &rsa, &e) == SK_OK);
    if (ec != NULL && keys[0].pub != NULL)
        check_csr(ec, keys[0].pub, "EC after RSA lookup");

    /* Certificates: the user's (category 1, made with the token key) and a CA's (2). */
    unsigned char ca_id[20], data_id[20];
    RAND_bytes(ca_id, sizeof(ca_id));
    RAND_bytes(data_id, sizeof(data_id));
    ca_key = EVP_EC_gen("P-256");
    user_cert = ec && keys[0].pub ? make_cert(ec, keys[0].pub, "user", false) : NULL;
    ca_cert = ca_key ? make_cert(ca_key, ca_key, "Test CA", true) : NULL;
    CHECK(user_cert != NULL && ca_cert != NULL);
    if (user_cert != NULL) {
        CHECK(X509_verify(user_cert, keys[0].pub) == 1);
        rc = tok_write_cert(s, user_cert, keys[0].id, 20, "user cert", false, &e);
        CHECK_MSG(rc == SK_OK, "%s", e.msg);
    }
    if (ca_cert != NULL) {
        rc = tok_write_cert(s, ca_cert, ca_id, 20, "Test CA", true, &e);
        CHECK_MSG(rc == SK_OK, "%s", e.msg);
    }
    rc = tok_write_data(s, "sealkey", "seal 1", data_id, 20, (const unsigned char *)"SEAL", 4,
                        false, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);

    /* Exactly: 3 private + 3 public keys, 2 certificates, 1 data object. */
    tok_object *objs = NULL;
    size_t n = 0;
    rc = tok_list_objects(s, &objs, &n, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    CHECK_MSG(n == 9, "%zu objects", n);
    for (int i = 0; i < 3; i++) {
        CHECK(count_id(objs, n, 3 /* CKO_PRIVATE_KEY */, keys[i].id, 20) == 1);
        CHECK(count_id(objs, n, 2 /* CKO_PUBLIC_KEY */, keys[i].id, 20) == 1);
    }
    CHECK(count_id(objs, n, 1 /* CKO_CERTIFICATE */, keys[0].id, 20) == 1);
    CHECK(count_id(objs, n, 1, ca_id, 20) == 1);
    CHECK(count_id(objs, n, 0 /* CKO_DATA */, data_id, 0) == 1); /* data objects have no id */
    for (size_t i = 0; i < n; i++) {
        if (objs[i].cls == 1) {
            bool is_ca = memcmp(objs[i].id, ca_id, 20) == 0;
            const unsigned char *p = objs[i].value;
            X509 *back = d2i_X509(NULL, &p, (long)objs[i].value_len);

            CHECK(objs[i].cert_category == (is_ca ? 2UL : 1UL));
            CHECK(back != NULL && X509_cmp(back, is_ca ? ca_cert : user_cert) == 0);
            X509_free(back);
        } else if (objs[i].cls == 0) {
            CHECK(strcmp(objs[i].application, "sealkey") == 0);
            CHECK(strcmp(objs[i].label, "seal 1") == 0 && !objs[i].is_private);
            CHECK(objs[i].value_len == 4 && memcmp(objs[i].value, "SEAL", 4) == 0);
        } else {
            CHECK(objs[i].value == NULL);
            CHECK(objs[i].is_private == (objs[i].cls == 3));
        }
    }
    tok_objects_free(objs, n);

    /* Reconciling: everything with the CA cert's id goes. */
    CHECK(tok_destroy_by_id(s, ca_id, 20, &e) == SK_OK);
    CHECK(tok_list_objects(s, &objs, &n, &e) == SK_OK && n == 8);
    tok_objects_free(objs, n);

    /* Private objects vanish after logout; public ones stay. */
    CHECK(tok_logout(s, &e) == SK_OK);
    CHECK(tok_list_objects(s, &objs, &n, &e) == SK_OK && n == 5);
    tok_objects_free(objs, n);
    EVP_PKEY *pub_again = NULL;
    CHECK(tok_get_public_key(s, keys[1].id, 20, &pub_again, &e) == SK_OK &&
          EVP_PKEY_eq(pub_again, keys[1].pub) == 1);
    EVP_PKEY_free(pub_again);

    /* Selection by URI. */
    char uri[256];
    snprintf(uri, sizeof(uri), "pkcs11:token=%s", LABEL);
    rc = tok_select(m, uri, &s2, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    tok_slot_free(s2);
    s2 = NULL;
    snprintf(uri, sizeof(uri), "pkcs11:model=SoftHSM%%20v2;serial=%s", serial1);
    CHECK(tok_select(m, uri, &s2, &e) == SK_OK);
    tok_slot_free(s2);
    s2 = NULL;
    CHECK(tok_select(m, "pkcs11:token=nope", &s2, &e) == SK_ETOKEN && s2 == NULL);
    CHECK_CONTAINS(e.msg, "no token matches pkcs11:token=nope");
    CHECK(tok_select(m, "pkcs11:token=x;pin-value=1234", &s2, &e) == SK_EINPUT);

    /* Every attribute honoured (issue 13): slot and library attributes are matched, and
     * module-name / module-path must name this very module, by p11-kit name or path. */
    CHECK(tok_get_info(s, &info, &e) == SK_OK);
    snprintf(uri, sizeof(uri), "pkcs11:token=%s;slot-description=SoftHSM%%20slot%%20ID%%200x%lx;"
             "slot-manufacturer=SoftHSM%%20project", LABEL, info.slot_id);
    rc = tok_select(m, uri, &s2, &e);
    CHECK_MSG(rc == SK_OK, "%s: %s", uri, e.msg);
    tok_slot_free(s2);
    s2 = NULL;
    CHECK(tok_select(m, "pkcs11:token=" LABEL ";slot-description=Feitian", &s2, &e) ==
          SK_ETOKEN && s2 == NULL);
    rc = tok_select(m, "pkcs11:token=" LABEL ";library-manufacturer=SoftHSM;library-version=2.6;"
                    "library-description=Implementation%20of%20PKCS11", &s2, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    tok_slot_free(s2);
    s2 = NULL;
    CHECK(tok_select(m, "pkcs11:token=" LABEL ";library-manufacturer=OpenSC%20Project", &s2,
                     &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "library-manufacturer of module");
    CHECK_CONTAINS(e.msg, "is 'SoftHSM'");
    CHECK(tok_select(m, "pkcs11:token=" LABEL ";library-version=2", &s2, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "library-version of module");
    rc = tok_select(m, "pkcs11:token=" LABEL "?module-name=softhsm2", &s2, &e);
    CHECK_MSG(rc == SK_OK, "by p11-kit name: %s", e.msg);
    tok_slot_free(s2);
    s2 = NULL;
    snprintf(uri, sizeof(uri), "pkcs11:token=%s?module-path=%s", LABEL, module);
    rc = tok_select(m, uri, &s2, &e);
    CHECK_MSG(rc == SK_OK, "by path: %s", e.msg);
    tok_slot_free(s2);
    s2 = NULL;
    CHECK(tok_select(m, "pkcs11:token=" LABEL "?module-name=opensc-pkcs11", &s2, &e) ==
          SK_EINPUT && s2 == NULL);
    CHECK_CONTAINS(e.msg, "module-name=opensc-pkcs11");
    CHECK_CONTAINS(e.msg, "opensc-pkcs11.so) is not the station's module");
    CHECK(tok_select(m, "pkcs11:token=" LABEL "?module-name=no-such-module", &s2, &e) ==
          SK_EINPUT);
    CHECK_CONTAINS(e.msg, "no such p11-kit module");
    CHECK(tok_select(m, "pkcs11:token=" LABEL "?module-path=/usr/lib/x86_64-linux-gnu/pkcs11/"
                     "opensc-pkcs11.so", &s2, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "module-path=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so is not");
    /* p11-kit loaded (and released) every configured module, SoftHSM too, to name them:
     * the module this process uses through libp11 must be untouched by that. */
    CHECK(tok_select(m, "pkcs11:token=" LABEL, &s2, &e) == SK_OK &&
          tok_get_info(s2, &info, &e) == SK_OK);
    tok_slot_free(s2);
    s2 = NULL;
    {
        char p1[4096], p2[4096];
        CHECK(tok_module_resolve("softhsm2", p1, sizeof(p1), &e) == SK_OK);
        CHECK(tok_module_same_file(p1, module));
        CHECK(tok_module_resolve(module, p2, sizeof(p2), &e) == SK_OK && strcmp(p2, module) == 0);
        CHECK(tok_module_resolve("libsofthsm2.so", p2, sizeof(p2), &e) == SK_OK &&
              strcmp(p2, "libsofthsm2.so") == 0);
        /* The default: p11-kit's first module that is not a trust-policy one. */
        CHECK(tok_module_resolve(NULL, p2, sizeof(p2), &e) == SK_OK);
        CHECK(strstr(p2, "p11-kit-trust") == NULL);
        CHECK(tok_module_names(p2, sizeof(p2), &e) == SK_OK);
        CHECK(strstr(p2, "softhsm2") != NULL);
    }
    /* SoftHSM 2.6.1 adds a new blank slot as soon as the last blank one is initialised,
     * in the same process (C_GetSlotList rescans); reload is needed only for libp11. */
    rc = tok_select(m, NULL, &s2, &e);
    CHECK_MSG(rc == SK_OK, "no blank token before reload: %s", e.msg);
    if (rc == SK_OK)
        CHECK(tok_get_info(s2, &info, &e) == SK_OK && !info.initialized);
    tok_slot_free(s2);
    s2 = NULL;

    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    ec = rsa = NULL;
    tok_slot_free(s);
    s = NULL;
    rc = tok_module_reload(m, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    rc = tok_select(m, NULL, &s2, &e);
    CHECK_MSG(rc == SK_OK, "after reload: %s", e.msg);
    if (rc == SK_OK) {
        CHECK(tok_init_token(s2, SO_PIN, LABEL, &e) == SK_OK);
        CHECK(tok_get_info(s2, &info, &e) == SK_OK && strcmp(info.serial, serial1) != 0);
        tok_slot_free(s2);
        s2 = NULL;
    }
    /* SoftHSM now offers a third blank slot that libp11 has not seen: initialising it
     * rebuilds libp11's slot list, after which libp11 signs with its keys. */
    rc = tok_select(m, NULL, &s2, &e);
    CHECK_MSG(rc == SK_OK, "third blank: %s", e.msg);
    if (rc == SK_OK) {
        struct key k3 = {SK_KEY_EC_P256, {0}, NULL};
        EVP_PKEY *p3 = NULL;

        CHECK(tok_init_token(s2, SO_PIN, "JX2026-000103", &e) == SK_OK);
        CHECK(tok_init_user_pin(s2, SO_PIN, USER_PIN, &e) == SK_OK);
        CHECK(tok_login_user(s2, USER_PIN, &e) == SK_OK);
        gen_and_check(s2, &k3);
        CHECK(tok_get_private_key(s2, k3.id, 20, &p3, &e) == SK_OK);
        if (p3 != NULL && k3.pub != NULL)
            check_csr(p3, k3.pub, "token 3");
        EVP_PKEY_free(p3);
        EVP_PKEY_free(k3.pub);
        tok_slot_free(s2);
        s2 = NULL;
    }
    /* Two tokens with one label: ambiguous, and both are named. */
    snprintf(uri, sizeof(uri), "pkcs11:token=%s", LABEL);
    CHECK(tok_select(m, uri, &s2, &e) == SK_ETOKEN && s2 == NULL);
    CHECK_CONTAINS(e.msg, "2 tokens match");
    CHECK_CONTAINS(e.msg, serial1);

    /* The first token by serial, and its key by URI, signing after the reload. */
    snprintf(uri, sizeof(uri), "pkcs11:serial=%s", serial1);
    rc = tok_select(m, uri, &s, &e);
    CHECK_MSG(rc == SK_OK, "%s", e.msg);
    if (rc == SK_OK) {
        CHECK(tok_login_user(s, USER_PIN, &e) == SK_OK);
        char kuri[128] = "pkcs11:type=private;id=";
        for (int i = 0; i < 20; i++)
            snprintf(kuri + strlen(kuri), sizeof(kuri) - strlen(kuri), "%%%02X", keys[1].id[i]);
        rc = tok_get_private_key_by_uri(s, kuri, &rsa, &e);
        CHECK_MSG(rc == SK_OK, "%s", e.msg);
        if (rc == SK_OK)
            check_csr(rsa, keys[1].pub, "RSA by URI after reload");
        CHECK(tok_get_private_key_by_uri(s, "pkcs11:object=ec-p384", &ec, &e) == SK_OK);
        if (ec != NULL)
            check_csr(ec, keys[2].pub, "P-384 by label");
        if (keep && tok_get_info(s, &info, &e) == SK_OK) {
            char hex[41];

            for (int i = 0; i < 20; i++)
                snprintf(hex + 2 * i, 3, "%02x", keys[0].id[i]);
            printf("slot=%lu\nkey_id=%s\n", info.slot_id, hex);
        }
    }

out:
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    X509_free(user_cert);
    X509_free(ca_cert);
    EVP_PKEY_free(ca_key);
    for (int i = 0; i < 3; i++)
        EVP_PKEY_free(keys[i].pub);
    tok_slot_free(s);
    tok_slot_free(s2);
    tok_module_free(m);
    if (!keep)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    TEST_DONE();
}
