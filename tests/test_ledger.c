/* The ledger's promises: serials unique and accounted for, steps forward only, one live
 * issuance per order, records survive reopening. */
#include <stdlib.h>
#include <unistd.h>

#include "issuer/records/ledger.h"
#include "tests/test.h"

int main(void)
{
    char dir[] = "/tmp/sk-ledger-XXXXXX";
    char path[256], state[16], cmd[300];
    ledger *l = NULL;
    long long id1 = 0, id2 = 0, id3 = 0;
    bool taken = false, found = false;
    ledger_issuance r;
    ledger_issuance *v = NULL;
    size_t n = 0;
    sk_err e;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/ledger.sqlite", dir);
    CHECK(ledger_open(path, &l, &e) == SK_OK);

    CHECK(ledger_begin(l, "A-1", "S1", "op", "ec-p256", "ISS", "0ABC", 0, &id1, &taken, &e) ==
          SK_OK);
    /* The same serial under the same issuer is refused and flagged for a redraw. */
    CHECK(ledger_begin(l, "A-2", "S1", "op", "ec-p256", "ISS", "0ABC", 0, &id2, &taken, &e) ==
          SK_ESTATE);
    CHECK(taken);
    CHECK(id2 == 0);
    /* ... and the refused attempt left no issuance behind. */
    CHECK(ledger_latest(l, "A-2", &r, &found, &e) == SK_OK && !found);
    /* Another issuer may use the same number. */
    CHECK(ledger_begin(l, "A-2", "S1", "op", "ec-p256", "OTHER", "0ABC", 0, &id2, &taken, &e) ==
          SK_OK);
    /* One live issuance per order. */
    CHECK(ledger_begin(l, "A-1", "S1", "op", "ec-p256", "ISS", "0DEF", 0, &id3, &taken, &e) ==
          SK_ESTATE);
    CHECK(!taken);
    CHECK_CONTAINS(e.msg, "A-1");

    ledger_update u = {.token_label = "A-1", .token_serial = "1234"};
    CHECK(ledger_step(l, id1, ISS_TOKEN_INITIALISED, &u, &e) == SK_OK);
    CHECK(ledger_step(l, id1, ISS_RESERVED, NULL, &e) == SK_ESTATE); /* never backwards */
    CHECK(ledger_step(l, id1, ISS_CERT_ISSUED, NULL, &e) == SK_OK);
    CHECK(ledger_serial_state(l, "ISS", "0ABC", state, sizeof(state), &e) == SK_OK);
    CHECK(strcmp(state, "used") == 0);
    /* Failing after the certificate was signed keeps the serial 'used', never reusable. */
    CHECK(ledger_fail(l, id1, "token pulled", &e) == SK_OK);
    CHECK(ledger_serial_state(l, "ISS", "0ABC", state, sizeof(state), &e) == SK_OK);
    CHECK(strcmp(state, "used") == 0);
    CHECK(ledger_begin(l, "A-3", "S1", "op", "ec-p256", "ISS", "0ABC", 0, &id3, &taken, &e) ==
          SK_ESTATE && taken);

    /* Failing before the certificate voids the serial. */
    CHECK(ledger_fail(l, id2, "bad SO PIN", &e) == SK_OK);
    CHECK(ledger_serial_state(l, "OTHER", "0ABC", state, sizeof(state), &e) == SK_OK);
    CHECK(strcmp(state, "void") == 0);
    CHECK(ledger_step(l, id2, ISS_WRITTEN, NULL, &e) == SK_ESTATE); /* failed is final */

    /* A failed order may be tried again. */
    CHECK(ledger_begin(l, "A-1", "S1", "op", "ec-p256", "ISS", "0F00", 0, &id3, &taken, &e) ==
          SK_OK);
    for (iss_step s = ISS_TOKEN_INITIALISED; s <= ISS_VERIFIED; s++)
        CHECK(ledger_step(l, id3, s, NULL, &e) == SK_OK);
    ledger_free(l);
    l = NULL;

    /* Everything is still there after reopening. */
    CHECK(ledger_open(path, &l, &e) == SK_OK);
    CHECK(ledger_latest(l, "A-1", &r, &found, &e) == SK_OK && found);
    CHECK(r.step == ISS_VERIFIED);
    CHECK(strcmp(r.cert_serial, "0F00") == 0);
    CHECK(ledger_list(l, "A-1", &v, &n, &e) == SK_OK && n == 2);
    CHECK(n == 2 && v[0].step == ISS_FAILED && strcmp(v[0].error, "token pulled") == 0);
    CHECK(n == 2 && strcmp(v[0].token_serial, "1234") == 0);
    free(v);
    /* Reissue supersedes only a verified issuance. */
    CHECK(ledger_begin(l, "A-1", "S1", "op", "ec-p256", "ISS", "0F01", id3, &id1, &taken, &e) ==
          SK_OK);
    CHECK(ledger_latest(l, "A-1", &r, &found, &e) == SK_OK && r.step == ISS_RESERVED);
    ledger_free(l);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    TEST_DONE();
}
