/* form_ledger_fixture LEDGER ORDER...: record a verified issuance with two seals for each
 * order, without a token, so the delivery-note tests and bench have ledger data. Test code. */
#include <stdio.h>
#include <string.h>

#include "issuer/records/ledger.h"

int main(int argc, char **argv)
{
    ledger *l = NULL;
    sk_err e;
    int ret = 1;

    sk_err_clear(&e);
    if (argc < 3) {
        fprintf(stderr, "usage: form_ledger_fixture LEDGER ORDER...\n");
        return 2;
    }
    if (ledger_open(argv[1], &l, &e) != SK_OK)
        goto out;
    for (int i = 2; i < argc; i++) {
        char serial[40], tok[40], es[2][64];
        long long id;
        bool taken = false;
        ledger_update u;

        snprintf(serial, sizeof(serial), "5E%06d0A1B2C3D", i);
        snprintf(tok, sizeof(tok), "SH%08d", 4700 + i);
        snprintf(es[0], sizeof(es[0]), "36010000%06d01", i);
        snprintf(es[1], sizeof(es[1]), "36010000%06d05", i);
        memset(&u, 0, sizeof(u));
        u.token_label = argv[i];
        u.token_serial = tok;
        u.key_id = "01";
        u.not_before = "2026-03-06T02:00:00Z";
        /* 00:30 on 6 March in Beijing: the delivery note must print 2027年3月6日. */
        u.not_after = "2027-03-05T16:30:00Z";
        if (ledger_begin(l, argv[i], "JX-NC-01", "tester", "ec-p256", "AB", serial, 0, &id,
                         &taken, &e) != SK_OK ||
            ledger_step(l, id, ISS_CERT_ISSUED, &u, &e) != SK_OK ||
            ledger_seal_add(l, id, argv[i], "official", es[0], "00", &e) != SK_OK ||
            ledger_seal_add(l, id, argv[i], "legal-rep", es[1], "00", &e) != SK_OK ||
            ledger_step(l, id, ISS_VERIFIED, NULL, &e) != SK_OK)
            goto out;
    }
    ret = 0;
out:
    if (ret != 0)
        fprintf(stderr, "form_ledger_fixture: %s\n", e.msg);
    ledger_free(l);
    return ret;
}
