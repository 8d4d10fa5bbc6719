#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"

static const char usage[] =
    "sealkey status [--station DIR] [--order NUMBER] [--all] [--json]\n"
    "  Where each order stands in the ledger: its latest issuance's step (reserved,\n"
    "  token_initialised, key_generated, cert_issued, written, verified, failed,\n"
    "  superseded, revoked), token, certificate serial and validity, operator and times;\n"
    "  and its live (verified) issuance too when a later attempt, such as a reissue, is\n"
    "  in progress or failed.\n"
    "  --all             every issuance, failed and superseded attempts included\n"
    CLI_HELP_JSON "                    (an array of issuances)";

static json_t *issuance_json(const ledger_issuance *r)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
                     " s:s, s:s}",
                     "issuance", (json_int_t)r->id, "order_number", r->order_number, "step",
                     iss_step_name(r->step), "station_id", r->station_id, "operator",
                     r->operator_name, "key_algorithm", r->key_alg, "cert_serial", r->cert_serial,
                     "token_label", r->token_label, "token_serial", r->token_serial, "key_id",
                     r->key_id, "not_before", r->not_before, "not_after", r->not_after,
                     "updated_at", r->updated_at, "error", r->error, "revoked_at",
                     r->revoked_at, "revocation_reason", r->revocation_reason);
}

struct status_args {
    const char *order_number;
    bool all;
    cli_output out;
};

int cmd_status_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"order", required_argument, NULL, 'o'},
                                         {"all", no_argument, NULL, 'a'},
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct status_args *a = cli_args(cx, sizeof(*a), NULL);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->order_number = optarg; break;
        case 'a': a->all = true; break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "status")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "status")) != SK_OK)
        return ret;
    return cli_output_check(&a->out, CLI_FMT_TEXT, usage, "status");
}

/* Without --all, an order shows as its latest attempt, and its live issuance. */
static bool shown(const ledger_issuance *v, size_t n, size_t i, bool all)
{
    bool live = v[i].step == ISS_VERIFIED && v[i].revoked_at[0] == '\0';

    if (all || live)
        return true;
    for (size_t j = i + 1; j < n; j++)
        if (strcmp(v[j].order_number, v[i].order_number) == 0)
            return false;
    return true;
}

int cmd_status_run(cli_ctx *cx, sk_err *e)
{
    const struct status_args *a = cx->args;
    ledger_issuance *v = NULL;
    size_t n = 0;
    json_t *arr = NULL;
    int ret;

    if ((ret = ledger_list(cx->ledger, a->order_number, &v, &n, e)) != SK_OK)
        goto out;
    if (a->order_number != NULL && n == 0) {
        ret = sk_err_set(e, SK_EINPUT, "order %s: not in the ledger", a->order_number);
        goto out;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!shown(v, n, i, a->all))
            continue;
        if (a->out.format == CLI_FMT_JSON) {
            json_array_append_new(arr, issuance_json(&v[i]));
        } else {
            printf("%-16s %-17s token %-16s cert %-34s until %-20s updated %s\n",
                   v[i].order_number, iss_step_name(v[i].step),
                   v[i].token_serial[0] ? v[i].token_serial : "-",
                   v[i].step == ISS_AWAITING_CERT ? "-" : v[i].cert_serial,
                   v[i].not_after[0] ? v[i].not_after : "-", v[i].updated_at);
            if (v[i].error[0] != '\0')
                printf("%16s reason: %s\n", "", v[i].error);
            if (v[i].step == ISS_AWAITING_CERT)
                printf("%16s waiting for the certificate the CA's own system signs (sealkey "
                       "csr-export, then cert-import; docs/pki.md)\n", "");
            if (ledger_issuance_held(&v[i]))
                printf("%16s certificate on hold since %s (sealkey token release lifts it)\n",
                       "", v[i].revoked_at);
            else if (v[i].revoked_at[0] != '\0')
                printf("%16s certificate revoked %s (%s)\n", "", v[i].revoked_at,
                       v[i].revocation_reason);
        }
    }
    ret = SK_OK;
    if (a->out.format == CLI_FMT_JSON) {
        ret = cli_json_print(arr, e);
        arr = NULL;
    }
out:
    json_decref(arr);
    free(v);
    return ret;
}
