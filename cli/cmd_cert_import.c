#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "cli/cli_secrets.h"
#include "issuer/issuance/issue_import.h"
#include "util/sk_problems.h"

static const char usage[] =
    "sealkey cert-import --orders FILE [--station DIR] [--ca-pass SOURCE] [--json] CERT|DIR...\n"
    "  External signing (ca.signing \"external\"; docs/pki.md): finish the tokens of orders\n"
    "  waiting for their certificates with those the CA's own system signed: one certificate\n"
    "  file (PEM or DER) or a directory of them (*.pem *.crt *.cer *.der). Each is matched to\n"
    "  the order whose token key it carries and refused, with the reason, the order still\n"
    "  waiting, when it matches no waiting order, does not chain to the station's CA, carries\n"
    "  another subject than the order's, or is a CA certificate. Its token must be present:\n"
    "  a new random user PIN goes to the PIN mailer, then the certificate, chain and seals are\n"
    "  written and verified as in sealkey issue. FILE holds the orders (for the seals).\n"
    CLI_HELP_JSON "                    ({\"certificates\": one object per certificate file, its\n"
    "                    \"status\" \"issued\" or \"refused\" with its exit status and error;\n"
    "                    \"finished\", \"refused\"; printed when some were refused too)\n"
    "  Exit status: 0 when every certificate finished its order, else the first failure's.";

struct import_args {
    const char *orders;
    char **paths;
    size_t n;
    order_file *f;
    cli_output out;
    json_t *items; /* --json: what said() heard */
};

static void import_args_free(void *p)
{
    struct import_args *a = p;

    order_file_free(a->f);
    json_decref(a->items);
}

int cmd_cert_import_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {
        CLI_OPT_STATION_ROW, {"orders", required_argument, NULL, 'f'},
        CLI_OPT_CA_PASS_ROW, CLI_OPT_OPERATOR_ROW,
        CLI_OPT_JSON_ROW,    CLI_OPT_HELP_ROW,
        {NULL, 0, NULL, 0}};
    struct import_args *a = cli_args(cx, sizeof(*a), import_args_free);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            a->orders = optarg;
            break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "cert-import")) != SK_OK)
                return ret;
        }
    }
    if (a->orders == NULL)
        return cli_usage_error(usage, "cert-import: --orders is required");
    if (cli_output_check(&a->out, CLI_FMT_TEXT, usage, "cert-import") != SK_OK)
        return SK_EUSAGE;
    if (optind == argc)
        return cli_usage_error(usage, "cert-import: no certificate file or directory");
    a->paths = argv + optind;
    a->n = (size_t)(argc - optind);
    return SK_OK;
}

/* The order file, before any secret is read. */
int cmd_cert_import_prepare(cli_ctx *cx, sk_err *e)
{
    struct import_args *a = cx->args;
    sk_problems probs;
    int ret;

    sk_problems_init(&probs);
    ret = order_file_load(a->orders, &a->f, &probs, e);
    sk_problems_free(&probs);
    return ret;
}

/* --json: one object per certificate, kept until the end. A path or message that is not
 * UTF-8 (JSON holds nothing else) is given as null rather than the certificate left out. */
static void said_json(json_t *items, const issue_import_item *it)
{
    json_t *o;

    if (it->status == SK_OK)
        o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "path", it->path, "order_number",
                      it->order, "status", "issued", "token_serial", it->r->token_serial,
                      "cert_serial", it->r->cert_serial, "pin_mailer", it->r->pin_mailer);
    else
        o = json_pack("{s:s, s:s?, s:s, s:i, s:s}", "path", it->path, "order_number",
                      it->order[0] ? it->order : NULL, "status", "refused", "exit_status",
                      it->status, "error", it->err->msg);
    if (o == NULL)
        o = json_pack("{s:n, s:s?, s:s, s:i, s:n}", "path", "order_number",
                      it->order[0] ? it->order : NULL, "status",
                      it->status == SK_OK ? "issued" : "refused", "exit_status", it->status,
                      "error");
    json_array_append_new(items, o);
}

static void said(void *ctx, const issue_import_item *it)
{
    struct import_args *a = ctx;

    if (a->out.format == CLI_FMT_JSON)
        said_json(a->items, it);
    else if (it->status == SK_OK)
        printf("%s issued: token %s, certificate %s, from %s; PIN mailer (0600): %s\n", it->order,
               it->r->token_serial, it->r->cert_serial, it->path, it->r->pin_mailer);
    else
        printf("%s REFUSED (%s): %s\n", it->path, sk_status_name(it->status), it->err->msg);
}

int cmd_cert_import_run(cli_ctx *cx, sk_err *e)
{
    struct import_args *a = cx->args;
    issue_run_secrets rs = {.so_pin = cx->secrets->so_pin, .ca_secret = cx->secrets->ca_secret};
    size_t done = 0, failed = 0;
    int ret, pret;

    if (a->out.format == CLI_FMT_JSON && (a->items = json_array()) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    ret = issue_import_certs(cx->st, a->f, (const char *const *)a->paths, a->n, &rs,
                             cx->operator_name, said, a, &done, &failed, e);
    cli_ctx_wipe(cx);
    if (done + failed > 0 && a->out.format == CLI_FMT_JSON) {
        /* As batch --json: every certificate's outcome, the status the first refusal's. */
        pret = cli_json_print(json_pack("{s:O, s:I, s:I}", "certificates", a->items,
                                        "finished", (json_int_t)done, "refused",
                                        (json_int_t)failed),
                              e);
        if (pret != SK_OK)
            return pret;
        if (ret != SK_OK)
            sk_err_clear(e);
    } else if (done + failed > 0) {
        printf("cert-import: %zu certificate(s): %zu finished, %zu refused\n", done + failed, done,
               failed);
        /* Each refusal was said with its reason; the status is the first one's. */
        if (ret != SK_OK)
            sk_err_clear(e);
    }
    return ret;
}
