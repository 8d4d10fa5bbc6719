#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "util/sk_file.h"
#include "issuer/operations/operations.h"

static const char usage[] =
    "sealkey csr-export [--station DIR] [-o|--output DIR2] [--json]\n"
    "  External signing (ca.signing \"external\" in station.json; docs/pki.md): write every\n"
    "  request the ledger holds for an order waiting for its certificate, one PKCS#10 file\n"
    "  per order signed by its token's key (DIR2/ORDER.csr), and DIR2/manifest.json listing\n"
    "  them (order, file, SHA-256, subject, token serial, key algorithm). Default DIR2:\n"
    "  DIR/requests. Take them to the CA's own system; sealkey cert-import finishes the\n"
    "  tokens with the certificates that come back.\n"
    "  -o, --output DIR2  where to write them (--out is the same)\n"
    CLI_HELP_JSON "                    ({\"dir\", \"manifest\", \"count\", \"requests\": the\n"
    "                    manifest's list})";

struct csr_args {
    const char *out;
    cli_output output;
};

/* The result, with the manifest's list of requests (just written, by us) in it. */
static int print_json(const op_csr_result *r, sk_err *e)
{
    char path[PATH_MAX];
    json_t *manifest;
    json_error_t jerr;
    int ret;

    if ((ret = sk_path_join(path, sizeof(path), r->dir, "manifest.json", e)) != SK_OK)
        return ret;
    if ((manifest = json_load_file(path, 0, &jerr)) == NULL)
        return sk_err_set(e, SK_EIO, "%s: cannot read it back: %s", path, jerr.text);
    ret = cli_json_print(json_pack("{s:s, s:s, s:I, s:O}", "dir", r->dir, "manifest", path,
                                   "count", (json_int_t)r->n, "requests",
                                   json_object_get(manifest, "requests")),
                         e);
    json_decref(manifest);
    return ret;
}

int cmd_csr_export_parse(int argc, char **argv, cli_ctx *cx)
{
    struct csr_args *a = cli_args(cx, sizeof(*a), NULL);

    if (a == NULL)
        return SK_OK;
    return cli_parse_out_json(argc, argv, cx, usage, "csr-export", &a->out, &a->output);
}

int cmd_csr_export_run(cli_ctx *cx, sk_err *e)
{
    const struct csr_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_csr_result r;
    int ret = op_csr_export(&env, a->out, &r, e);

    if (ret == SK_OK && a->output.format == CLI_FMT_JSON)
        ret = print_json(&r, e);
    else if (ret == SK_OK)
        printf("%zu request(s) waiting for certificates written to %s (manifest.json)\n", r.n,
               r.dir);
    return ret;
}
