/* The station's operations (issuer/operations/operations.h) called as a library, as a front end
 * other than the CLI would: ca init, ship, revoke, then crl lists the revoked certificate, the
 * audit log holds a record of each, and ledger export carries the log. A real station
 * directory (examples/station.json), a real SQLite ledger, a real CA. */
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer/operations/operations.h"
#include "tests/test.h"
#include "util/sk_file.h"

#define PASS "ca passphrase for the operations test"
#define SERIAL "0A1B2C3D"

/* An issuance the ledger holds as issued (verified) with a signed certificate's serial. */
static long long issued(ledger *l, const char *number, const char *issuer_id)
{
    long long id = 0;
    bool taken = false;
    sk_err e;
    ledger_update u = {.token_label = number, .token_serial = "TOK-OP-1"};

    CHECK_MSG(ledger_begin(l, number, "JX-NC-01", "tester", "ec-p256", issuer_id, SERIAL, 0, &id,
                           &taken, &e) == SK_OK, "%s", e.msg);
    CHECK(ledger_step(l, id, ISS_TOKEN_INITIALISED, &u, &e) == SK_OK);
    for (iss_step s = ISS_KEY_GENERATED; s <= ISS_VERIFIED; s++)
        CHECK_MSG(ledger_step(l, id, s, NULL, &e) == SK_OK, "%s", e.msg);
    return id;
}

typedef struct events {
    char names[16][32];
    char revoked_serial[80], revoked_detail[256], shipped_detail[64];
    size_t n;
} events;

static int collect(const audit_record *r, void *arg)
{
    events *ev = arg;

    if (ev->n < 16)
        snprintf(ev->names[ev->n++], sizeof(ev->names[0]), "%s", r->event);
    if (strcmp(r->event, "revoked") == 0) {
        snprintf(ev->revoked_serial, sizeof(ev->revoked_serial), "%s", r->cert_serial);
        snprintf(ev->revoked_detail, sizeof(ev->revoked_detail), "%s", r->detail);
    }
    if (strcmp(r->event, "shipped") == 0)
        snprintf(ev->shipped_detail, sizeof(ev->shipped_detail), "%s", r->detail);
    return 0;
}

/* The station's issuing.crl lists serial with reason. */
static bool crl_lists(const station_config *st, const char *serial, int reason)
{
    char path[PATH_MAX];
    X509_CRL *crl = NULL;
    BIGNUM *bn = NULL;
    ASN1_INTEGER *want = NULL;
    bool found = false;
    sk_err e;
    FILE *f;

    if (station_path(st, "ca/issuing.crl", path, sizeof(path), &e) != SK_OK ||
        (f = fopen(path, "r")) == NULL)
        return false;
    crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
    fclose(f);
    if (crl != NULL && BN_hex2bn(&bn, serial) > 0 && (want = BN_to_ASN1_INTEGER(bn, NULL)) != NULL) {
        STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
        for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
            X509_REVOKED *rv = sk_X509_REVOKED_value(revs, i);
            ASN1_ENUMERATED *why = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason, NULL, NULL);
            if (ASN1_INTEGER_cmp(X509_REVOKED_get0_serialNumber(rv), want) == 0 &&
                why != NULL && ASN1_ENUMERATED_get(why) == reason)
                found = true;
            ASN1_ENUMERATED_free(why);
        }
    }
    ASN1_INTEGER_free(want);
    BN_free(bn);
    X509_CRL_free(crl);
    return found;
}

static int write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[PATH_MAX];
    sk_err e;

    return sk_path_join(path, sizeof(path), dir, name, &e) == SK_OK
               ? sk_file_write_atomic(path, text, strlen(text), mode, &e)
               : SK_EIO;
}

int main(void)
{
    const char *src = getenv("SOURCE_DIR");
    char dir[] = "/tmp/sk-ops.XXXXXX", path[PATH_MAX + 256], ledger_path[PATH_MAX];
    unsigned char *conf = NULL;
    size_t conf_len = 0, n = 0;
    station_config *st = NULL;
    ledger *l = NULL;
    audit_sink *audit = NULL;
    ca *c = NULL;
    EVP_PKEY *root_key = NULL;
    char *text = NULL;
    events ev = {0};
    sk_err e;

    sk_err_clear(&e);
    if (src == NULL || mkdtemp(dir) == NULL)
        return 2;
    snprintf(path, sizeof(path), "%s/examples/station.json", src);
    CHECK(sk_file_read(path, 1 << 20, &conf, &conf_len, &e) == SK_OK);
    snprintf(path, sizeof(path), "%s/station.json", dir);
    CHECK(sk_file_write_atomic(path, conf, conf_len, 0644, &e) == SK_OK);
    CHECK(write_file(dir, "ca-pass", PASS "\n", 0600) == SK_OK);
    CHECK(write_file(dir, "so-pin", "so-pin-4711\n", 0600) == SK_OK);
    CHECK_MSG(station_load(dir, &st, &e) == SK_OK, "%s", e.msg);
    if (st == NULL)
        TEST_DONE();
    CHECK(station_path(st, st->ledger, ledger_path, sizeof(ledger_path), &e) == SK_OK);
    CHECK_MSG(ledger_open(ledger_path, &l, &e) == SK_OK, "%s", e.msg);
    /* The record keeper, opened once from the loaded config: nothing read or written yet. */
    CHECK(audit_sink_open_station(st, l, "tester", &audit, &e) == SK_OK);
    CHECK(!audit_sink_shared(audit));
    op_env env = {.st = st, .ledger = l, .audit = audit};

    ca_init_opts io = {.key_alg = st->ca_key_alg, .root_days = 3650, .issuing_days = 1825};
    CHECK_MSG(op_ca_init(&env, &io, PASS, NULL, &e) == SK_OK, "%s", e.msg);
    CHECK(op_ca_init(&env, &io, PASS, NULL, &e) == SK_ESTATE);
    CHECK_MSG(ca_open(st, PASS, NULL, &c, &e) == SK_OK, "%s", e.msg);
    if (c == NULL)
        TEST_DONE();
    issued(l, "OP-1", ca_issuer_id(c));

    /* ship: a bad waybill is refused before anything is recorded. */
    CHECK(op_ship(&env, "OP-1", "sf 1", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "waybill 'sf 1'");
    CHECK_MSG(op_ship(&env, "OP-1", "SF1234567890", &e) == SK_OK, "%s", e.msg);
    CHECK(op_ship(&env, "OP-2", "SF1234567890", &e) == SK_ESTATE);

    /* revoke: the ledger and the audit log in one call. */
    op_revoke_result rr;
    CHECK(op_revoke(&env, "OP-1", "stolen", &rr, &e) == SK_EINPUT);
    op_revoke_result_free(&rr);
    CHECK_MSG(op_revoke(&env, "OP-1", "lost", &rr, &e) == SK_OK, "%s", e.msg);
    CHECK(rr.n == 1 && strcmp(rr.reason, "keyCompromise") == 0 &&
          strcmp(rr.revoked[0].cert_serial, SERIAL) == 0 && rr.revoked[0].step == ISS_REVOKED);
    op_revoke_result_free(&rr);
    CHECK(op_revoke(&env, "OP-1", "lost", &rr, &e) == SK_ESTATE);
    op_revoke_result_free(&rr);

    /* crl: numbered by the ledger, the revoked certificate on it, kept and published. */
    CHECK_MSG(ca_load_root_key(st, c, PASS, &root_key, &e) == SK_OK, "%s", e.msg);
    op_crl_opts co = {.days = 7};
    op_crl_result cr;
    CHECK_MSG(op_crl(&env, c, root_key, &co, &cr, &e) == SK_OK, "%s", e.msg);
    CHECK(cr.number == 1 && cr.n_revoked == 1 && cr.root_crl && cr.root_number == 1);
    CHECK(crl_lists(st, SERIAL, CRL_REASON_KEY_COMPROMISE));
    CHECK(cr.names.n_issuing >= 1);
    snprintf(path, sizeof(path), "%s/%s", cr.publish_dir, cr.names.issuing[0]);
    CHECK(sk_file_exists(path));
    CHECK(op_crl(&env, c, NULL, &co, &cr, &e) == SK_OK && cr.number == 2 && !cr.root_crl);

    /* The audit log: one record per operation, in order, with what each did. */
    CHECK_MSG(audit_foreach(audit, collect, &ev, &n, NULL, &e) == SK_OK, "%s", e.msg);
    static const char *const want[] = {"ca_init", "shipped", "revoked", "crl_issued",
                                       "crl_issued"};
    CHECK_MSG(ev.n == 5, "%zu records", ev.n);
    for (size_t i = 0; i < ev.n && i < 5; i++)
        CHECK_MSG(strcmp(ev.names[i], want[i]) == 0, "record %zu is %s, want %s", i + 1,
                  ev.names[i], want[i]);
    CHECK(strcmp(ev.revoked_serial, SERIAL) == 0);
    CHECK_CONTAINS(ev.revoked_detail, "keyCompromise (revoked issuance");
    CHECK(strcmp(ev.shipped_detail, "SF1234567890") == 0);

    /* ledger export: the ledger and the log, checked, in one document. */
    op_export_result xr;
    CHECK_MSG(op_ledger_export(&env, NULL, &text, &xr, &e) == SK_OK, "%s", e.msg);
    CHECK(xr.issuances == 1 && xr.audit_records == 5);
    CHECK_CONTAINS(text, "\"station\": \"JX-NC-01\"");
    free(text);
    text = NULL;
    snprintf(path, sizeof(path), "%s/export.json", dir);
    CHECK(op_ledger_export(&env, path, &text, &xr, &e) == SK_OK && text == NULL);
    CHECK(op_ledger_export(&env, path, &text, &xr, &e) == SK_EIO); /* never over a file */

    EVP_PKEY_free(root_key);
    ca_free(c);
    audit_sink_free(audit);
    ledger_free(l);
    station_free(st);
    free(conf);
    snprintf(path, sizeof(path), "rm -rf '%s'", dir);
    CHECK(system(path) == 0);
    TEST_DONE();
}
