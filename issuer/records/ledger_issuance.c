/* The ledger's rules for issuances, written once for every database (issuer/records/ledger.h has
 * the steps): which step may follow which, one issuance in flight and one verified per
 * order, serials reserved and spent, a failed attempt's certificate revoked, a reissue
 * superseding the issuance it replaces, revocation, waybills, seals and CRL numbers.
 *
 * Each change is one write transaction. A row read to decide a change is read {for_update},
 * so that on a shared ledger a second station deciding at the same moment waits for the
 * first to commit; a SQLite ledger's write transaction holds the whole database. */
#include <stdio.h>
#include <stdlib.h>

#include "issuer/records/ledger_int.h"

static long long changes(ledger *l, const struct ledger_result *r)
{
    return l->drv->changes(r);
}

static int add_history(ledger *l, long long id, const char *step, const char *detail, sk_err *e)
{
    return ledger_sql(l, "INSERT INTO issuance_steps (issuance_id, step, at, detail) VALUES"
                      " (?, ?, {now}, ?)", LEDGER_ARGS(LI(id), LT(step),
                                                      LT(detail != NULL ? detail : "")),
                      "recording step", NULL, NULL, e);
}

static int set_serial_state(ledger *l, long long id, const char *state, const char *only_from,
                            sk_err *e)
{
    return ledger_sql(l, "UPDATE serials SET state = ? WHERE issuance_id = ? AND state = ?",
                      LEDGER_ARGS(LT(state), LI(id), LT(only_from)), "updating serial", NULL,
                      NULL, e);
}

/* Before a new issuance of an order: its verified issuance, if any, must be the one
 * reissue_of names, and reissue_of a verified or revoked issuance of this order. The
 * replaced issuance stays live (and revocable) until the reissue is verified; its row is
 * locked so that a revocation or another reissue cannot slip in between. */
static int check_replaced(ledger *l, const char *order_number, long long reissue_of, sk_err *e)
{
    struct ledger_result *r = NULL;
    int ret;

    if ((ret = ledger_sql(l, "SELECT id FROM issuances WHERE order_number = ? AND step ="
                          " 'verified'{for_update}", LEDGER_ARGS(LT(order_number)),
                          "looking up order", &r, NULL, e)) != SK_OK)
        goto out;
    if (ledger_rows(l, r) > 0 && ledger_num(l, r, 0, 0) != reissue_of) {
        ret = sk_err_set(e, SK_ESTATE, "order %s is already issued (issuance %lld is "
                         "verified); only a reissue replacing it may begin", order_number,
                         ledger_num(l, r, 0, 0));
        goto out;
    }
    if (reissue_of <= 0)
        goto out;
    ledger_done(l, r);
    r = NULL;
    if ((ret = ledger_sql(l, "SELECT 1 FROM issuances WHERE id = ? AND order_number = ? AND"
                          " step IN ('verified', 'revoked')",
                          LEDGER_ARGS(LI(reissue_of), LT(order_number)),
                          "looking up the replaced issuance", &r, NULL, e)) != SK_OK)
        goto out;
    if (ledger_rows(l, r) != 1)
        ret = sk_err_set(e, SK_ESTATE, "order %s: issuance %lld is not a verified or revoked "
                         "issuance of this order, nothing to reissue", order_number, reissue_of);
out:
    ledger_done(l, r);
    return ret;
}

int ledger_begin(ledger *l, const char *order_number, const char *station_id,
                 const char *operator_name, const char *key_alg, const char *issuer_id,
                 const char *cert_serial, long long reissue_of, long long *id, bool *serial_taken,
                 sk_err *e)
{
    struct ledger_result *r = NULL;
    ledger_failure failed = LEDGER_FAILED;
    long long new_id = 0;
    int ret;

    *serial_taken = false;
    *id = 0;
    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "opening issuance", e)) != SK_OK)
        return ret;
    if ((ret = check_replaced(l, order_number, reissue_of, e)) != SK_OK)
        goto out;
    /* The unique indexes allow one issuance in flight per order. */
    ret = ledger_sql(l, "INSERT INTO issuances (order_number, step, station_id, operator,"
                     " key_alg, issuer_id, cert_serial, reissue_of, started_at, updated_at)"
                     " VALUES (?, 'reserved', ?, ?, ?, ?, ?, ?, {now}, {now}) RETURNING id",
                     LEDGER_ARGS(LT(order_number), LT(station_id), LT(operator_name),
                                 LT(key_alg), LT(issuer_id), LT(cert_serial),
                                 reissue_of > 0 ? LI(reissue_of) : LT(NULL)),
                     "opening issuance", &r, &failed, e);
    if (ret != SK_OK && failed == LEDGER_UNIQUE)
        ret = sk_err_set(e, SK_ESTATE, "order %s already has an issuance in progress in the "
                         "ledger", order_number);
    if (ret != SK_OK)
        goto out;
    new_id = ledger_num(l, r, 0, 0);
    /* The primary key (issuer_id, serial) makes a serial unique per issuer across every
     * station: of two drawing the same number, the second is told to redraw. */
    ret = ledger_sql(l, "INSERT INTO serials (issuer_id, serial, state, issuance_id,"
                     " reserved_at) VALUES (?, ?, 'reserved', ?, {now})",
                     LEDGER_ARGS(LT(issuer_id), LT(cert_serial), LI(new_id)),
                     "reserving serial", NULL, &failed, e);
    if (ret != SK_OK && failed == LEDGER_UNIQUE) {
        *serial_taken = true;
        ret = sk_err_set(e, SK_ESTATE, "certificate serial %s is already reserved", cert_serial);
    }
    if (ret == SK_OK)
        ret = add_history(l, new_id, "reserved", cert_serial, e);
out:
    ledger_done(l, r);
    if ((ret = ledger_tx_end(l, ret, e)) == SK_OK)
        *id = new_id;
    return ret;
}

/* A reissue reaching 'verified' retires, in the same transaction, the issuance it replaces
 * if that is still verified: superseded, and its certificate revoked. One revoked meanwhile
 * (sealkey revoke) stays as it is. */
static int supersede(ledger *l, long long id, const char *reason, sk_err *e)
{
    return ledger_sql(l, "UPDATE issuances SET step = 'superseded', revoked_at = {now},"
                      " revocation_reason = ?, updated_at = {now} WHERE id = (SELECT reissue_of"
                      " FROM issuances WHERE id = ?) AND step = 'verified'",
                      LEDGER_ARGS(LT(reason != NULL ? reason : "superseded"), LI(id)),
                      "retiring the replaced issuance", NULL, NULL, e);
}

/* A step's place in the order of steps: awaiting_certificate (last in the enum) comes
 * between key_generated and cert_issued; the final steps are out of reach of ledger_step. */
static int step_rank(int s)
{
    if (s == (int)ISS_AWAITING_CERT)
        return 2 * (int)ISS_KEY_GENERATED + 1;
    return s >= (int)ISS_FAILED ? 1000 : 2 * s;
}

int ledger_step(ledger *l, long long id, iss_step step, const ledger_update *u, sk_err *e)
{
    static const ledger_update none;
    struct ledger_result *r = NULL;
    int cur = -1, ret;

    if (u == NULL)
        u = &none;
    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "recording step", e)) != SK_OK)
        return ret;
    if ((ret = ledger_sql(l, "SELECT step FROM issuances WHERE id = ?{for_update}",
                          LEDGER_ARGS(LI(id)), "reading step", &r, NULL, e)) != SK_OK)
        goto out;
    if (ledger_rows(l, r) != 1) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: no issuance %lld", l->where, id);
        goto out;
    }
    cur = ledger_step_from_name(ledger_text(l, r, 0, 0));
    /* Steps only move forward, and only up to verified; failed is ledger_fail's. */
    if (cur < 0 || step_rank(cur) >= 1000 || step_rank((int)step) <= step_rank(cur) ||
        step_rank((int)step) >= 1000) {
        ret = sk_err_set(e, SK_ESTATE, "issuance %lld: cannot move from step %s to %s", id,
                         cur < 0 ? "?" : iss_step_name((iss_step)cur), iss_step_name(step));
        goto out;
    }
    if ((step == ISS_VERIFIED && (ret = supersede(l, id, u->revocation_reason, e)) != SK_OK) ||
        (ret = ledger_sql(l, "UPDATE issuances SET step = ?, updated_at = {now},"
                          " token_label = COALESCE(?, token_label),"
                          " token_serial = COALESCE(?, token_serial),"
                          " key_id = COALESCE(?, key_id),"
                          " not_before = COALESCE(?, not_before),"
                          " not_after = COALESCE(?, not_after),"
                          " cert_pem = COALESCE(?, cert_pem),"
                          " csr_pem = COALESCE(?, csr_pem) WHERE id = ?",
                          LEDGER_ARGS(LT(iss_step_name(step)), LT(u->token_label),
                                      LT(u->token_serial), LT(u->key_id), LT(u->not_before),
                                      LT(u->not_after), LT(u->cert_pem), LT(u->csr_pem),
                                      LI(id)),
                          "recording step", NULL, NULL, e)) != SK_OK)
        goto out;
    /* Once a certificate carries the serial it is spent, whatever happens to the token. */
    if (step < ISS_CERT_ISSUED || step == ISS_AWAITING_CERT ||
        (ret = set_serial_state(l, id, "used", "reserved", e)) == SK_OK)
        ret = add_history(l, id, iss_step_name(step), NULL, e);
out:
    ledger_done(l, r);
    return ledger_tx_end(l, ret, e);
}

int ledger_fail(ledger *l, long long id, const char *reason, sk_err *e)
{
    struct ledger_result *r = NULL;
    int ret;

    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "recording failure", e)) != SK_OK)
        return ret;
    if ((ret = ledger_sql(l, "UPDATE issuances SET step = 'failed', error = ?, updated_at ="
                          " {now} WHERE id = ? AND step NOT IN ('verified', 'failed',"
                          " 'superseded', 'revoked')", LEDGER_ARGS(LT(reason), LI(id)),
                          "recording failure", &r, NULL, e)) != SK_OK)
        goto out;
    if (changes(l, r) == 0)
        goto out; /* already final: nothing changed, nothing to record */
    /* A certificate signed for an attempt that failed may have left the station (on a token
     * pulled mid-write, in out/): it goes on the next CRL. */
    if ((ret = set_serial_state(l, id, "void", "reserved", e)) == SK_OK &&
        (ret = ledger_sql(l, "UPDATE issuances SET revoked_at = {now}, revocation_reason ="
                          " 'cessationOfOperation' WHERE id = ? AND revoked_at = '' AND EXISTS"
                          " (SELECT 1 FROM serials s WHERE s.issuance_id = issuances.id AND"
                          " s.state = 'used')", LEDGER_ARGS(LI(id)),
                          "revoking the failed attempt's certificate", NULL, NULL, e)) == SK_OK)
        ret = add_history(l, id, "failed", reason, e);
out:
    ledger_done(l, r);
    return ledger_tx_end(l, ret, e);
}

static int by_id(const void *a, const void *b)
{
    const ledger_issuance *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

int ledger_revoke(ledger *l, const char *order_number, const char *reason,
                  ledger_issuance **revoked, size_t *n, sk_err *e)
{
    ledger_issuance *v = NULL;
    size_t cnt = 0;
    int ret;

    *revoked = NULL;
    *n = 0;
    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "recording revocation", e)) != SK_OK)
        return ret;
    /* Every certificate of the order signed and not revoked yet, except those of an issuance
     * in flight, which the run that closes it accounts for. One statement: a concurrent
     * reissue retiring the same row waits for it, then finds it no longer verified. A
     * certificate on hold is revoked for good, with the new reason and the hold's time: it
     * has not been trusted since. */
    if ((ret = ledger_issuances(l, "UPDATE issuances SET step = CASE step WHEN 'verified' THEN"
                                " 'revoked' ELSE step END, revocation_reason = ?, revoked_at ="
                                " CASE revoked_at WHEN '' THEN {now} ELSE revoked_at END,"
                                " updated_at = {now} WHERE order_number = ? AND"
                                " (revoked_at = '' OR (step = 'verified' AND revocation_reason"
                                " = '" LEDGER_HOLD_REASON "')) AND step IN ('verified',"
                                " 'superseded', 'failed') AND EXISTS (SELECT 1 FROM serials s WHERE"
                                " s.issuance_id = issuances.id AND s.state = 'used') RETURNING "
                                LEDGER_ISSUANCE_COLUMNS, LEDGER_ARGS(LT(reason), LT(order_number)),
                                "recording revocation", &v, &cnt, e)) == SK_OK &&
        cnt == 0)
        ret = sk_err_set(e, SK_ESTATE, "order %s has no issued (verified) token or other "
                         "certificate left to revoke in the ledger", order_number);
    if ((ret = ledger_tx_end(l, ret, e)) == SK_OK) {
        /* RETURNING gives no order; callers get the oldest first. */
        qsort(v, cnt, sizeof(*v), by_id);
        *revoked = v;
        *n = cnt;
        v = NULL;
    }
    free(v);
    return ret;
}

int ledger_set_waybill(ledger *l, const char *order_number, const char *waybill, sk_err *e)
{
    struct ledger_result *r = NULL;
    int ret = ledger_sql(l, "UPDATE issuances SET waybill = ?, updated_at = {now} WHERE"
                         " order_number = ? AND step = 'verified'",
                         LEDGER_ARGS(LT(waybill), LT(order_number)), "recording waybill", &r,
                         NULL, e);

    if (ret == SK_OK && changes(l, r) != 1)
        ret = sk_err_set(e, SK_ESTATE, "order %s has no issued (verified) token in the ledger",
                         order_number);
    ledger_done(l, r);
    return ret;
}

int ledger_seal_add(ledger *l, long long issuance_id, const char *order_number, const char *kind,
                    const char *es_id, const char *sha256_hex, sk_err *e)
{
    ledger_failure failed = LEDGER_FAILED;
    int ret = ledger_sql(l, "INSERT INTO seals (es_id, issuance_id, order_number, kind, sha256,"
                         " created_at) VALUES (?, ?, ?, ?, ?, {now})",
                         LEDGER_ARGS(LT(es_id), LI(issuance_id), LT(order_number), LT(kind),
                                     LT(sha256_hex)),
                         "recording seal", NULL, &failed, e);

    if (ret != SK_OK && failed == LEDGER_UNIQUE)
        ret = sk_err_set(e, SK_ESTATE, "seal id %s is already in the ledger", es_id);
    return ret;
}

int ledger_next_crl_number(ledger *l, const char *issuer_id, long long *number, sk_err *e)
{
    struct ledger_result *r = NULL;
    char name[128];
    int ret;

    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "numbering the CRL", e)) != SK_OK)
        return ret;
    /* Two stations numbering a CRL of one issuer at once take turns, not the same number. */
    snprintf(name, sizeof(name), "sealkey:crl:%s", issuer_id);
    if ((ret = l->drv->lock(l->db, name, "numbering the CRL", e)) != SK_OK ||
        (ret = ledger_sql(l, "INSERT INTO crls (issuer_id, number, issued_at) SELECT ?,"
                          " COALESCE(MAX(number), 0) + 1, {now} FROM crls WHERE issuer_id = ?"
                          " RETURNING number", LEDGER_ARGS(LT(issuer_id), LT(issuer_id)),
                          "numbering the CRL", &r, NULL, e)) != SK_OK)
        goto out;
    if (ledger_rows(l, r) != 1) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: numbering the CRL: no number", l->where);
        goto out;
    }
    *number = ledger_num(l, r, 0, 0);
out:
    ledger_done(l, r);
    return ledger_tx_end(l, ret, e);
}

int ledger_enc_cert(ledger *l, long long id, const char *issuer_id, const char *serial,
                    const char *cert_pem, bool *serial_taken, sk_err *e)
{
    ledger_failure failed = LEDGER_FAILED;
    char detail[128];
    int ret;

    *serial_taken = false;
    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, "recording the encryption certificate", e)) !=
        SK_OK)
        return ret;
    /* Signed already: the serial is 'used' from the start, under the same issuance. */
    ret = ledger_sql(l, "INSERT INTO serials (issuer_id, serial, state, issuance_id,"
                     " reserved_at) VALUES (?, ?, 'used', ?, {now})",
                     LEDGER_ARGS(LT(issuer_id), LT(serial), LI(id)),
                     "recording the encryption certificate's serial", NULL, &failed, e);
    if (ret != SK_OK && failed == LEDGER_UNIQUE) {
        *serial_taken = true;
        ret = sk_err_set(e, SK_ESTATE, "certificate serial %s is already reserved", serial);
    }
    if (ret == SK_OK)
        ret = ledger_sql(l, "UPDATE issuances SET enc_cert_serial = ?, enc_cert_pem = ?,"
                         " updated_at = {now} WHERE id = ? AND step = 'cert_issued'"
                         " AND enc_cert_serial = ''",
                         LEDGER_ARGS(LT(serial), LT(cert_pem), LI(id)),
                         "recording the encryption certificate", NULL, NULL, e);
    snprintf(detail, sizeof(detail), "encryption certificate %s", serial);
    if (ret == SK_OK)
        ret = add_history(l, id, "cert_issued", detail, e);
    return ledger_tx_end(l, ret, e);
}
