/* sealkey seal sign: a GB/T 38540 document signature (SES_Signature) over a file. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "cli/cli_secrets.h"
#include "issuer/operations/op_seal_sign.h"

static const char usage[] =
    "sealkey seal sign --seal SEAL.esl --cert CERT.pem --key KEY --in DOC --out SIG\n"
    "                  [--key-pass SOURCE] [--module PATH] [--property TEXT] [--json]\n"
    "  Sign the file DOC with the seal holder's SM2 key and its seal: a GB/T 38540 v4\n"
    "  SES_Signature whose toSign holds the seal unchanged, the time, the SM3 hash of DOC's\n"
    "  bytes and TEXT; signed SM2-with-SM3 with the SM2 ID 1234567812345678 over DER(toSign).\n"
    "  CERT must hold an SM2 key and be in the seal's certList (the seal's holder signs).\n"
    "  Writes SIG (DER, mode 0644), never over an existing file; check it with\n"
    "  sealkey seal verify SIG --doc DOC [--station DIR].\n"
    "  --key KEY          a PKCS#8 PEM key file (encrypted), or a pkcs11: URI (RFC 7512,\n"
    "                     object= or id=) of a token key, with --module;\n"
    "                     or skf:DEVICE/APPLICATION/CONTAINER: the signing key of a\n"
    "                     container on an SKF device (DEVICE: its name or serial; a token\n"
    "                     sealkey made is skf:SERIAL/SEALKEY/sign), with --module\n"
    "  --key-pass SOURCE  the key file's passphrase, or the token's user PIN: env:NAME,\n"
    "                     file:PATH, fd:N or prompt (default). Never the secret itself.\n"
    "  --module PATH      the PKCS#11 module of a pkcs11: key (PKCS#11 tokens have no SM2\n"
    "                     mechanism), or the vendor's SKF library of an skf: key\n"
    "  --property TEXT    propertyInfo, 1..255 printable ASCII (default: DOC's file name)\n"
    CLI_HELP_JSON
    "                    ({\"document\", \"signature\", \"seal_id\", \"time\", ...})\n"
    "exit status: 0 signed; 3 a file is unreadable or not what it should be, the certificate\n"
    "  is not in the seal's certList, the key is not SM2; 4 SIG exists; 6 wrong passphrase or\n"
    "  PIN; 7 the key is not the certificate's; 2 bad command line";

struct sign_args {
    op_sign_req req;
    const char *pass_src;
    op_sign st;
    cli_output out;
};

static void sign_args_free(void *p)
{
    op_seal_sign_clear(&((struct sign_args *)p)->st);
}

int cmd_seal_sign_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {
        {"seal", required_argument, NULL, 'S'},   {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},    {"in", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},    {"key-pass", required_argument, NULL, 'p'},
        {"module", required_argument, NULL, 'm'}, {"property", required_argument, NULL, 'P'},
        CLI_OPT_JSON_ROW,                         CLI_OPT_HELP_ROW,
        {NULL, 0, NULL, 0}};
    struct sign_args *a = cli_args(cx, sizeof(*a), sign_args_free);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'S':
            a->req.seal_path = optarg;
            break;
        case 'c':
            a->req.cert_path = optarg;
            break;
        case 'k':
            a->req.key = optarg;
            break;
        case 'i':
            a->req.doc_path = optarg;
            break;
        case 'o':
            a->req.out_path = optarg;
            break;
        case 'p':
            a->pass_src = optarg;
            break;
        case 'm':
            a->req.module = optarg;
            break;
        case 'P':
            a->req.property = optarg;
            break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "seal sign")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "seal sign")) != SK_OK)
        return ret;
    if (a->req.seal_path == NULL || a->req.cert_path == NULL || a->req.key == NULL ||
        a->req.doc_path == NULL || a->req.out_path == NULL)
        return cli_usage_error(usage,
                               "seal sign: --seal, --cert, --key, --in and --out are required");
    if (strncmp(a->req.key, "pkcs11:", 7) == 0 && a->req.module == NULL)
        return cli_usage_error(usage, "seal sign: a pkcs11: key needs --module PATH");
    if (strncmp(a->req.key, "skf:", 4) == 0 && a->req.module == NULL)
        return cli_usage_error(usage, "seal sign: an skf: key needs --module PATH (the SKF "
                               "library)");
    return cli_output_check(&a->out, CLI_FMT_TEXT, usage, "seal sign");
}

int cmd_seal_sign_run(cli_ctx *cx, sk_err *e)
{
    struct sign_args *a = cx->args;
    bool token = strncmp(a->req.key, "pkcs11:", 7) == 0 || strncmp(a->req.key, "skf:", 4) == 0;
    const char *what = token ? "token user PIN" : "key passphrase";
    cli_secrets *sec = NULL;
    sk_secret_src src;
    sk_secret_notice notice;
    const op_sign_result *res = &a->st.res;
    int ret;

    /* The files first: a bad one must not cost a PIN try (or a prompt). */
    if ((ret = op_seal_sign_prepare(&a->req, &a->st, e)) != SK_OK)
        goto out;
    /* The secret in locked memory, wiped as soon as the key is open and the signature made. */
    if ((ret = cli_secrets_new(&sec, e)) != SK_OK ||
        (ret = sk_secret_src_parse(a->pass_src != NULL ? a->pass_src : "prompt", "--key-pass", &src,
                                   e)) != SK_OK ||
        (ret = sk_secret_read_notice(&src, NULL, what, false, sec->user_pin, sizeof(sec->user_pin),
                                     &notice, e)) != SK_OK)
        goto out;
    if (notice.exposed)
        fprintf(stderr,
                "sealkey: warning: %s file %s is readable by group or others (mode %04o); "
                "run chmod go-rwx '%s'\n",
                what, notice.path, notice.mode, notice.path);
    a->req.secret = sec->user_pin;
    ret = op_seal_sign(&a->st, e);
    a->req.secret = NULL;
    cli_secrets_free(sec);
    sec = NULL;
    if (ret != SK_OK)
        goto out;
    if (a->out.format == CLI_FMT_JSON) {
        ret = cli_json_print(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "document",
                                       a->req.doc_path, "signature", a->req.out_path, "seal_id",
                                       res->es_id, "format", "SES_Signature v4", "time",
                                       res->time, "property", res->property, "signer",
                                       res->signer),
                             e);
        goto out;
    }
    printf("signed %s with seal %s: %s (SES_Signature v4, SM2-with-SM3, time %s, property "
           "'%s', signer %s)\n",
           a->req.doc_path, res->es_id, a->req.out_path, res->time, res->property, res->signer);
out:
    cli_secrets_free(sec);
    return ret;
}
