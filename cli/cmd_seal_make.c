#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_secrets.h"
#include "issuer/operations/operations.h"
#include "util/sk_problems.h"

static const char usage[] =
    "sealkey seal make --orders FILE --order NUMBER --kind official|legal-rep\n"
    "                  [--picture PNG] [-o OUT.esl] [--station DIR] [--ca-pass SOURCE]\n"
    "  Build and sign (SM2-with-SM3, the CA's seal maker) the GB/T 38540 v4 seal of an\n"
    "  issued order: a fresh esID recorded in the ledger, type 1 (official: name = unit\n"
    "  name) or 5 (legal-rep: name = legal representative), certList = the order's\n"
    "  certificate, validity = the certificate's, ExtData USCC+unit name. The picture is\n"
    "  the order's scan through the seal-picture pipeline, or --picture PNG.\n"
    "  Writes OUT.esl (default out/ORDER/KIND-ESID.esl in the station), mode 0644.";

struct make_args {
    const char *orders, *number, *kind, *picture, *out;
    order_file *of;
    sk_problems probs;
    op_seal seal;
};

static void make_args_free(void *p)
{
    struct make_args *a = p;

    op_seal_clear(&a->seal);
    sk_problems_free(&a->probs);
    order_file_free(a->of);
}

int cmd_seal_make_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"orders", required_argument, NULL, 'f'},
                                         {"order", required_argument, NULL, 'n'},
                                         {"kind", required_argument, NULL, 'k'},
                                         {"picture", required_argument, NULL, 'p'},
                                         {"output", required_argument, NULL, 'o'},
                                         CLI_OPT_CA_PASS_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct make_args *a = cli_args(cx, sizeof(*a), make_args_free);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    sk_problems_init(&a->probs);
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'f': a->orders = optarg; break;
        case 'n': a->number = optarg; break;
        case 'k': a->kind = optarg; break;
        case 'p': a->picture = optarg; break;
        case 'o': a->out = optarg; break;
        default:
            if ((ret = cli_opt_common(cx, NULL, c, usage, "seal make")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "seal make")) != SK_OK)
        return ret;
    if (a->orders == NULL || a->number == NULL || a->kind == NULL)
        return cli_usage_error(usage, "seal make: --orders, --order and --kind are required");
    if (strcmp(a->kind, "official") != 0 && strcmp(a->kind, "legal-rep") != 0)
        return cli_usage_error(usage, "seal make: --kind is official or legal-rep, not '%s'",
                               a->kind);
    return SK_OK;
}

/* The order, its live certificate and the picture, before the CA secret is read. */
int cmd_seal_make_prepare(cli_ctx *cx, sk_err *e)
{
    struct make_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    const order *o;
    int ret;

    if ((ret = order_file_load(a->orders, &a->of, &a->probs, e)) != SK_OK)
        return ret;
    if ((o = order_file_find(a->of, a->number)) == NULL)
        return sk_err_set(e, SK_EINPUT, "%s: no order %s in the file", a->orders, a->number);
    return op_seal_prepare(&env, o, a->kind, a->picture, &a->seal, e);
}

int cmd_seal_make_run(cli_ctx *cx, sk_err *e)
{
    struct make_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    sealmaker *maker = NULL;
    char dir[PATH_MAX];
    int ret;

    if ((ret = station_path(cx->st, "ca", dir, sizeof(dir), e)) != SK_OK ||
        (ret = sealmaker_open(dir, cx->secrets->ca_secret, &maker, e)) != SK_OK)
        goto out;
    cli_ctx_wipe(cx);
    if ((ret = op_seal_make(&env, &a->seal, maker, a->out, e)) != SK_OK)
        goto out;
    printf("seal %s (%s) for order %s written to %s\n", a->seal.seal.es_id, a->seal.seal.kind,
           a->seal.o->number, a->seal.path);
out:
    sealmaker_free(maker);
    return ret;
}
