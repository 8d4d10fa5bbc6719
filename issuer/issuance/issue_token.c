/* Which token an issuance may use, as the ledger sees it: a token that carries another
 * order's live certificate is wiped only when the operator revokes that order in the same
 * command, and a half-made token is resumed only when it is not some order's live token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/audit.h"
#include "issuer/issuance/issue_int.h"

/* The live issuance the ledger holds on the token in c, if any. */
static int find_holder(const issue_env *env, issue_token_choice *c, sk_err *e)
{
    return ledger_token_live(env->ledger, c->info.serial, &c->holder, &c->has_holder, e);
}

static int select_token(const issue_env *env, const char *uri, issue_token_choice *c, sk_err *e)
{
    int ret = tok_select(env->tokens, uri, &c->slot, e);

    if (ret == SK_OK)
        ret = tok_get_info(c->slot, &c->info, e);
    if (ret == SK_OK)
        ret = find_holder(env, c, e);
    return ret;
}

int issue_choose_token(const issue_env *env, const order *o, const issue_opts *opts,
                       const char *resume_uri, issue_token_choice *c, sk_err *e)
{
    int ret;

    memset(c, 0, sizeof(*c));
    c->resuming = resume_uri[0] != '\0' && opts->token_uri == NULL;
    ret = select_token(env, c->resuming ? resume_uri : opts->token_uri, c, e);
    /* The half-made token is not in a reader, has since been reused for another order, or
     * is the order's own live token (a reissue found by the order's label): any blank token
     * will do, and that token is left alone. */
    if (c->resuming && (ret == SK_ETOKEN || (ret == SK_OK && (strcmp(c->info.label, o->number) !=
                                                                  0 || c->has_holder)))) {
        tok_slot_free(c->slot);
        c->slot = NULL;
        c->resuming = false;
        c->has_holder = false;
        ret = select_token(env, opts->token_uri, c, e);
    }
    if (ret != SK_OK)
        goto out;
    if (c->has_holder && opts->revoke_holder == NULL) {
        ret = sk_err_set(e, SK_ESTATE,
                         "token '%s' (serial %s) is the live token of order %s (certificate "
                         "serial %s); to wipe it, revoke that order in the same command: "
                         "--revoke-holder %s",
                         c->info.label, c->info.serial, c->holder.order_number,
                         c->holder.cert_serial, c->holder.order_number);
        goto out;
    }
    if (c->has_holder && strcmp(opts->revoke_holder, c->holder.order_number) != 0) {
        ret = sk_err_set(e, SK_ESTATE,
                         "--revoke-holder %s: token '%s' (serial %s) is the live token of order "
                         "%s, not of %s; nothing revoked",
                         opts->revoke_holder, c->info.label, c->info.serial,
                         c->holder.order_number, opts->revoke_holder);
        goto out;
    }
    if (!c->has_holder && opts->revoke_holder != NULL) {
        ret = sk_err_set(e, SK_ESTATE,
                         "--revoke-holder %s: token '%s' (serial %s) is not the live token of "
                         "any order in the ledger; nothing revoked",
                         opts->revoke_holder, c->info.label, c->info.serial);
        goto out;
    }
    /* Only a token this order itself half-made may be erased without being asked. */
    if (c->info.initialized && !opts->reinit && !c->resuming) {
        ret = sk_err_set(e, SK_ESTATE,
                         "token '%s' (serial %s) is already initialised; use --reinit to erase it",
                         c->info.label, c->info.serial);
        goto out;
    }
    ret = SK_OK;
out:
    if (ret != SK_OK) {
        tok_slot_free(c->slot);
        c->slot = NULL;
    }
    return ret;
}

int issue_revoke_holder(const issue_env *env, const order *o, const issue_token_choice *c,
                        const char *reason, sk_err *e)
{
    ledger_issuance *v = NULL;
    size_t n = 0;
    char detail[256];
    int ret;

    if (reason == NULL)
        reason = "cessationOfOperation";
    if ((ret = ledger_revoke(env->ledger, c->holder.order_number, reason, &v, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (v[i].id == c->holder.id)
            snprintf(detail, sizeof(detail), "%s; its token %s is wiped for order %s "
                     "(--revoke-holder)", reason, c->info.serial, o->number);
        else
            snprintf(detail, sizeof(detail), "%s; an earlier certificate of the order, revoked "
                     "with its live token (--revoke-holder for order %s)", reason, o->number);
        audit_event ev = {.event = AUDIT_EV_REVOKED,
                          .order = v[i].order_number,
                          .token_serial = v[i].token_serial,
                          .cert_serial = v[i].cert_serial,
                          .result = AUDIT_OK,
                          .detail = detail};
        if ((ret = audit_append(env->audit, &ev, e)) != SK_OK) {
            sk_err_wrap(e, "audit log");
            goto out;
        }
    }
out:
    free(v);
    return ret;
}
