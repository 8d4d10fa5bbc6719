#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "issuer/operations/operations.h"

static const char usage[] =
    "sealkey revoke --order NUMBER --reason REASON [--station DIR] [--json]\n"
    "  Revoke every certificate of an order that is not revoked yet: its issued token's\n"
    "  (lost or faulty token), one a reissue still in progress is replacing, and any signed\n"
    "  during an attempt that failed or was replaced but not revoked by an older sealkey.\n"
    "  Says how many. REASON is lost (keyCompromise), faulty (superseded), closed\n"
    "  (cessationOfOperation), affiliationChanged or unspecified. The next `sealkey crl`\n"
    "  lists them; `sealkey issue --reissue` then makes the replacement token.\n"
    CLI_HELP_JSON "                    (each certificate revoked)\n"
    "  Exit status: 3 bad reason, 4 nothing of the order left to revoke.";

struct revoke_args {
    const char *number, *reason;
    cli_output out;
};

int cmd_revoke_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"order", required_argument, NULL, 'o'},
                                         {"reason", required_argument, NULL, 'r'},
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct revoke_args *a = cli_args(cx, sizeof(*a), NULL);
    const char *canonical;
    sk_err e;
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->number = optarg; break;
        case 'r': a->reason = optarg; break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "revoke")) != SK_OK)
                return ret;
        }
    }
    if (optind != argc || a->number == NULL || a->reason == NULL)
        return cli_usage_error(usage, "revoke: --order and --reason are required");
    if (cli_output_check(&a->out, CLI_FMT_TEXT, usage, "revoke") != SK_OK)
        return SK_EUSAGE;
    /* A reason that is not one, before the station is looked at. */
    if (ca_revocation_reason(a->reason, &canonical, &e) != SK_OK)
        return cli_report(&e);
    return SK_OK;
}

static json_t *result_json(const char *number, const op_revoke_result *r)
{
    json_t *list = json_array();

    for (size_t i = 0; list != NULL && i < r->n; i++) {
        const ledger_issuance *v = &r->revoked[i];
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "cert_serial",
                                              v->cert_serial, "token_serial", v->token_serial,
                                              "step", iss_step_name(v->step), "reason",
                                              v->revocation_reason, "revoked_at",
                                              v->revoked_at));
    }
    return json_pack("{s:s, s:s, s:I, s:o}", "order_number", number, "reason", r->reason,
                     "count", (json_int_t)r->n, "revoked", list);
}

int cmd_revoke_run(cli_ctx *cx, sk_err *e)
{
    const struct revoke_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_revoke_result r;
    int ret = op_revoke(&env, a->number, a->reason, &r, e);

    if (ret == SK_OK && a->out.format == CLI_FMT_JSON) {
        ret = cli_json_print(result_json(a->number, &r), e);
        op_revoke_result_free(&r);
        return ret;
    }
    for (size_t i = 0; ret == SK_OK && i < r.n; i++) {
        const ledger_issuance *v = &r.revoked[i];
        printf("order %s: certificate serial %s (token %s, %s) revoked (%s)\n", a->number,
               v->cert_serial, v->token_serial[0] ? v->token_serial : "-",
               iss_step_name(v->step), v->revocation_reason);
    }
    if (ret == SK_OK)
        printf("order %s: %zu certificate(s) revoked; run sealkey crl to publish\n", a->number,
               r.n);
    op_revoke_result_free(&r);
    return ret;
}
