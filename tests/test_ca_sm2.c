/* The SM2 hierarchy and profile (issue 15 item 1): `ca init` with key_algorithm sm2 makes an
 * SM2 root and issuing CA; an sm2 project's organisation certificate, issued from a CSR made
 * with a software SM2 key (SoftHSM has no SM2), is SM2-with-SM3 with the SM2 ID, carries the
 * GM/T 0015 subject (organizationIdentifier = USCC) and verifies with the library and with
 * `openssl verify`; the issuing CA's CRL is SM2-signed and checks. Real files, real OpenSSL. */
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issuer/ca/ca.h"
#include "issuer/ca/ca_util.h"
#include "issuer/kmc/kmc.h"
#include "issuer/station/station.h"
#include "tests/test.h"
#include "util/sk_file.h"
#include "util/sk_sm2.h"

#define PASS "sm2 test passphrase"

static const char station_json[] =
    "{\"station_id\": \"SM2-01\", \"ledger\": \"ledger.sqlite\", \"out_dir\": \"out\",\n"
    " \"ca\": {\"name\": \"SM2 Demo CA\", \"key_algorithm\": \"%s\", \"passphrase\": "
    "\"file:ca-pass\"},\n"
    " \"pin_policy\": {\"so_pin\": \"file:so-pin\"},\n"
    " \"projects\": [{\"code\": \"GMSM\", \"name\": \"SM2 project\", \"key_algorithm\": \"sm2\",\n"
    "   \"validity_days\": 365, \"crl_url\": \"http://crl.example/issuing.crl\",\n"
    "   \"province\": \"江西省\", \"locality\": \"南昌市\"}]}\n";

static int write_text(const char *dir, const char *name, const char *text, int mode)
{
    char path[PATH_MAX];
    sk_err e;

    return sk_path_join(path, sizeof(path), dir, name, &e) == SK_OK
               ? sk_file_write_atomic(path, text, strlen(text), mode, &e)
               : SK_EIO;
}

static station_config *make_station(char *dir, const char *ca_alg)
{
    char conf[2048];
    station_config *st = NULL;
    sk_err e;

    sk_err_clear(&e);
    if (mkdtemp(dir) == NULL)
        return NULL;
    snprintf(conf, sizeof(conf), station_json, ca_alg);
    CHECK(write_text(dir, "station.json", conf, 0644) == SK_OK);
    CHECK(write_text(dir, "ca-pass", PASS "\n", 0600) == SK_OK);
    CHECK(write_text(dir, "so-pin", "so-pin-4711\n", 0600) == SK_OK);
    CHECK_MSG(station_load(dir, &st, &e) == SK_OK, "%s", e.msg);
    if (st != NULL) {
        ca_init_opts io = {.key_alg = st->ca_key_alg, .root_days = 3650, .issuing_days = 1825};
        CHECK_MSG(ca_init(st, &io, PASS, NULL, &e) == SK_OK, "%s", e.msg);
    }
    return st;
}

/* A CSR with subject_key's public key, signed by sign_key (the same key, or another for a
 * forged proof of possession). */
static X509_REQ *make_csr(EVP_PKEY *subject_key, EVP_PKEY *sign_key)
{
    X509_REQ *req = X509_REQ_new();
    sk_err e;

    if (req == NULL || !X509_REQ_set_pubkey(req, subject_key) ||
        sk_req_sign(req, sign_key, &e) != SK_OK) {
        X509_REQ_free(req);
        return NULL;
    }
    return req;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void check_cert(X509 *cert, const order *o)
{
    X509_NAME *subj = X509_get_subject_name(cert);
    char oi[64] = "";
    int idx = X509_NAME_get_index_by_NID(subj, NID_organizationIdentifier, -1);

    CHECK(X509_get_signature_nid(cert) == NID_SM2_with_SM3);
    CHECK(sk_sm2_is_key(X509_get0_pubkey(cert)));
    if (idx >= 0) {
        ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
        snprintf(oi, sizeof(oi), "%.*s", ASN1_STRING_length(d),
                 (const char *)ASN1_STRING_get0_data(d));
    }
    CHECK_MSG(strcmp(oi, o->uscc) == 0, "organizationIdentifier '%s'", oi);
    CHECK((X509_get_key_usage(cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) ==
          (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
    CHECK(X509_check_ca(cert) == 0);
}

int main(void)
{
    char dir[] = "/tmp/sk-casm2.XXXXXX", ecdir[] = "/tmp/sk-casm2ec.XXXXXX";
    char path[PATH_MAX + 64], cmd[4 * PATH_MAX];
    station_config *st = NULL, *ecst = NULL;
    ca *c = NULL, *ecc = NULL;
    EVP_PKEY *key = NULL, *other = NULL, *ec = NULL;
    X509_REQ *req = NULL, *forged = NULL, *ecreq = NULL;
    X509 *cert = NULL, *none = NULL;
    X509_CRL *crl = NULL;
    sk_err e;
    order o = {.number = "SM2-000001",
               .project_code = "GMSM",
               .unit_name = "某某有限公司",
               .uscc = "91360100MA35XXXX0X"};

    sk_err_clear(&e);
    st = make_station(dir, "sm2");
    if (st == NULL)
        TEST_DONE();
    const station_project *p = station_project_find(st, "GMSM");
    CHECK(p != NULL && sk_keyalg_is_sm2(p->key_alg));
    CHECK_MSG(ca_open(st, PASS, NULL, &c, &e) == SK_OK, "%s", e.msg);
    if (c == NULL || p == NULL)
        TEST_DONE();
    CHECK(sk_sm2_is_key(X509_get0_pubkey(ca_root_cert(c))));
    CHECK(X509_get_signature_nid(ca_issuing_cert(c)) == NID_SM2_with_SM3);
    CHECK_MSG(ca_check_project_alg(c, p, &e) == SK_OK, "%s", e.msg);

    /* The organisation certificate from a CSR the "token" (a software SM2 key) signed. */
    key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    other = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    ec = EVP_EC_gen("P-256");
    req = make_csr(key, key);
    CHECK(key != NULL && other != NULL && ec != NULL && req != NULL);
    CHECK_MSG(ca_issue_org_cert_csr(c, p, &o, req, "8123456789ABCDEF8123456789ABCDEF", time(NULL),
                                    &cert, &e) == SK_OK,
              "%s", e.msg);
    if (cert == NULL)
        TEST_DONE();
    check_cert(cert, &o);
    CHECK_MSG(ca_verify_cert(c, cert, &e) == SK_OK, "%s", e.msg);

    /* A request signed by another key than the one it carries proves nothing. */
    forged = make_csr(key, other);
    CHECK(forged != NULL);
    CHECK(ca_issue_org_cert_csr(c, p, &o, forged, "8123456789ABCDEF8123456789ABCDF0", time(NULL),
                                &none, &e) == SK_EFAIL);
    CHECK_CONTAINS(e.msg, "does not verify");
    CHECK(none == NULL);
    /* A P-256 key for an sm2 project is refused, naming the project. */
    ecreq = make_csr(ec, ec);
    CHECK(ca_issue_org_cert_csr(c, p, &o, ecreq, "8123456789ABCDEF8123456789ABCDF1", time(NULL),
                                &none, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "project GMSM: key_algorithm is sm2");
    CHECK(none == NULL);

    /* `openssl verify`: -vfyopt gives only the leaf the SM2 ID, so the leaf is checked against
     * the issuing CA (-partial_chain) and the issuing CA as a leaf against the root. */
    snprintf(path, sizeof(path), "%s/org.pem", dir);
    CHECK(cau_write_certs(path, &cert, 1, &e) == SK_OK);
    snprintf(cmd, sizeof(cmd),
             "openssl verify -vfyopt distid:" SK_SM2_ID " -partial_chain -CAfile %s/ca/issuing.crt "
             "%s >/dev/null && openssl verify -vfyopt distid:" SK_SM2_ID
             " -CAfile %s/ca/root.crt %s/ca/issuing.crt >/dev/null",
             dir, path, dir, dir);
    CHECK_MSG(run(cmd) == 0, "%s", cmd);
    /* Without the ID the signature must not verify: the ID is set, not OpenSSL's empty one. */
    snprintf(cmd, sizeof(cmd),
             "openssl verify -partial_chain -CAfile %s/ca/issuing.crt %s >/dev/null 2>&1", dir,
             path);
    CHECK_MSG(run(cmd) != 0, "%s", cmd);

    /* The issuing CA's CRL is SM2-signed and checks with the ID (and not with another key). */
    CHECK_MSG(ca_make_crl(c, NULL, 0, 1, 7, &crl, &e) == SK_OK, "%s", e.msg);
    CHECK(crl != NULL && X509_CRL_get_signature_nid(crl) == NID_SM2_with_SM3);
    CHECK(crl != NULL && sk_crl_verify(crl, X509_get0_pubkey(ca_issuing_cert(c))));
    CHECK(crl != NULL && !sk_crl_verify(crl, X509_get0_pubkey(ca_root_cert(c))));

    /* Dual certificates: the encryption certificate for the KMC's key pair, enveloped to the
     * signing key, with the encryption profile, beside the signing certificate. */
    char kdir[PATH_MAX + 16];
    kmc *k = NULL;
    kmc_envelope env;
    EVP_PKEY *enc_pub = NULL;
    X509_REQ *enc_req = NULL;
    X509 *enc_cert = NULL;
    snprintf(kdir, sizeof(kdir), "%s/kmc", dir);
    CHECK_MSG(kmc_standin_open(kdir, "escrow secret", &k, &e) == SK_OK, "%s", e.msg);
    CHECK_MSG(k != NULL &&
                  kmc_enc_key_pair(k, o.number, key, &env, &enc_pub, &enc_req, &e) == SK_OK,
              "%s", e.msg);
    CHECK_MSG(enc_req != NULL &&
                  ca_issue_org_enc_cert_csr(c, p, &o, enc_req, "8123456789ABCDEF8123456789ABCDF3",
                                            time(NULL), &enc_cert, &e) == SK_OK,
              "%s", e.msg);
    if (enc_cert != NULL) {
        CHECK(X509_get_signature_nid(enc_cert) == NID_SM2_with_SM3);
        CHECK(EVP_PKEY_eq(X509_get0_pubkey(enc_cert), enc_pub) == 1);
        CHECK((X509_get_key_usage(enc_cert) & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT)) ==
              (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT));
        CHECK((X509_get_key_usage(enc_cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0);
        CHECK(X509_NAME_cmp(X509_get_subject_name(enc_cert), X509_get_subject_name(cert)) == 0);
        CHECK_MSG(ca_verify_cert(c, enc_cert, &e) == SK_OK, "%s", e.msg);
        snprintf(path, sizeof(path), "%s/org-enc.pem", dir);
        CHECK(cau_write_certs(path, &enc_cert, 1, &e) == SK_OK);
        snprintf(cmd, sizeof(cmd),
                 "openssl verify -vfyopt distid:" SK_SM2_ID
                 " -partial_chain -CAfile %s/ca/issuing.crt %s >/dev/null",
                 dir, path);
        CHECK_MSG(run(cmd) == 0, "%s", cmd);
    }
    /* The encryption profile is for sm2 projects' requests only: a signing-key request of a
     * P-256 key is refused as for the signing certificate. */
    CHECK(ca_issue_org_enc_cert_csr(c, p, &o, ecreq, "8123456789ABCDEF8123456789ABCDF4", time(NULL),
                                    &none, &e) == SK_EINPUT &&
          none == NULL);
    kmc_envelope_clear(&env);
    X509_free(enc_cert);
    X509_REQ_free(enc_req);
    EVP_PKEY_free(enc_pub);
    kmc_free(k);

    /* An sm2 project under a P-256 CA is refused, naming the project. */
    ecst = make_station(ecdir, "ec-p256");
    CHECK(ecst != NULL);
    if (ecst != NULL) {
        CHECK_MSG(ca_open(ecst, PASS, NULL, &ecc, &e) == SK_OK, "%s", e.msg);
        const station_project *ep = station_project_find(ecst, "GMSM");
        CHECK(ecc != NULL && ep != NULL && ca_check_project_alg(ecc, ep, &e) == SK_EINPUT);
        CHECK_CONTAINS(e.msg, "project GMSM: key_algorithm sm2 needs an SM2 issuing CA");
        CHECK(ecc != NULL && ep != NULL &&
              ca_issue_org_cert_csr(ecc, ep, &o, req, "8123456789ABCDEF8123456789ABCDF2",
                                    time(NULL), &none, &e) == SK_EINPUT);
    }

    snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, ecdir);
    CHECK(run(cmd) == 0);
    X509_CRL_free(crl);
    X509_free(cert);
    X509_free(none);
    X509_REQ_free(req);
    X509_REQ_free(forged);
    X509_REQ_free(ecreq);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    EVP_PKEY_free(ec);
    ca_free(c);
    ca_free(ecc);
    station_free(st);
    station_free(ecst);
    TEST_DONE();
}
