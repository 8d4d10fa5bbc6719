#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "issuer/operations/operations.h"

static const char usage[] =
    "sealkey csr-export [--station DIR] [--out DIR2]\n"
    "  External signing (ca.signing \"external\" in station.json; docs/pki.md): write every\n"
    "  request the ledger holds for an order waiting for its certificate, one PKCS#10 file\n"
    "  per order signed by its token's key (DIR2/ORDER.csr), and DIR2/manifest.json listing\n"
    "  them (order, file, SHA-256, subject, token serial, key algorithm). Default DIR2:\n"
    "  DIR/requests. Take them to the CA's own system; sealkey cert-import finishes the\n"
    "  tokens with the certificates that come back.";

int cmd_csr_export_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char **out = cli_args(cx, sizeof(*out), NULL);
    int c;

    if (out == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            cx->station_opt = optarg;
            break;
        case 'o':
            *out = optarg;
            break;
        case 'h':
            printf("usage: %s\n", usage);
            return CLI_DONE;
        default:
            return cli_usage_error(usage, "csr-export: bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "csr-export: unexpected argument '%s'", argv[optind]);
    return SK_OK;
}

int cmd_csr_export_run(cli_ctx *cx, sk_err *e)
{
    const char *const *out = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_csr_result r;
    int ret;

    if ((ret = op_csr_export(&env, *out, &r, e)) == SK_OK)
        printf("%zu request(s) waiting for certificates written to %s (manifest.json)\n", r.n,
               r.dir);
    return ret;
}
