#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "issuer/operations/operations.h"

static const char usage[] =
    "sealkey ship --order NUMBER --waybill NUMBER [--station DIR]\n"
    "  Record the courier waybill of an issued order's parcel. It then appears in\n"
    "  `sealkey export status` and on the delivery note. A waybill is 8 to 32 characters\n"
    "  of A-Z and 0-9 (SF Express: SF followed by digits).";

struct ship_args {
    const char *number, *waybill;
};

int cmd_ship_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"order", required_argument, NULL, 'o'},
                                         {"waybill", required_argument, NULL, 'w'},
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct ship_args *a = cli_args(cx, sizeof(*a), NULL);
    sk_err e;
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': a->number = optarg; break;
        case 'w': a->waybill = optarg; break;
        default:
            if ((ret = cli_opt_common(cx, NULL, c, usage, "ship")) != SK_OK)
                return ret;
        }
    }
    if (optind != argc || a->number == NULL || a->waybill == NULL)
        return cli_usage_error(usage, "ship: --order and --waybill are required");
    if (op_ship_check(a->waybill, &e) != SK_OK)
        return cli_report(&e);
    return SK_OK;
}

int cmd_ship_run(cli_ctx *cx, sk_err *e)
{
    const struct ship_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    int ret = op_ship(&env, a->number, a->waybill, e);

    if (ret == SK_OK)
        printf("order %s: waybill %s recorded\n", a->number, a->waybill);
    return ret;
}
