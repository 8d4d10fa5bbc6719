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
    "sealkey ca request [--station DIR] [--key-alg ec-p256|ec-p384|rsa-3072|sm2]\n"
    "                   [--ca-pass SOURCE] [--json]\n"
    "  A production station, whose CA root is kept offline by the CA: make the issuing CA key\n"
    "  (AES-256 encrypted DIR/ca/issuing.key, or on the HSM of ca.key_uri) and the seal\n"
    "  maker's SM2 key (DIR/ca/seal-maker.key), and a PKCS#10 request for each, signed by its\n"
    "  key: DIR/ca/issuing.csr for the CA's root (or policy CA) and DIR/ca/seal-maker.csr for\n"
    "  its SM2 seal root. Take them there, and install what comes back with sealkey ca import.\n"
    "  No root key is ever on the station. Refuses (exit 4) a station with a CA or a request.\n"
    "  --key-alg ALG     the issuing CA key (default ca.key_algorithm); sm2: an SM2 issuing\n"
    "                    CA (a key file, not on an HSM) whose request is SM2-with-SM3 with\n"
    "                    the SM2 ID 1234567812345678, for the CA's SM2 root\n"
    "  --ca-pass SOURCE  the new passphrase (asked twice at a prompt), or the CA HSM's PIN:\n"
    "                    env:NAME, file:PATH, fd:N or prompt (default: ca.passphrase)\n"
    CLI_HELP_JSON
    "                    ({\"key_algorithm\", \"issuing_key\",\n"
    "                    \"requests\": [{\"path\", \"for\"}]})";

struct request_args {
    const char *alg;
    sk_keyalg key_alg;
    cli_output out;
};

int cmd_ca_request_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"key-alg", required_argument, NULL, 'k'},
                                         CLI_OPT_CA_PASS_ROW,
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct request_args *a = cli_args(cx, sizeof(*a), NULL);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            a->alg = optarg;
            break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "ca request")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "ca request")) != SK_OK)
        return ret;
    return cli_output_check(&a->out, CLI_FMT_TEXT, usage, "ca request");
}

/* The key algorithm (the station's, or --key-alg) before the new passphrase is asked for. */
int cmd_ca_request_prepare(cli_ctx *cx, sk_err *e)
{
    struct request_args *a = cx->args;

    a->key_alg = cx->st->ca_key_alg;
    return a->alg != NULL ? sk_keyalg_parse(a->alg, &a->key_alg, e) : SK_OK;
}

/* The requests made, as the text lists them; issuing_key null when the CA's own system
 * keeps it (external signing). */
static int print_json(const station_config *st, sk_keyalg alg, sk_err *e)
{
    char issuing[PATH_MAX + 16], seal[PATH_MAX + 16];
    json_t *reqs;

    snprintf(issuing, sizeof(issuing), "%s/ca/issuing.csr", st->dir);
    snprintf(seal, sizeof(seal), "%s/ca/seal-maker.csr", st->dir);
    reqs = json_pack("[{s:s, s:s}]", "path", seal, "for", "the CA's SM2 seal root");
    if (reqs != NULL && !st->ca_external)
        json_array_insert_new(reqs, 0, json_pack("{s:s, s:s}", "path", issuing, "for",
                                                 "the CA's root"));
    return cli_json_print(json_pack("{s:s?, s:s?, s:o}", "key_algorithm",
                                    st->ca_external ? NULL : sk_keyalg_name(alg), "issuing_key",
                                    st->ca_external ? NULL : st->ca_key_uri ? "hsm" : "file",
                                    "requests", reqs),
                          e);
}

int cmd_ca_request_run(cli_ctx *cx, sk_err *e)
{
    const struct request_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    tok_module *hsm = NULL;
    int ret;

    if ((ret = cmd_ca_hsm_open(cx->st, &hsm, e)) != SK_OK ||
        (ret = op_ca_request(&env, a->key_alg, cx->secrets->ca_secret, hsm, e)) != SK_OK)
        goto out;
    cli_ctx_wipe(cx);
    if (a->out.format == CLI_FMT_JSON) {
        ret = print_json(cx->st, a->key_alg, e);
        goto out;
    }
    if (cx->st->ca_external) {
        printf("external signing (ca.signing): the CA's own system keeps the issuing key; made "
               "the seal maker's SM2 key; request to sign:\n"
               "  %s/ca/seal-maker.csr  for the CA's SM2 seal root\n"
               "then: sealkey ca import --cert FILE --root FILE --seal-cert FILE --seal-root "
               "FILE\n",
               cx->st->dir);
        goto out;
    }
    printf("made the %s issuing CA key%s and the seal maker's SM2 key; requests to sign:\n"
           "  %s/ca/issuing.csr     for the CA's root\n"
           "  %s/ca/seal-maker.csr  for the CA's SM2 seal root\n"
           "then: sealkey ca import --cert FILE --root FILE --seal-cert FILE --seal-root FILE\n",
           sk_keyalg_name(a->key_alg), cx->st->ca_key_uri ? " on the HSM" : "", cx->st->dir,
           cx->st->dir);
out:
    tok_module_free(hsm);
    return ret;
}
