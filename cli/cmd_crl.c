#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "cli/cli_secrets.h"
#include "issuer/issuance/issue_env.h"
#include "issuer/operations/operations.h"

static const char usage[] =
    "sealkey crl [--station DIR] [--days N] [-o FILE] [--publish DIR] [--ca-pass SOURCE]\n"
    "            [--json]\n"
    "  Issue the CRLs of the station's CA chain, each with a CRL number that never repeats\n"
    "  and next update in N days (default 7):\n"
    "  - the issuing CA's CRL, listing every revoked certificate in the ledger;\n"
    "  - the root's CRL (empty: no CA is revoked), signed with ca/root.key when the station\n"
    "    holds it, so that a verifier checking the whole chain (openssl verify\n"
    "    -crl_check_all) has a current CRL for the issuing CA too.\n"
    "  The station keeps them as PEM in ca/issuing.crl and ca/root.crl (what `seal verify\n"
    "  --station` reads). For the web server, --publish DIR (default DIR/crl in the station)\n"
    "  gets each as DER under the name its URL ends in (the projects' crl_url, and the issuing\n"
    "  CA certificate's CRL distribution point, from ca.root_crl_url), plus NAME.pem.\n"
    "  -o FILE  also write the issuing CA's CRL (PEM) to FILE. Files are mode 0644.\n"
    CLI_HELP_JSON "                    (CRL numbers, files written, names published, notices)";

struct crl_args {
    op_crl_opts o;
    cli_output out;
};

int cmd_crl_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"days", required_argument, NULL, 'd'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"publish", required_argument, NULL, 'P'},
                                         CLI_OPT_CA_PASS_ROW,
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct crl_args *a = cli_args(cx, sizeof(*a), NULL);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    a->o.days = 7;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        char *end = NULL;
        long days;
        switch (c) {
        case 'o': a->o.out_path = optarg; break;
        case 'P': a->o.publish_dir = optarg; break;
        case 'd':
            days = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || days < 1 || days > 366)
                return cli_usage_error(usage, "crl: --days takes 1 to 366");
            a->o.days = (int)days;
            break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "crl")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "crl")) != SK_OK)
        return ret;
    return cli_output_check(&a->out, CLI_FMT_TEXT, usage, "crl");
}

static void print_result(const station_config *st, const op_crl_opts *o, const op_crl_result *r)
{
    printf("CRL number %lld with %zu revoked certificate(s) written to %s/ca/issuing.crl%s%s\n",
           r->number, r->n_revoked, st->dir, o->out_path != NULL ? " and " : "",
           o->out_path != NULL ? o->out_path : "");
    if (r->root_crl)
        printf("root CRL number %lld written to %s/ca/root.crl\n", r->root_number, st->dir);
    else
        printf("notice: no root CRL: ca/root.key is not in this station; sign the root's CRL "
               "where the root key is kept\n");
    printf("published in %s:", r->publish_dir);
    for (size_t i = 0; i < r->names.n_issuing; i++)
        printf(" %s %s.pem", r->names.issuing[i], r->names.issuing[i]);
    if (r->root_crl)
        printf(" %s %s.pem", r->names.root, r->names.root);
    printf("\n");
    if (!r->names.issuing_ca_has_dp)
        printf("notice: the issuing CA certificate has no CRL distribution point (it predates "
               "ca.root_crl_url); a CA made by a new `sealkey ca init` carries one\n");
}

/* The same as fields: the files written, and the notices as their own keys. */
static json_t *result_json(const station_config *st, const op_crl_opts *o,
                           const op_crl_result *r)
{
    char issuing[PATH_MAX], root[PATH_MAX];
    json_t *names = json_array(), *root_crl = json_null();

    snprintf(issuing, sizeof(issuing), "%s/ca/issuing.crl", st->dir);
    snprintf(root, sizeof(root), "%s/ca/root.crl", st->dir);
    for (size_t i = 0; names != NULL && i < r->names.n_issuing; i++)
        json_array_append_new(names, json_string(r->names.issuing[i]));
    if (r->root_crl) {
        json_array_append_new(names, json_string(r->names.root));
        json_decref(root_crl);
        root_crl = json_pack("{s:I, s:s}", "number", (json_int_t)r->root_number, "file", root);
    }
    return json_pack("{s:{s:I, s:I, s:s, s:s?}, s:o, s:s, s:o, s:b, s:i}", "issuing_crl",
                     "number", (json_int_t)r->number, "revoked", (json_int_t)r->n_revoked,
                     "file", issuing, "output", o->out_path, "root_crl", root_crl,
                     "publish_dir", r->publish_dir, "published", names,
                     "issuing_ca_has_crl_dp", r->names.issuing_ca_has_dp, "next_update_days",
                     o->days);
}

int cmd_crl_run(cli_ctx *cx, sk_err *e)
{
    const struct crl_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_crl_result r;
    issue_ca_env cae;
    EVP_PKEY *root_key = NULL;
    int ret;

    if ((ret = issue_ca_open(cx->st, false, cx->secrets->ca_secret, &cae, e)) != SK_OK)
        return ret;
    if ((ret = ca_load_root_key(cx->st, cae.ca, cx->secrets->ca_secret, &root_key, e)) != SK_OK)
        goto out;
    cli_ctx_wipe(cx);
    if ((ret = op_crl(&env, cae.ca, root_key, &a->o, &r, e)) == SK_OK) {
        if (a->out.format == CLI_FMT_JSON)
            ret = cli_json_print(result_json(cx->st, &a->o, &r), e);
        else
            print_result(cx->st, &a->o, &r);
    }
out:
    EVP_PKEY_free(root_key);
    issue_ca_close(&cae);
    return ret;
}
