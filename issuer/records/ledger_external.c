/* The ledger's rules for external signing (issuer/records/ledger.h, ISS_AWAITING_CERT): the
 * request an issuance waits on, the issuances waiting, and the certificate the CA's own
 * system signed entering the ledger in place of the serial reserved for it. */
#include <stdlib.h>
#include <string.h>

#include "issuer/records/ledger_int.h"

int ledger_csr_pem(ledger *l, long long id, char **pem, sk_err *e)
{
    struct ledger_result *r = NULL;
    int ret;

    *pem = NULL;
    ret = ledger_sql(l, "SELECT csr_pem FROM issuances WHERE id = ?", LEDGER_ARGS(LI(id)),
                     "reading the certificate request", &r, NULL, e);
    if (ret == SK_OK && ledger_rows(l, r) == 1 && ledger_kind(l, r, 0, 0) != LEDGER_COL_NULL &&
        (*pem = strdup(ledger_text(l, r, 0, 0))) == NULL)
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
    ledger_done(l, r);
    return ret;
}

int ledger_awaiting(ledger *l, ledger_issuance **out, size_t *n, sk_err *e)
{
    return ledger_issuances(l,
                            "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE"
                            " step = 'awaiting_certificate' ORDER BY id",
                            LEDGER_NO_ARGS, "listing issuances awaiting certificates", out, n, e);
}

int ledger_external_cert(ledger *l, long long id, const char *issuer_id, const char *serial,
                         const char *not_before, const char *not_after, const char *cert_pem,
                         sk_err *e)
{
    struct ledger_result *r = NULL;
    ledger_failure failed = LEDGER_FAILED;
    int ret;

    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "recording the returned certificate", e)) !=
        SK_OK)
        return ret;
    if ((ret = ledger_sql(l, "SELECT step FROM issuances WHERE id = ?{for_update}",
                          LEDGER_ARGS(LI(id)), "reading step", &r, NULL, e)) != SK_OK)
        goto out;
    if (ledger_rows(l, r) != 1 || strcmp(ledger_text(l, r, 0, 0), "awaiting_certificate") != 0) {
        ret = sk_err_set(e, SK_ESTATE, "issuance %lld is not awaiting a certificate", id);
        goto out;
    }
    /* The serial reserved at the start was never signed: the CA's system chose its own. */
    if ((ret = ledger_sql(l,
                          "UPDATE serials SET state = 'void' WHERE issuance_id = ? AND"
                          " state = 'reserved'",
                          LEDGER_ARGS(LI(id)), "voiding the reserved serial", NULL, NULL, e)) !=
        SK_OK)
        goto out;
    ret = ledger_sql(l,
                     "INSERT INTO serials (issuer_id, serial, state, issuance_id,"
                     " reserved_at) VALUES (?, ?, 'used', ?, {now})",
                     LEDGER_ARGS(LT(issuer_id), LT(serial), LI(id)), "recording the serial", NULL,
                     &failed, e);
    if (ret != SK_OK && failed == LEDGER_UNIQUE)
        ret = sk_err_set(e, SK_ESTATE,
                         "certificate serial %s is already in the ledger under "
                         "this issuer: refusing a second certificate with it",
                         serial);
    if (ret != SK_OK)
        goto out;
    if ((ret = ledger_sql(
             l,
             "UPDATE issuances SET step = 'cert_issued', updated_at = {now},"
             " cert_serial = ?, not_before = ?, not_after = ?, cert_pem = ?"
             " WHERE id = ?",
             LEDGER_ARGS(LT(serial), LT(not_before), LT(not_after), LT(cert_pem), LI(id)),
             "recording the returned certificate", NULL, NULL, e)) != SK_OK)
        goto out;
    ret = ledger_sql(l,
                     "INSERT INTO issuance_steps (issuance_id, step, at, detail) VALUES"
                     " (?, 'cert_issued', {now}, ?)",
                     LEDGER_ARGS(LI(id), LT(serial)), "recording step", NULL, NULL, e);
out:
    ledger_done(l, r);
    return ledger_tx_end(l, ret, e);
}
