#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cli_secrets.h"
#include "issuer/issuance/issue_import.h"
#include "util/sk_problems.h"

static const char usage[] =
    "sealkey cert-import --orders FILE [--station DIR] [--ca-pass SOURCE] CERT|DIR...\n"
    "  External signing (ca.signing \"external\"; docs/pki.md): finish the tokens of orders\n"
    "  waiting for their certificates with those the CA's own system signed: one certificate\n"
    "  file (PEM or DER) or a directory of them (*.pem *.crt *.cer *.der). Each is matched to\n"
    "  the order whose token key it carries and refused, with the reason, the order still\n"
    "  waiting, when it matches no waiting order, does not chain to the station's CA, carries\n"
    "  another subject than the order's, or is a CA certificate. Its token must be present:\n"
    "  a new random user PIN goes to the PIN mailer, then the certificate, chain and seals are\n"
    "  written and verified as in sealkey issue. FILE holds the orders (for the seals).\n"
    "  Exit status: 0 when every certificate finished its order, else the first failure's.";

struct import_args {
    const char *orders;
    char **paths;
    size_t n;
    order_file *f;
};

static void import_args_free(void *p)
{
    struct import_args *a = p;

    order_file_free(a->f);
}

int cmd_cert_import_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'}, {"orders", required_argument, NULL, 'f'},
        {"ca-pass", required_argument, NULL, 'p'}, {"operator", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    struct import_args *a = cli_args(cx, sizeof(*a), import_args_free);
    int c;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            cx->station_opt = optarg;
            break;
        case 'f':
            a->orders = optarg;
            break;
        case 'p':
            cx->ca_pass_opt = optarg;
            break;
        case 'O':
            cx->operator_opt = optarg;
            break;
        case 'h':
            printf("usage: %s\n", usage);
            return CLI_DONE;
        default:
            return cli_usage_error(usage, "cert-import: bad option");
        }
    }
    if (a->orders == NULL)
        return cli_usage_error(usage, "cert-import: --orders is required");
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

static void said(void *ctx, const issue_import_item *it)
{
    (void)ctx;
    if (it->status == SK_OK)
        printf("%s issued: token %s, certificate %s, from %s; PIN mailer (0600): %s\n", it->order,
               it->r->token_serial, it->r->cert_serial, it->path, it->r->pin_mailer);
    else
        printf("%s REFUSED (%s): %s\n", it->path, sk_status_name(it->status), it->err->msg);
}

int cmd_cert_import_run(cli_ctx *cx, sk_err *e)
{
    const struct import_args *a = cx->args;
    issue_run_secrets rs = {.so_pin = cx->secrets->so_pin, .ca_secret = cx->secrets->ca_secret};
    size_t done = 0, failed = 0;
    int ret;

    ret = issue_import_certs(cx->st, a->f, (const char *const *)a->paths, a->n, &rs,
                             cx->operator_name, said, NULL, &done, &failed, e);
    cli_ctx_wipe(cx);
    if (done + failed > 0) {
        printf("cert-import: %zu certificate(s): %zu finished, %zu refused\n", done + failed, done,
               failed);
        /* Each refusal was said with its reason; the status is the first one's. */
        if (ret != SK_OK)
            sk_err_clear(e);
    }
    return ret;
}
