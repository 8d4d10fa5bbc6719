#include <getopt.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_secrets.h"
#include "cli/cmd_ca.h"
#include "issuer/ca/ca_pki.h"
#include "issuer/operations/operations.h"
#include "seal/sealmaker_request.h"

static const char usage[] =
    "sealkey ca import [--station DIR] --cert FILE --root FILE\n"
    "                  [--seal-cert FILE --seal-root FILE] [--ca-pass SOURCE]\n"
    "  Install the certificates the CA signed for sealkey ca request, after checking them:\n"
    "  --cert   the issuing CA certificate: its key must be the station's (the request's, and\n"
    "           the key file or HSM key, checked with --ca-pass), basicConstraints CA:TRUE\n"
    "           (critical), keyUsage keyCertSign and cRLSign, signed by --root directly and\n"
    "           verifying against it alone now;\n"
    "  --root   the CA's root certificate (self-signed), as you got it from the CA, out of band;\n"
    "  --seal-cert, --seal-root  the seal maker certificate for ca/seal-maker.csr and the SM2\n"
    "           seal root that signed it (SM2 with SM3, ID 1234567812345678).\n"
    "  Either pair may be imported later, on its own. The station then has root.crt,\n"
    "  issuing.crt, chain.pem (and seal-maker.crt, seal-root.crt) and no root key. A\n"
    "  certificate that fails a check is refused, naming it and the reason (exit 7).";

int cmd_ca_import_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"cert", required_argument, NULL, 'c'},
                                         {"root", required_argument, NULL, 'r'},
                                         {"seal-cert", required_argument, NULL, 'C'},
                                         {"seal-root", required_argument, NULL, 'R'},
                                         {"ca-pass", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    ca_import_files *f = cli_args(cx, sizeof(*f), NULL);
    int c;

    if (f == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': cx->station_opt = optarg; break;
        case 'c': f->cert = optarg; break;
        case 'r': f->root = optarg; break;
        case 'C': f->seal_cert = optarg; break;
        case 'R': f->seal_root = optarg; break;
        case 'p': cx->ca_pass_opt = optarg; break;
        case 'h': printf("usage: %s\n", usage); return CLI_DONE;
        default: return cli_usage_error(usage, "ca import: bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "ca import: unexpected argument '%s'", argv[optind]);
    if ((f->cert == NULL) != (f->root == NULL))
        return cli_usage_error(usage, "ca import: --cert and --root go together");
    if ((f->seal_cert == NULL) != (f->seal_root == NULL))
        return cli_usage_error(usage, "ca import: --seal-cert and --seal-root go together");
    if (f->cert == NULL && f->seal_cert == NULL)
        return cli_usage_error(usage, "ca import: nothing to import (--cert, --seal-cert)");
    return SK_OK;
}

int cmd_ca_import_run(cli_ctx *cx, sk_err *e)
{
    const ca_import_files *f = cx->args;
    op_env env = CLI_OP_ENV(cx);
    tok_module *hsm = NULL;
    int ret;

    if ((ret = cmd_ca_hsm_open(cx->st, &hsm, e)) != SK_OK ||
        (ret = op_ca_import(&env, f, cx->secrets->ca_secret, hsm, e)) != SK_OK)
        goto out;
    cli_ctx_wipe(cx);
    if (f->cert != NULL)
        printf("installed the issuing CA certificate in %s/ca (root.crt, issuing.crt, "
               "chain.pem); no root key on this station\n", cx->st->dir);
    if (f->seal_cert != NULL)
        printf("installed the seal maker certificate in %s/ca (seal-maker.crt, "
               "seal-root.crt)\n", cx->st->dir);
out:
    tok_module_free(hsm);
    return ret;
}

static void show_req(const station_config *st, const char *name)
{
    char path[PATH_MAX], subject[512];
    sk_err e;
    FILE *f;
    X509_REQ *req = NULL;

    if (station_path(st, name, path, sizeof(path), &e) != SK_OK || (f = fopen(path, "r")) == NULL)
        return;
    req = PEM_read_X509_REQ(f, NULL, NULL, NULL);
    fclose(f);
    if (req == NULL)
        return;
    X509_NAME_oneline(X509_REQ_get_subject_name(req), subject, sizeof(subject));
    printf("  %-18s %s\n", name, subject);
    X509_REQ_free(req);
}

int cmd_ca_show_mode(const station_config *st, sk_err *e)
{
    ca_mode_info m;
    int ret;

    if ((ret = ca_mode_get(st, &m, e)) != SK_OK)
        return ret;
    switch (m.mode) {
    case CA_MODE_DEMO:
        printf("mode: demo (sealkey ca init: the root key ca/root.key is on this station; for "
               "demos and tests)\n");
        break;
    case CA_MODE_PRODUCTION:
        printf("mode: production (issuing CA signed by the CA's own root; no root key on this "
               "station)\n");
        break;
    case CA_MODE_EXTERNAL:
        printf("mode: external (ca.signing: the CA's own system signs the tokens' "
               "certificates; no CA key on this station)\n");
        break;
    case CA_MODE_REQUESTED:
        printf("mode: requested (waiting for sealkey ca import; requests:)\n");
        show_req(st, "ca/" CA_ISSUING_CSR);
        show_req(st, "ca/" CA_SEALMAKER_CSR);
        return CLI_DONE;
    case CA_MODE_NONE:
        return sk_err_set(e, SK_EINPUT, "no CA in this station (run sealkey ca request, or ca "
                          "init for a demo)");
    }
    if (m.seal_requested)
        printf("seal maker: requested, waiting for sealkey ca import --seal-cert\n");
    else if (!m.seal_root_key)
        printf("seal maker: imported (no seal root key on this station)\n");
    return SK_OK;
}
