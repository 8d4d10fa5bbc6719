#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "cli/cli_secrets.h"
#include "cli/cmd_ca.h"
#include "issuer/operations/operations.h"

static const char usage[] =
    "sealkey ca import [--station DIR] --cert FILE [--chain FILE] --root FILE\n"
    "                  [--seal-cert FILE --seal-root FILE] [--ca-pass SOURCE] [--json]\n"
    "  Install the certificates the CA signed for sealkey ca request, after checking them:\n"
    "  --cert   the issuing CA certificate: its key must be the station's (the request's, and\n"
    "           the key file or HSM key, checked with --ca-pass), basicConstraints CA:TRUE\n"
    "           (critical), keyUsage keyCertSign and cRLSign, signed by --root directly or\n"
    "           through the policy CAs of --chain, and verifying against --root alone now;\n"
    "           a PEM bundle (the issuing CA first, then its policy CAs) stands for --chain;\n"
    "  --chain  the policy CA certificate(s) between the issuing CA and the root (PEM, any\n"
    "           order): each a CA as above whose pathlen leaves room for the CAs below it,\n"
    "           each signed by the next, all on the path; chain.pem, every token and\n"
    "           out/ORDER/chain.pem then carry them;\n"
    "  --root   the CA's root certificate (self-signed), as you got it from the CA, out of band;\n"
    "  --seal-cert, --seal-root  the seal maker certificate for ca/seal-maker.csr and the SM2\n"
    "           seal root that signed it (SM2 with SM3, ID 1234567812345678).\n"
    "  Either pair may be imported later, on its own. The station then has root.crt,\n"
    "  issuing.crt, chain.pem (and seal-maker.crt, seal-root.crt) and no root key. A\n"
    "  certificate that fails a check is refused, naming it and the reason (exit 7).\n"
    CLI_HELP_JSON "                    ({\"ca_dir\", \"installed\": the files written})";

struct import_args {
    ca_import_files f;
    cli_output out;
};

int cmd_ca_import_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"cert", required_argument, NULL, 'c'},
                                         {"root", required_argument, NULL, 'r'},
                                         {"chain", required_argument, NULL, 'P'},
                                         {"seal-cert", required_argument, NULL, 'C'},
                                         {"seal-root", required_argument, NULL, 'R'},
                                         CLI_OPT_CA_PASS_ROW,
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct import_args *a = cli_args(cx, sizeof(*a), NULL);
    ca_import_files *f = a != NULL ? &a->f : NULL;
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            f->cert = optarg;
            break;
        case 'r':
            f->root = optarg;
            break;
        case 'P':
            f->chain = optarg;
            break;
        case 'C':
            f->seal_cert = optarg;
            break;
        case 'R':
            f->seal_root = optarg;
            break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "ca import")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "ca import")) != SK_OK)
        return ret;
    if ((f->cert == NULL) != (f->root == NULL))
        return cli_usage_error(usage, "ca import: --cert and --root go together");
    if (f->chain != NULL && f->cert == NULL)
        return cli_usage_error(usage, "ca import: --chain goes with --cert and --root");
    if ((f->seal_cert == NULL) != (f->seal_root == NULL))
        return cli_usage_error(usage, "ca import: --seal-cert and --seal-root go together");
    if (f->cert == NULL && f->seal_cert == NULL)
        return cli_usage_error(usage, "ca import: nothing to import (--cert, --seal-cert)");
    return cli_output_check(&a->out, CLI_FMT_TEXT, usage, "ca import");
}

/* The files the text names, under ca/ of the station. */
static int print_json(const char *dir, const ca_import_files *f, sk_err *e)
{
    static const char *const ca_files[] = {"root.crt", "issuing.crt", "chain.pem"};
    static const char *const seal_files[] = {"seal-maker.crt", "seal-root.crt"};
    char ca_dir[PATH_MAX + 4];
    json_t *files = json_array();

    snprintf(ca_dir, sizeof(ca_dir), "%s/ca", dir);
    for (size_t i = 0; files != NULL && f->cert != NULL && i < 3; i++)
        json_array_append_new(files, json_string(ca_files[i]));
    for (size_t i = 0; files != NULL && f->seal_cert != NULL && i < 2; i++)
        json_array_append_new(files, json_string(seal_files[i]));
    return cli_json_print(json_pack("{s:s, s:o}", "ca_dir", ca_dir, "installed", files), e);
}

int cmd_ca_import_run(cli_ctx *cx, sk_err *e)
{
    const struct import_args *a = cx->args;
    const ca_import_files *f = &a->f;
    op_env env = CLI_OP_ENV(cx);
    tok_module *hsm = NULL;
    int ret;

    if ((ret = cmd_ca_hsm_open(cx->st, &hsm, e)) != SK_OK ||
        (ret = op_ca_import(&env, f, cx->secrets->ca_secret, hsm, e)) != SK_OK)
        goto out;
    cli_ctx_wipe(cx);
    if (a->out.format == CLI_FMT_JSON) {
        ret = print_json(cx->st->dir, f, e);
        goto out;
    }
    if (f->cert != NULL)
        printf("installed the issuing CA certificate in %s/ca (root.crt, issuing.crt, "
               "chain.pem); no root key on this station\n",
               cx->st->dir);
    if (f->seal_cert != NULL)
        printf("installed the seal maker certificate in %s/ca (seal-maker.crt, "
               "seal-root.crt)\n",
               cx->st->dir);
out:
    tok_module_free(hsm);
    return ret;
}
