/* The ledger's promises, against either backend: test_ledger_pg LOCATION [STATION_DIR].
 * LOCATION is a SQLite file or a postgresql:// URI of an empty database (the test runs
 * init on it). Serials unique per issuer and accounted for, steps forward only, one live
 * issuance per order, claims exclusive and dropped with their holder, serial reservation
 * from several processes at once, CRL numbers, the schema version. With STATION_DIR (whose
 * station.json names LOCATION) the audit log is appended and verified there too. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "issuer/records/audit.h"
#include "issuer/records/ledger.h"
#include "tests/test.h"

#define RACERS 4
#define RACE_SERIALS 40

/* A child reserving the same serials as its siblings, each for its own orders: exit 0 when
 * every attempt either got the serial or was told it was taken. */
static int race(const char *where, int who)
{
    ledger *l = NULL;
    sk_err e;
    int bad = 0;

    if (ledger_open(where, &l, &e) != SK_OK)
        return 2;
    for (int i = 0; i < RACE_SERIALS; i++) {
        char order[32], serial[16];
        long long id = 0;
        bool taken = false;
        snprintf(order, sizeof(order), "RACE-%d-%02d", who, i);
        snprintf(serial, sizeof(serial), "7%03X", i);
        int ret = ledger_begin(l, order, "S", "op", "ec-p256", "RACE", serial, 0, &id, &taken, &e);
        if (ret != SK_OK && !taken) {
            fprintf(stderr, "racer %d: %s\n", who, e.msg);
            bad++;
        }
    }
    ledger_free(l);
    return bad ? 1 : 0;
}

/* An issuance of order to step 'verified' on token tok, certificate serial ser. */
static long long verified(ledger *l, const char *order, const char *tok, const char *ser,
                          long long reissue_of, const char *reason)
{
    long long id = 0;
    bool taken = false;
    sk_err e;
    ledger_update u = {.token_label = order, .token_serial = tok};
    ledger_update uv = {.revocation_reason = reason};

    CHECK_MSG(ledger_begin(l, order, "S1", "op", "ec-p256", "LC", ser, reissue_of, &id, &taken,
                           &e) == SK_OK, "%s", e.msg);
    CHECK(ledger_step(l, id, ISS_TOKEN_INITIALISED, &u, &e) == SK_OK);
    for (iss_step s = ISS_KEY_GENERATED; s < ISS_VERIFIED; s++)
        CHECK(ledger_step(l, id, s, NULL, &e) == SK_OK);
    CHECK_MSG(ledger_step(l, id, ISS_VERIFIED, &uv, &e) == SK_OK, "%s", e.msg);
    return id;
}

/* Issue 11: a reissue keeps the old certificate live and revocable until the new token is
 * verified, then supersedes and revokes it in the same step; a failed attempt's certificate
 * is revoked; revoke reaches every unrevoked certificate of the order. */
static void lifecycle_checks(ledger *l)
{
    ledger_issuance r, *v = NULL;
    long long r1, r2 = 0, r3, r4, r5 = 0;
    bool found = false, taken = false;
    size_t n = 0;
    sk_err e;

    r1 = verified(l, "R-1", "TOK1", "C001", 0, NULL);
    CHECK(ledger_live(l, "R-1", &r, &found, &e) == SK_OK && found && r.id == r1);
    CHECK(ledger_token_live(l, "TOK1", &r, &found, &e) == SK_OK && found && r.id == r1);
    CHECK(ledger_token_live(l, "TOK9", &r, &found, &e) == SK_OK && !found);
    CHECK(ledger_token_live(l, "", &r, &found, &e) == SK_OK && !found);
    /* Not beside the verified one, unless as its reissue. */
    CHECK(ledger_begin(l, "R-1", "S1", "op", "ec-p256", "LC", "C002", 0, &r2, &taken, &e) ==
          SK_ESTATE && !taken);
    CHECK_CONTAINS(e.msg, "already issued");
    CHECK(ledger_begin(l, "R-1", "S1", "op", "ec-p256", "LC", "C002", r1, &r2, &taken, &e) ==
          SK_OK);
    /* One in flight at a time. */
    CHECK(ledger_begin(l, "R-1", "S1", "op", "ec-p256", "LC", "C003", r1, &r3, &taken, &e) ==
          SK_ESTATE && !taken);
    CHECK_CONTAINS(e.msg, "in progress");
    /* While the reissue runs, the old one stays live. */
    CHECK(ledger_live(l, "R-1", &r, &found, &e) == SK_OK && found && r.id == r1);
    CHECK(ledger_step(l, r2, ISS_CERT_ISSUED, NULL, &e) == SK_OK);
    CHECK(ledger_fail(l, r2, "token pulled", &e) == SK_OK);
    CHECK(ledger_get(l, r2, &r, &found, &e) == SK_OK && r.revoked_at[0] != '\0');
    CHECK(ledger_get(l, r1, &r, &found, &e) == SK_OK && r.step == ISS_VERIFIED &&
          r.revoked_at[0] == '\0');
    /* The next reissue, verified with the operator's reason, supersedes and revokes it. */
    r3 = verified(l, "R-1", "TOK3", "C004", r1, "keyCompromise");
    CHECK(ledger_get(l, r1, &r, &found, &e) == SK_OK && r.step == ISS_SUPERSEDED &&
          r.revoked_at[0] != '\0' && strcmp(r.revocation_reason, "keyCompromise") == 0);
    CHECK(ledger_live(l, "R-1", &r, &found, &e) == SK_OK && found && r.id == r3);
    CHECK(ledger_token_live(l, "TOK1", &r, &found, &e) == SK_OK && !found);
    CHECK(ledger_revoked(l, "LC", &v, &n, &e) == SK_OK && n == 2);
    free(v);

    /* A revocation while a reissue runs reaches the live one; the reissue leaves it revoked. */
    r4 = verified(l, "R-2", "TOK4", "C005", 0, NULL);
    CHECK(ledger_begin(l, "R-2", "S1", "op", "ec-p256", "LC", "C006", r4, &r5, &taken, &e) ==
          SK_OK);
    CHECK(ledger_step(l, r5, ISS_CERT_ISSUED, NULL, &e) == SK_OK);
    CHECK(ledger_revoke(l, "R-2", "unspecified", &v, &n, &e) == SK_OK && n == 1 &&
          v[0].id == r4);
    free(v);
    CHECK(ledger_live(l, "R-2", &r, &found, &e) == SK_OK && !found);
    for (iss_step s = ISS_SEALS_MADE; s <= ISS_VERIFIED; s++)
        CHECK(ledger_step(l, r5, s, NULL, &e) == SK_OK);
    CHECK(ledger_get(l, r4, &r, &found, &e) == SK_OK && r.step == ISS_REVOKED &&
          strcmp(r.revocation_reason, "unspecified") == 0);
    CHECK(ledger_live(l, "R-2", &r, &found, &e) == SK_OK && found && r.id == r5);
}

/* Issue 13: a hold is a revocation that can be lifted; the token stays its order's; a
 * revocation of a held certificate is final and keeps the hold's time; each is an event. */
static void hold_checks(ledger *l)
{
    ledger_issuance r, *v = NULL;
    ledger_token_event *ev = NULL, one;
    long long h1;
    bool found = false;
    size_t n = 0;
    sk_err e;

    h1 = verified(l, "H-1", "HTOK1", "D001", 0, NULL);
    CHECK(ledger_hold(l, "H-1", "S1", "op", "", &r, &e) == SK_OK && r.id == h1 &&
          ledger_issuance_held(&r) && r.step == ISS_VERIFIED);
    CHECK(ledger_hold(l, "H-1", "S1", "op", "", &r, &e) == SK_ESTATE);
    CHECK_CONTAINS(e.msg, "on hold already");
    CHECK(ledger_live(l, "H-1", &r, &found, &e) == SK_OK && !found);
    CHECK(ledger_current(l, "H-1", &r, &found, &e) == SK_OK && found && r.id == h1);
    CHECK(ledger_token_live(l, "HTOK1", &r, &found, &e) == SK_OK && found && r.id == h1);
    CHECK(ledger_revoked(l, "LC", &v, &n, &e) == SK_OK && n == 4 &&
          strcmp(v[n - 1].revocation_reason, LEDGER_HOLD_REASON) == 0);
    free(v);
    CHECK(ledger_hold_lift(l, "H-1", "S1", "op", "", &r, &e) == SK_OK && !ledger_issuance_held(&r) &&
          r.revoked_at[0] == '\0');
    CHECK(ledger_hold_lift(l, "H-1", "S1", "op", "", &r, &e) == SK_ESTATE);
    CHECK_CONTAINS(e.msg, "not on hold");
    CHECK(ledger_live(l, "H-1", &r, &found, &e) == SK_OK && found && r.id == h1);
    CHECK(ledger_hold(l, "H-1", "S1", "op", "", &r, &e) == SK_OK);
    CHECK(ledger_revoke(l, "H-1", "keyCompromise", &v, &n, &e) == SK_OK && n == 1 &&
          v[0].step == ISS_REVOKED && strcmp(v[0].revocation_reason, "keyCompromise") == 0 &&
          strcmp(v[0].revoked_at, r.revoked_at) == 0);
    free(v);
    memset(&one, 0, sizeof(one));
    snprintf(one.token_serial, sizeof(one.token_serial), "HTOK1");
    snprintf(one.event, sizeof(one.event), "lost");
    snprintf(one.station_id, sizeof(one.station_id), "S1");
    snprintf(one.operator_name, sizeof(one.operator_name), "op");
    one.issuance_id = h1;
    CHECK(ledger_token_event_add(l, &one, &e) == SK_OK && one.id > 0 && one.at[0] != '\0');
    CHECK(ledger_token_events(l, "HTOK1", &ev, &n, &e) == SK_OK && n == 4 &&
          strcmp(ev[0].event, "held") == 0 && strcmp(ev[1].event, "released") == 0 &&
          strcmp(ev[3].event, "lost") == 0 && ev[3].issuance_id == h1);
    free(ev);
}

/* The audit log of STATION_DIR, whose station.json names the ledger at where: appends go
 * over the ledger's connection when it is shared. */
static void audit_checks(const char *where, const char *dir)
{
    audit_event ev = {.event = AUDIT_EV_SERIAL_RESERVED, .order = "A-1", .result = AUDIT_OK,
                      .detail = "test"};
    size_t n = 0, stations = 0;
    ledger *l = NULL;
    audit_sink *t1 = NULL, *t2 = NULL;
    sk_err e;
    const char *uri = ledger_is_shared(where) ? where : NULL;
    audit_place p1 = {.dir = dir, .station_id = "T-1", .shared_uri = uri};
    audit_place p2 = {.dir = dir, .station_id = "T-2", .shared_uri = uri};

    CHECK_MSG(ledger_open(where, &l, &e) == SK_OK, "%s", e.msg);
    CHECK(audit_sink_open(&p1, l, "tester", &t1, &e) == SK_OK);
    CHECK(audit_sink_open(&p2, l, "tester", &t2, &e) == SK_OK);
    CHECK_MSG(audit_append(t1, &ev, &e) == SK_OK, "%s", e.msg);
    CHECK(audit_append(t1, &ev, &e) == SK_OK);
    CHECK(audit_append(t2, &ev, &e) == SK_OK);
    /* A reader without the ledger checks the chains alone (the suite's stations signed
     * certificates without records): foreach reads its station (T-1), verify_all every
     * station. */
    audit_sink *reader = NULL;
    CHECK(audit_sink_open(&p1, NULL, NULL, &reader, &e) == SK_OK);
    CHECK_MSG(audit_foreach(reader, NULL, NULL, &n, NULL, &e) == SK_OK, "%s", e.msg);
    CHECK(n == 2);
    CHECK_MSG(audit_verify_all(reader, &n, &stations, &e) == SK_OK, "%s", e.msg);
    CHECK(n == 3 && stations == 2);
    /* Appending through a sink needs the ledger its records go over. */
    audit_sink *no_ledger = NULL;
    CHECK(audit_sink_open(&p1, NULL, "tester", &no_ledger, &e) == SK_OK);
    CHECK(audit_append(no_ledger, &ev, &e) == (uri != NULL ? SK_EINTERNAL : SK_OK));
    audit_sink_free(no_ledger);
    audit_sink_free(reader);
    audit_sink_free(t1);
    audit_sink_free(t2);
    ledger_free(l);
}

int main(int argc, char **argv)
{
    const char *where = argc > 1 ? argv[1] : NULL;
    char state[16];
    ledger *l = NULL, *l2 = NULL;
    long long id1 = 0, id2 = 0, id3 = 0, crl = 0;
    bool taken = false, found = false, got = false;
    ledger_issuance r;
    ledger_issuance *v = NULL;
    size_t n = 0;
    int version = 0, from = 0, to = 0;
    pid_t kids[RACERS];
    sk_err e;

    if (where == NULL) {
        fprintf(stderr, "usage: test_ledger_pg LOCATION [STATION_DIR]\n");
        return 2;
    }
    if (ledger_is_shared(where)) {
        /* A shared ledger is never created behind the stations' backs. */
        CHECK(ledger_open(where, &l, &e) == SK_ESTATE);
        CHECK_CONTAINS(e.msg, "ledger init");
    }
    CHECK_MSG(ledger_init(where, &version, &e) == SK_OK, "%s", e.msg);
    CHECK(version == ledger_schema_latest());
    CHECK(ledger_init(where, &version, &e) == SK_ESTATE);
    CHECK(ledger_migrate(where, &from, &to, &e) == SK_OK && from == to &&
          to == ledger_schema_latest());
    CHECK_MSG(ledger_open(where, &l, &e) == SK_OK, "%s", e.msg);
    if (l == NULL)
        TEST_DONE();
    CHECK(ledger_schema_version(l, &version, &e) == SK_OK && version == ledger_schema_latest());

    CHECK(ledger_begin(l, "A-1", "S1", "op", "ec-p256", "ISS", "0ABC", 0, &id1, &taken, &e) ==
          SK_OK);
    /* The same serial under the same issuer is refused and flagged for a redraw. */
    CHECK(ledger_begin(l, "A-2", "S1", "op", "ec-p256", "ISS", "0ABC", 0, &id2, &taken, &e) ==
          SK_ESTATE);
    CHECK(taken && id2 == 0);
    CHECK(ledger_latest(l, "A-2", &r, &found, &e) == SK_OK && !found);
    /* Another issuer may use the same number. */
    CHECK(ledger_begin(l, "A-2", "S2", "op", "ec-p256", "OTHER", "0ABC", 0, &id2, &taken, &e) ==
          SK_OK);
    /* One live issuance per order, whichever station asks. */
    CHECK(ledger_begin(l, "A-1", "S2", "op", "ec-p256", "ISS", "0DEF", 0, &id3, &taken, &e) ==
          SK_ESTATE);
    CHECK(!taken);
    CHECK_CONTAINS(e.msg, "A-1");

    ledger_update u = {.token_label = "A-1", .token_serial = "1234", .cert_pem = "PEM"};
    CHECK(ledger_step(l, id1, ISS_TOKEN_INITIALISED, &u, &e) == SK_OK);
    CHECK(ledger_step(l, id1, ISS_RESERVED, NULL, &e) == SK_ESTATE); /* never backwards */
    CHECK(ledger_step(l, id1, ISS_CERT_ISSUED, NULL, &e) == SK_OK);
    CHECK(ledger_serial_state(l, "ISS", "0ABC", state, sizeof(state), &e) == SK_OK);
    CHECK(strcmp(state, "used") == 0);
    CHECK(ledger_fail(l, id1, "token pulled", &e) == SK_OK);
    CHECK(ledger_serial_state(l, "ISS", "0ABC", state, sizeof(state), &e) == SK_OK);
    CHECK(strcmp(state, "used") == 0);
    /* ... and its certificate is revoked in the same transaction, for the next CRL. */
    CHECK(ledger_get(l, id1, &r, &found, &e) == SK_OK && found && r.step == ISS_FAILED);
    CHECK(r.revoked_at[0] != '\0' && strcmp(r.revocation_reason, "cessationOfOperation") == 0);
    CHECK(ledger_fail(l, id1, "again", &e) == SK_OK); /* final: left as it is */
    CHECK(ledger_get(l, id1, &r, &found, &e) == SK_OK && strcmp(r.error, "token pulled") == 0);
    CHECK(ledger_fail(l, id2, "bad SO PIN", &e) == SK_OK);
    CHECK(ledger_serial_state(l, "OTHER", "0ABC", state, sizeof(state), &e) == SK_OK);
    CHECK(strcmp(state, "void") == 0);
    CHECK(ledger_get(l, id2, &r, &found, &e) == SK_OK && found && r.revoked_at[0] == '\0');
    CHECK(ledger_step(l, id2, ISS_WRITTEN, NULL, &e) == SK_ESTATE); /* failed is final */

    CHECK(ledger_begin(l, "A-1", "S1", "op", "ec-p256", "ISS", "0F00", 0, &id3, &taken, &e) ==
          SK_OK);
    for (iss_step s = ISS_TOKEN_INITIALISED; s <= ISS_VERIFIED; s++)
        CHECK(ledger_step(l, id3, s, NULL, &e) == SK_OK);
    CHECK(ledger_seal_add(l, id3, "A-1", "official", "ES-1", "aa", &e) == SK_OK);
    CHECK(ledger_seal_add(l, id3, "A-1", "legal-rep", "ES-2", "bb", &e) == SK_OK);
    CHECK(ledger_seal_add(l, id3, "A-1", "official", "ES-1", "aa", &e) == SK_ESTATE);
    CHECK_CONTAINS(e.msg, "already in the ledger");
    /* Only a taken key is a duplicate: a seal of an issuance the ledger does not hold is the
     * database refusing it, on both backends alike (SQLite used to call it a duplicate). */
    CHECK(ledger_seal_add(l, id3 + 1000, "A-1", "official", "ES-9", "aa", &e) == SK_ELEDGER);
    ledger_seal *seals = NULL;
    CHECK(ledger_seal_list(l, id3, &seals, &n, &e) == SK_OK && n == 2);
    CHECK(n == 2 && strcmp(seals[0].es_id, "ES-1") == 0 && strcmp(seals[1].kind, "legal-rep") == 0);
    free(seals);
    char *pem = NULL;
    CHECK(ledger_cert_pem(l, id1, &pem, &e) == SK_OK && pem != NULL && strcmp(pem, "PEM") == 0);
    free(pem);
    CHECK(ledger_set_waybill(l, "A-1", "SF123", &e) == SK_OK);
    CHECK(ledger_set_waybill(l, "A-2", "SF124", &e) == SK_ESTATE);
    ledger_free(l);
    l = NULL;

    /* Everything is still there after reopening, with the database's times. */
    CHECK(ledger_open(where, &l, &e) == SK_OK);
    CHECK(ledger_latest(l, "A-1", &r, &found, &e) == SK_OK && found);
    CHECK(r.step == ISS_VERIFIED && strcmp(r.cert_serial, "0F00") == 0);
    CHECK(strcmp(r.waybill, "SF123") == 0);
    CHECK(strlen(r.started_at) == 20 && r.started_at[10] == 'T' && r.started_at[19] == 'Z');
    CHECK(r.produced_at[0] != '\0');
    CHECK(ledger_list(l, "A-1", &v, &n, &e) == SK_OK && n == 2);
    CHECK(n == 2 && v[0].step == ISS_FAILED && strcmp(v[0].error, "token pulled") == 0);
    CHECK(n == 2 && strcmp(v[0].token_serial, "1234") == 0);
    free(v);
    /* Revocation, CRL numbers per issuer, reissue of a revoked order. */
    CHECK(ledger_revoke(l, "A-1", "keyCompromise", &v, &n, &e) == SK_OK);
    CHECK(n == 1 && v[0].id == id3 && v[0].step == ISS_REVOKED &&
          strcmp(v[0].revocation_reason, "keyCompromise") == 0 && v[0].revoked_at[0] != '\0');
    free(v);
    CHECK(ledger_revoke(l, "A-1", "keyCompromise", &v, &n, &e) == SK_ESTATE && n == 0);
    CHECK(ledger_revoked(l, "ISS", &v, &n, &e) == SK_OK && n == 2);
    free(v);
    CHECK(ledger_next_crl_number(l, "ISS", &crl, &e) == SK_OK && crl == 1);
    CHECK(ledger_next_crl_number(l, "ISS", &crl, &e) == SK_OK && crl == 2);
    CHECK(ledger_next_crl_number(l, "OTHER", &crl, &e) == SK_OK && crl == 1);
    CHECK(ledger_begin(l, "A-1", "S1", "op", "ec-p256", "ISS", "0F01", id3, &id1, &taken, &e) ==
          SK_OK);
    CHECK(ledger_latest(l, "A-1", &r, &found, &e) == SK_OK && r.step == ISS_RESERVED);

    /* What reconcile reads: every serial with its state, and who signed certificates. */
    ledger_serial *ser = NULL;
    CHECK(ledger_serials(l, &ser, &n, &e) == SK_OK && n == 4);
    CHECK(n == 4 && ser[0].issuance_id < ser[n - 1].issuance_id);
    for (size_t i = 0; i < n; i++) {
        const char *want = strcmp(ser[i].serial, "0F01") == 0 ? "reserved"
                           : strcmp(ser[i].issuer_id, "OTHER") == 0 ? "void" : "used";
        CHECK_MSG(strcmp(ser[i].state, want) == 0, "serial %s/%s is %s", ser[i].issuer_id,
                  ser[i].serial, ser[i].state);
    }
    free(ser);
    ledger_station_certs *certs = NULL;
    CHECK(ledger_certs_by_station(l, &certs, &n, &e) == SK_OK && n == 1);
    CHECK(n == 1 && strcmp(certs[0].station_id, "S1") == 0 && certs[0].certs == 1);
    free(certs);
    /* The audit anchor: a SQLite ledger's; a shared ledger keeps audit_heads instead. */
    unsigned long long aseq = 0;
    char ahash[65];
    if (ledger_is_shared(where)) {
        CHECK(ledger_audit_anchor_set(l, "S1", 1, "ab", &e) == SK_ESTATE);
        CHECK(ledger_audit_anchor_get(l, "S1", &aseq, ahash, sizeof(ahash), &found, &e) ==
              SK_ESTATE);
    } else {
        CHECK(ledger_audit_anchor_get(l, "S1", &aseq, ahash, sizeof(ahash), &found, &e) ==
                  SK_OK && !found);
        CHECK(ledger_audit_anchor_set(l, "S1", 7, "ab", &e) == SK_OK);
        CHECK(ledger_audit_anchor_set(l, "S1", 8, "cd", &e) == SK_OK);
        CHECK(ledger_audit_anchor_get(l, "S1", &aseq, ahash, sizeof(ahash), &found, &e) ==
                  SK_OK && found && aseq == 8 && strcmp(ahash, "cd") == 0);
        CHECK(ledger_audit_anchor_get(l, "S2", &aseq, ahash, sizeof(ahash), &found, &e) ==
                  SK_OK && !found);
    }
    lifecycle_checks(l);
    hold_checks(l);

    /* Claims: exclusive between holders, free again on release or when the holder goes. */
    CHECK_MSG(ledger_open(where, &l2, &e) == SK_OK, "%s", e.msg);
    CHECK(ledger_claim(l, "C-1", &got, &e) == SK_OK && got);
    CHECK(ledger_claim(l2, "C-1", &got, &e) == SK_OK && !got);
    CHECK(ledger_claim(l2, "C-2", &got, &e) == SK_OK && got);
    ledger_release(l, "C-1");
    CHECK(ledger_claim(l2, "C-1", &got, &e) == SK_OK && got);
    ledger_free(l2); /* a holder that goes away, claims and all */
    l2 = NULL;
    CHECK(ledger_claim(l, "C-1", &got, &e) == SK_OK && got);
    CHECK(ledger_claim(l, "C-2", &got, &e) == SK_OK && got);
    ledger_release(l, "C-1");
    ledger_release(l, "C-2");

    /* Several processes reserving the same serials: each taken exactly once. */
    for (int k = 0; k < RACERS; k++) {
        kids[k] = fork();
        if (kids[k] == 0)
            _exit(race(where, k));
    }
    for (int k = 0; k < RACERS; k++) {
        int st = 0;
        CHECK(kids[k] > 0 && waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) &&
              WEXITSTATUS(st) == 0);
    }
    size_t reserved = 0;
    CHECK(ledger_list(l, NULL, &v, &n, &e) == SK_OK);
    for (size_t i = 0; i < n; i++)
        if (strncmp(v[i].order_number, "RACE-", 5) == 0)
            reserved++;
    free(v);
    CHECK_MSG(reserved == RACE_SERIALS, "%zu issuances for %d serials", reserved, RACE_SERIALS);
    for (int i = 0; i < RACE_SERIALS; i++) {
        char serial[16];
        snprintf(serial, sizeof(serial), "7%03X", i);
        CHECK(ledger_serial_state(l, "RACE", serial, state, sizeof(state), &e) == SK_OK &&
              strcmp(state, "reserved") == 0);
    }
    ledger_free(l);
    l = NULL;

    if (argc > 2)
        audit_checks(where, argv[2]);
    TEST_DONE();
}
