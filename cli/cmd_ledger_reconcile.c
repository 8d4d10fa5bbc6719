/* sealkey ledger reconcile: the lifecycle invariant checked (issuer/records/reconcile.h), one line
 * per violation or a JSON report. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/cmd_ledger.h"
#include "issuer/records/reconcile.h"
#include "skf/skf.h"

static const char *or_dash(const char *s)
{
    return s[0] != '\0' ? s : "-";
}

static void print_text(const station_config *st, const ledger *l, const reconcile_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const reconcile_violation *v = &r->v[i];
        printf("%s: order %s, serial %s, token %s: %s\n", reconcile_kind_name(v->kind),
               or_dash(v->order), or_dash(v->serial), or_dash(v->token), v->message);
    }
    printf("station %s (%s ledger): %zu issuances, %zu serials, %zu certificates signed "
           "(%zu live, ", st->station_id, ledger_backend_name(l), r->issuances, r->serials,
           r->signed_certs, r->live);
    if (r->held > 0)
        printf("%zu on hold, ", r->held);
    printf("%zu revoked), %zu being issued, ", r->revoked, r->in_progress);
    if (r->tokens_checked && st->token_skf)
        printf("%zu SKF devices (labels and applications; certificates need the PIN), ",
               r->tokens);
    else if (r->tokens_checked)
        printf("%zu tokens, ", r->tokens);
    else
        printf("tokens not checked, ");
    printf("%zu audit records: ", r->audit_records);
    if (r->n == 0)
        printf("clean\n");
    else
        printf("%zu violation%s\n", r->n, r->n == 1 ? "" : "s");
}

static int print_json(const station_config *st, const ledger *l, const reconcile_report *r,
                      sk_err *e)
{
    json_t *doc = NULL, *list = json_array();
    int ret = SK_OK;

    for (size_t i = 0; list != NULL && i < r->n; i++) {
        const reconcile_violation *v = &r->v[i];
        if (json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
                                                  reconcile_kind_name(v->kind), "order",
                                                  v->order, "serial", v->serial, "token",
                                                  v->token, "message", v->message)) != 0) {
            ret = sk_err_set(e, SK_EINTERNAL, "reconcile report: a field that is not UTF-8");
            goto out;
        }
    }
    doc = json_pack("{s:b, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I}, s:O}", "ok",
                    r->n == 0, "station", st->station_id, "ledger", ledger_backend_name(l),
                    "checked", "issuances", (json_int_t)r->issuances, "serials",
                    (json_int_t)r->serials, "signed", (json_int_t)r->signed_certs, "live",
                    (json_int_t)r->live, "held", (json_int_t)r->held, "revoked",
                    (json_int_t)r->revoked, "in_progress",
                    (json_int_t)r->in_progress, "tokens",
                    r->tokens_checked ? json_integer((json_int_t)r->tokens) : json_null(),
                    "audit_records", (json_int_t)r->audit_records, "violations", list);
    ret = cli_json_print(doc, e);
out:
    json_decref(list);
    return ret;
}

int cmd_ledger_reconcile(cli_ctx *c, bool as_json, bool with_tokens, sk_err *e)
{
    tok_module *m = NULL;
    reconcile_report r = {0};
    int ret;

    skf_lib *skf = NULL; /* an SKF station's devices instead of a PKCS#11 module's tokens */

    if (with_tokens && c->st->token_skf &&
        (ret = skf_lib_open(c->st->skf_library, &skf, e)) != SK_OK) {
        sk_err_wrap(e, "tokens not checked (--no-tokens checks the ledger alone)");
        goto out;
    }
    if (with_tokens && !c->st->token_skf &&
        (ret = tok_module_open(c->st->pkcs11_module, &m, e)) != SK_OK) {
        sk_err_wrap(e, "tokens not checked (--no-tokens checks the ledger alone)");
        goto out;
    }
    if ((ret = reconcile_run(c->st, c->ledger, c->audit, m, &r, e)) != SK_OK ||
        (skf != NULL && (ret = reconcile_skf_devices(c->ledger, skf, &r, e)) != SK_OK))
        goto out;
    if (as_json)
        ret = print_json(c->st, c->ledger, &r, e);
    else
        print_text(c->st, c->ledger, &r);
    fflush(stdout);
    /* Violations are what the command is for: exit 1 after the report, no error line. */
    if (ret == SK_OK && r.n > 0) {
        sk_err_clear(e);
        ret = SK_EFAIL;
    }
out:
    reconcile_report_free(&r);
    tok_module_free(m);
    skf_lib_free(skf);
    return ret;
}
