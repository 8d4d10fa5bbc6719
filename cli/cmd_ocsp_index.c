#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "issuer/operations/operations.h"

static const char usage[] =
    "sealkey ocsp-index [--station DIR] [-o FILE] [--json]\n"
    "  Write the revocation status of every certificate the station's issuing CA signed, from\n"
    "  the ledger, in the index format `openssl ocsp -index` serves (the index.txt of\n"
    "  `openssl ca`): V for a certificate not revoked, R with its time and reason for a revoked\n"
    "  one. Default FILE: DIR/ocsp/index.txt (mode 0644, replaced atomically). Run it after\n"
    "  every revoke (or with every crl) and copy it to the responder (docs/pki.md); no CA\n"
    "  secret is needed.\n"
    "  -o, --output FILE  where to write the index\n"
    CLI_HELP_JSON "                    ({\"path\", \"good\", \"revoked\"})";

struct ocsp_args {
    const char *out;
    cli_output output;
};

int cmd_ocsp_index_parse(int argc, char **argv, cli_ctx *cx)
{
    struct ocsp_args *a = cli_args(cx, sizeof(*a), NULL);

    if (a == NULL)
        return SK_OK;
    return cli_parse_out_json(argc, argv, cx, usage, "ocsp-index", &a->out, &a->output);
}

int cmd_ocsp_index_run(cli_ctx *cx, sk_err *e)
{
    const struct ocsp_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_ocsp_result r;
    int ret = op_ocsp_index(&env, a->out, &r, e);

    if (ret == SK_OK && a->output.format == CLI_FMT_JSON)
        ret = cli_json_print(json_pack("{s:s, s:I, s:I}", "path", r.path, "good",
                                       (json_int_t)r.good, "revoked", (json_int_t)r.revoked),
                             e);
    else if (ret == SK_OK)
        printf("OCSP index with %zu good and %zu revoked certificate(s) written to %s\n", r.good,
               r.revoked, r.path);
    return ret;
}
