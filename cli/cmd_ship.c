#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
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
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"order", required_argument, NULL, 'o'},
                                         {"waybill", required_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct ship_args *a = cli_args(cx, sizeof(*a), NULL);
    sk_err e;
    int c;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': cx->station_opt = optarg; break;
        case 'o': a->number = optarg; break;
        case 'w': a->waybill = optarg; break;
        case 'h': printf("usage: %s\n", usage); return CLI_DONE;
        default: return cli_usage_error(usage, "ship: bad option");
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
