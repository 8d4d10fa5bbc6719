/* The ledger's rules for tokens after their issuance (issuer/records/ledger.h, "token
 * service"): a hold is a revocation that can be lifted, kept on the issuance where the CRL
 * and reconcile read revocations; every hold, release, loss and PIN unblock is also a row of
 * token_events, the token's history. Written once for every database, like
 * ledger_issuance.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/ledger_int.h"

bool ledger_issuance_held(const ledger_issuance *i)
{
    return i->step == ISS_VERIFIED && i->revoked_at[0] != '\0' &&
           strcmp(i->revocation_reason, LEDGER_HOLD_REASON) == 0;
}

int ledger_current(ledger *l, const char *order_number, ledger_issuance *out, bool *found,
                   sk_err *e)
{
    ledger_issuance *v = NULL;
    size_t n = 0;
    int ret = ledger_issuances(l, "SELECT " LEDGER_ISSUANCE_COLUMNS " FROM issuances WHERE"
                               " order_number = ? AND step = 'verified' ORDER BY id DESC"
                               " LIMIT 1", LEDGER_ARGS(LT(order_number)),
                               "looking up the issued token", &v, &n, e);

    *found = ret == SK_OK && n == 1;
    if (*found)
        *out = v[0];
    free(v);
    return ret;
}

/* One event row, inside the caller's transaction or on its own; fills id and at. */
static int add_event(ledger *l, ledger_token_event *ev, sk_err *e)
{
    struct ledger_result *r = NULL;
    int ret = ledger_sql(l, "INSERT INTO token_events (token_serial, order_number, issuance_id,"
                         " event, station_id, operator, at, detail) VALUES (?, ?, ?, ?, ?, ?,"
                         " {now}, ?) RETURNING id, at",
                         LEDGER_ARGS(LT(ev->token_serial), LT(ev->order_number),
                                     ev->issuance_id > 0 ? LI(ev->issuance_id) : LT(NULL),
                                     LT(ev->event), LT(ev->station_id), LT(ev->operator_name),
                                     LT(ev->detail)),
                         "recording the token's event", &r, NULL, e);

    if (ret == SK_OK && ledger_rows(l, r) == 1) {
        ev->id = ledger_num(l, r, 0, 0);
        ledger_copy(l, r, 0, 1, ev->at, sizeof(ev->at));
    }
    ledger_done(l, r);
    return ret;
}

int ledger_token_event_add(ledger *l, ledger_token_event *ev, sk_err *e)
{
    return add_event(l, ev, e);
}

/* Hold (hold true) or release the order's verified certificate, and record the event, in one
 * transaction. The UPDATE decides: a second hold or a release of a live certificate changes
 * no row, and the order's current issuance then says why. */
static int hold_or_release(ledger *l, bool hold, const char *order_number,
                           const char *station_id, const char *operator_name,
                           const char *detail, ledger_issuance *out, sk_err *e)
{
    ledger_issuance *v = NULL, cur;
    ledger_token_event ev;
    size_t n = 0;
    bool found = false;
    int ret;

    memset(out, 0, sizeof(*out));
    if ((ret = ledger_tx_begin(l, LEDGER_TX_WRITE, hold ? "recording the hold" :
                               "recording the release", e)) != SK_OK)
        return ret;
    ret = hold ? ledger_issuances(l, "UPDATE issuances SET revoked_at = {now},"
                                  " revocation_reason = '" LEDGER_HOLD_REASON "', updated_at ="
                                  " {now} WHERE order_number = ? AND step = 'verified' AND"
                                  " revoked_at = '' RETURNING " LEDGER_ISSUANCE_COLUMNS,
                                  LEDGER_ARGS(LT(order_number)), "recording the hold", &v, &n,
                                  e)
               : ledger_issuances(l, "UPDATE issuances SET revoked_at = '', revocation_reason"
                                  " = '', updated_at = {now} WHERE order_number = ? AND step ="
                                  " 'verified' AND revocation_reason = '" LEDGER_HOLD_REASON
                                  "' RETURNING " LEDGER_ISSUANCE_COLUMNS,
                                  LEDGER_ARGS(LT(order_number)), "recording the release", &v,
                                  &n, e);
    if (ret != SK_OK)
        goto out;
    if (n != 1) {
        if ((ret = ledger_current(l, order_number, &cur, &found, e)) != SK_OK)
            goto out;
        if (!found)
            ret = sk_err_set(e, SK_ESTATE, "order %s has no issued (verified) token in the "
                             "ledger%s", order_number, hold ? " to hold" : "");
        else if (hold)
            ret = sk_err_set(e, SK_ESTATE, "order %s: certificate %s is on hold already (since "
                             "%s)", order_number, cur.cert_serial, cur.revoked_at);
        else
            ret = sk_err_set(e, SK_ESTATE, "order %s: certificate %s is not on hold",
                             order_number, cur.cert_serial);
        goto out;
    }
    *out = v[0];
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.token_serial, sizeof(ev.token_serial), "%s", out->token_serial);
    snprintf(ev.order_number, sizeof(ev.order_number), "%s", order_number);
    ev.issuance_id = out->id;
    snprintf(ev.event, sizeof(ev.event), "%s", hold ? "held" : "released");
    snprintf(ev.station_id, sizeof(ev.station_id), "%s", station_id);
    snprintf(ev.operator_name, sizeof(ev.operator_name), "%s", operator_name);
    snprintf(ev.detail, sizeof(ev.detail), "%s", detail != NULL ? detail : "");
    ret = add_event(l, &ev, e);
out:
    free(v);
    return ledger_tx_end(l, ret, e);
}

int ledger_hold(ledger *l, const char *order_number, const char *station_id,
                const char *operator_name, const char *detail, ledger_issuance *out, sk_err *e)
{
    return hold_or_release(l, true, order_number, station_id, operator_name, detail, out, e);
}

int ledger_hold_lift(ledger *l, const char *order_number, const char *station_id,
                     const char *operator_name, const char *detail, ledger_issuance *out,
                     sk_err *e)
{
    return hold_or_release(l, false, order_number, station_id, operator_name, detail, out, e);
}

int ledger_token_events(ledger *l, const char *token_serial, ledger_token_event **out,
                        size_t *n, sk_err *e)
{
    struct ledger_result *r = NULL;
    ledger_token_event *v = NULL;
    int rows, ret;

    *out = NULL;
    *n = 0;
    if ((ret = ledger_sql(l, "SELECT id, token_serial, order_number, COALESCE(issuance_id, 0),"
                          " event, station_id, operator, at, detail FROM token_events WHERE"
                          " token_serial = ? ORDER BY id", LEDGER_ARGS(LT(token_serial)),
                          "reading the token's events", &r, NULL, e)) != SK_OK)
        goto out;
    rows = ledger_rows(l, r);
    if (rows > 0 && (v = calloc((size_t)rows, sizeof(*v))) == NULL) {
        ret = sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
        goto out;
    }
    for (int i = 0; i < rows; i++) {
        v[i].id = ledger_num(l, r, i, 0);
        ledger_copy(l, r, i, 1, v[i].token_serial, sizeof(v[i].token_serial));
        ledger_copy(l, r, i, 2, v[i].order_number, sizeof(v[i].order_number));
        v[i].issuance_id = ledger_num(l, r, i, 3);
        ledger_copy(l, r, i, 4, v[i].event, sizeof(v[i].event));
        ledger_copy(l, r, i, 5, v[i].station_id, sizeof(v[i].station_id));
        ledger_copy(l, r, i, 6, v[i].operator_name, sizeof(v[i].operator_name));
        ledger_copy(l, r, i, 7, v[i].at, sizeof(v[i].at));
        ledger_copy(l, r, i, 8, v[i].detail, sizeof(v[i].detail));
    }
    *out = v;
    *n = (size_t)rows;
    v = NULL;
out:
    free(v);
    ledger_done(l, r);
    return ret;
}
