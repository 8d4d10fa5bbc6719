/* The ledger's rules for external signing (issue 14): awaiting_certificate sits between
 * key_generated and cert_issued, is in flight (one per order), keeps its request, and the
 * returned certificate enters with its own serial, the reserved one void, in one
 * transaction that a taken serial rolls back whole. */
#include <stdlib.h>
#include <unistd.h>

#include "issuer/records/ledger.h"
#include "tests/test.h"

int main(void)
{
    char dir[] = "/tmp/sk-ledger-ext-XXXXXX";
    char path[256], state[16], cmd[300], *pem = NULL;
    ledger *l = NULL;
    long long id1 = 0, id2 = 0, id3 = 0;
    bool taken = false, found = false;
    ledger_issuance r, *v = NULL;
    size_t n = 0;
    sk_err e;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/ledger.sqlite", dir);
    CHECK(ledger_open(path, &l, &e) == SK_OK);

    CHECK(ledger_begin(l, "B-1", "S1", "op", "ec-p256", "ISS", "0A01", 0, &id1, &taken, &e) ==
          SK_OK);
    CHECK(ledger_step(l, id1, ISS_TOKEN_INITIALISED, NULL, &e) == SK_OK);
    CHECK(ledger_step(l, id1, ISS_AWAITING_CERT, NULL, &e) == SK_OK); /* forward */
    ledger_update u = {.csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nX\n"};
    CHECK(ledger_begin(l, "B-2", "S1", "op", "ec-p256", "ISS", "0A02", 0, &id2, &taken, &e) ==
          SK_OK);
    CHECK(ledger_step(l, id2, ISS_KEY_GENERATED, NULL, &e) == SK_OK);
    CHECK(ledger_step(l, id2, ISS_AWAITING_CERT, &u, &e) == SK_OK);
    CHECK(ledger_step(l, id2, ISS_KEY_GENERATED, NULL, &e) == SK_ESTATE); /* never backwards */
    CHECK(ledger_step(l, id2, ISS_AWAITING_CERT, NULL, &e) == SK_ESTATE);
    CHECK(ledger_csr_pem(l, id2, &pem, &e) == SK_OK && pem != NULL && strcmp(pem, u.csr_pem) == 0);
    free(pem);
    /* In flight: no second issuance of the order. */
    CHECK(ledger_begin(l, "B-2", "S1", "op", "ec-p256", "ISS", "0A03", 0, &id3, &taken, &e) ==
              SK_ESTATE &&
          !taken);
    CHECK(ledger_awaiting(l, &v, &n, &e) == SK_OK && n == 2);
    free(v);

    /* The certificate comes back with the CA's serial. */
    CHECK(ledger_external_cert(l, id2, "ISS", "77AA", "2026-12-01T00:00:00Z",
                               "2027-12-01T00:00:00Z", "CERT", &e) == SK_OK);
    CHECK(ledger_get(l, id2, &r, &found, &e) == SK_OK && found && r.step == ISS_CERT_ISSUED);
    CHECK(strcmp(r.cert_serial, "77AA") == 0 && strcmp(r.not_after, "2027-12-01T00:00:00Z") == 0);
    CHECK(ledger_serial_state(l, "ISS", "0A02", state, sizeof(state), &e) == SK_OK &&
          strcmp(state, "void") == 0);
    CHECK(ledger_serial_state(l, "ISS", "77AA", state, sizeof(state), &e) == SK_OK &&
          strcmp(state, "used") == 0);
    CHECK(ledger_external_cert(l, id2, "ISS", "77AB", "", "", "CERT", &e) == SK_ESTATE);
    CHECK(ledger_step(l, id2, ISS_AWAITING_CERT, NULL, &e) == SK_ESTATE);
    for (iss_step s = ISS_SEALS_MADE; s <= ISS_VERIFIED; s++)
        CHECK(ledger_step(l, id2, s, NULL, &e) == SK_OK);

    /* A serial the ledger holds already: refused, and nothing of it stays. */
    CHECK(ledger_external_cert(l, id1, "ISS", "77AA", "", "", "CERT", &e) == SK_ESTATE);
    CHECK_CONTAINS(e.msg, "77AA");
    CHECK(ledger_get(l, id1, &r, &found, &e) == SK_OK && r.step == ISS_AWAITING_CERT);
    CHECK(ledger_serial_state(l, "ISS", "0A01", state, sizeof(state), &e) == SK_OK &&
          strcmp(state, "reserved") == 0);
    /* Given up while waiting: failed, its serial void, nothing revoked. */
    CHECK(ledger_fail(l, id1, "cancelled", &e) == SK_OK);
    CHECK(ledger_get(l, id1, &r, &found, &e) == SK_OK && r.step == ISS_FAILED &&
          r.revoked_at[0] == '\0');
    CHECK(ledger_serial_state(l, "ISS", "0A01", state, sizeof(state), &e) == SK_OK &&
          strcmp(state, "void") == 0);
    CHECK(strcmp(iss_step_name(ISS_AWAITING_CERT), "awaiting_certificate") == 0);
    CHECK(ledger_step_from_name("awaiting_certificate") == (int)ISS_AWAITING_CERT);
    ledger_free(l);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    TEST_DONE();
}
