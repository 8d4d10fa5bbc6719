/* The small operations (issuer/operations/operations.h): revoke, ship and ca init, each a
 * ledger or CA change followed by its audit record. */
#include "issuer/operations/operations.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/issuance/issue.h"
#include "util/sk_keyalg.h"

/* An attempt of the order that stopped part-way may hold a signed certificate: revoke
 * closes it (ledger_fail revokes that certificate, cessationOfOperation) under the order's
 * claim, so a process issuing the order right now is never cut short. *closed gets the
 * closed issuance as it is now, when its certificate was revoked. */
static int close_unfinished(const op_env *env, const char *order_number, bool *claimed,
                            ledger_issuance *closed, bool *closed_revoked, sk_err *e)
{
    ledger_issuance latest;
    bool found = false;
    char reason[128];
    int ret;

    *closed_revoked = false;
    if ((ret = ledger_latest(env->ledger, order_number, &latest, &found, e)) != SK_OK ||
        !found || (latest.step >= ISS_VERIFIED && latest.step != ISS_AWAITING_CERT))
        return ret;
    if ((ret = ledger_claim(env->ledger, order_number, claimed, e)) != SK_OK)
        return ret;
    if (!*claimed)
        return sk_err_set(e, SK_EBUSY, "order %s is being issued by another process or station "
                          "right now (step %s); revoke it when that run has ended",
                          order_number, iss_step_name(latest.step));
    /* Read again under the claim: the run holding it a moment ago may have finished it. An
     * order waiting for its certificate (external signing) is closed the same way. */
    if ((ret = ledger_latest(env->ledger, order_number, &latest, &found, e)) != SK_OK ||
        !found || (latest.step >= ISS_VERIFIED && latest.step != ISS_AWAITING_CERT))
        return ret;
    snprintf(reason, sizeof(reason), "interrupted at step %s; closed by sealkey revoke",
             iss_step_name(latest.step));
    if ((ret = issue_close_failed(env->ledger, env->audit, order_number, latest.id,
                                  latest.token_serial, latest.cert_serial, reason, e)) != SK_OK ||
        (ret = ledger_get(env->ledger, latest.id, closed, &found, e)) != SK_OK)
        return ret;
    *closed_revoked = found && closed->revoked_at[0] != '\0';
    return SK_OK;
}

int op_revoke(const op_env *env, const char *order_number, const char *reason,
              op_revoke_result *r, sk_err *e)
{
    ledger_issuance closed;
    bool claimed = false, closed_revoked = false;
    int ret;

    memset(r, 0, sizeof(*r));
    if ((ret = ca_revocation_reason(reason, &r->reason, e)) != SK_OK ||
        (ret = close_unfinished(env, order_number, &claimed, &closed, &closed_revoked, e)) !=
            SK_OK)
        goto out;
    ret = ledger_revoke(env->ledger, order_number, r->reason, &r->revoked, &r->n, e);
    /* The closed attempt's certificate, revoked by closing it, is newest: it goes last. */
    if (closed_revoked && (ret == SK_OK || ret == SK_ESTATE)) {
        ledger_issuance *grown = realloc(r->revoked, (r->n + 1) * sizeof(*grown));
        if (grown == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
            goto out;
        }
        r->revoked = grown;
        r->revoked[r->n++] = closed;
        ret = SK_OK;
    }
    if (ret != SK_OK)
        goto out;
    /* The ledger has revoked them all in one transaction; each gets its audit record. */
    for (size_t i = 0; i < r->n; i++) {
        const ledger_issuance *v = &r->revoked[i];
        char detail[96];
        snprintf(detail, sizeof(detail), "%s (%s issuance %lld)", v->revocation_reason,
                 iss_step_name(v->step), v->id);
        audit_event ev = {.event = AUDIT_EV_REVOKED,
                          .result = AUDIT_OK,
                          .order = order_number,
                          .token_serial = v->token_serial,
                          .cert_serial = v->cert_serial,
                          .detail = detail};
        if ((ret = audit_append(env->audit, &ev, e)) != SK_OK) {
            sk_err_wrap(e, "audit log");
            goto out;
        }
    }
out:
    if (claimed)
        ledger_release(env->ledger, order_number);
    return ret;
}

void op_revoke_result_free(op_revoke_result *r)
{
    free(r->revoked);
    memset(r, 0, sizeof(*r));
}

int op_ship_check(const char *waybill, sk_err *e)
{
    size_t n = strlen(waybill);
    bool ok = n >= 8 && n <= 32;

    for (size_t i = 0; ok && i < n; i++)
        ok = isdigit((unsigned char)waybill[i]) || (waybill[i] >= 'A' && waybill[i] <= 'Z');
    if (!ok)
        return sk_err_set(e, SK_EINPUT, "waybill '%s': expected 8 to 32 characters of A-Z and "
                          "0-9", waybill);
    return SK_OK;
}

int op_ship(const op_env *env, const char *order_number, const char *waybill, sk_err *e)
{
    audit_event ev = {.event = AUDIT_EV_SHIPPED,
                      .result = AUDIT_OK,
                      .order = order_number,
                      .detail = waybill};
    int ret;

    if ((ret = op_ship_check(waybill, e)) != SK_OK ||
        (ret = ledger_set_waybill(env->ledger, order_number, waybill, e)) != SK_OK)
        return ret;
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        return sk_err_wrap(e, "audit log");
    return SK_OK;
}

int op_ca_init(const op_env *env, const ca_init_opts *o, const char *ca_secret,
               tok_module *hsm, sk_err *e)
{
    audit_event ev = {.event = AUDIT_EV_CA_INIT,
                      .result = AUDIT_OK,
                      .detail = sk_keyalg_name(o->key_alg)};
    int ret;

    if ((ret = ca_init(env->st, o, ca_secret, hsm, e)) != SK_OK)
        return ret;
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        return sk_err_wrap(e, "audit log");
    return SK_OK;
}
