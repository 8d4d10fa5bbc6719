#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "issuer/operations/operations.h"

static const char usage[] =
    "sealkey ocsp-index [--station DIR] [-o FILE]\n"
    "  Write the revocation status of every certificate the station's issuing CA signed, from\n"
    "  the ledger, in the index format `openssl ocsp -index` serves (the index.txt of\n"
    "  `openssl ca`): V for a certificate not revoked, R with its time and reason for a revoked\n"
    "  one. Default FILE: DIR/ocsp/index.txt (mode 0644, replaced atomically). Run it after\n"
    "  every revoke (or with every crl) and copy it to the responder (docs/pki.md); no CA\n"
    "  secret is needed.";

int cmd_ocsp_index_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"output", required_argument, NULL, 'o'},
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
            return cli_usage_error(usage, "ocsp-index: bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "ocsp-index: unexpected argument '%s'", argv[optind]);
    return SK_OK;
}

int cmd_ocsp_index_run(cli_ctx *cx, sk_err *e)
{
    const char *const *out = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_ocsp_result r;
    int ret;

    if ((ret = op_ocsp_index(&env, *out, &r, e)) == SK_OK)
        printf("OCSP index with %zu good and %zu revoked certificate(s) written to %s\n", r.good,
               r.revoked, r.path);
    return ret;
}
