#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_station.h"

static const char usage[] =
    "sealkey ship --order NUMBER --waybill NUMBER [--station DIR]\n"
    "  Record the courier waybill of an issued order's parcel. It then appears in\n"
    "  `sealkey export status` and on the delivery note. A waybill is 8 to 32 characters\n"
    "  of A-Z and 0-9 (SF Express: SF followed by digits).";

static bool waybill_ok(const char *w)
{
    size_t n = strlen(w);

    if (n < 8 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)w[i]) && !(w[i] >= 'A' && w[i] <= 'Z'))
            return false;
    return true;
}

int cmd_ship(int argc, char **argv)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"order", required_argument, NULL, 'o'},
                                         {"waybill", required_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *station = NULL, *number = NULL, *waybill = NULL;
    station_config *st = NULL;
    ledger *l = NULL;
    sk_err e;
    int c, ret;

    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': station = optarg; break;
        case 'o': number = optarg; break;
        case 'w': waybill = optarg; break;
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "ship: bad option");
        }
    }
    if (optind != argc || number == NULL || waybill == NULL)
        return cli_usage_error(usage, "ship: --order and --waybill are required");
    if (!waybill_ok(waybill)) {
        sk_err_set(&e, SK_EINPUT, "waybill '%s': expected 8 to 32 characters of A-Z and 0-9",
                   waybill);
        return cli_report(&e);
    }
    if ((ret = cli_operator_check(NULL, &e)) != SK_OK ||
        (ret = station_load(cli_station_dir(station), &st, &e)) != SK_OK ||
        (ret = cli_ledger_open(st, &l, &e)) != SK_OK ||
        (ret = ledger_set_waybill(l, number, waybill, &e)) != SK_OK ||
        (ret = cli_audit(st, AUDIT_EV_SHIPPED, number, NULL, NULL, waybill, &e)) != SK_OK)
        goto out;
    printf("order %s: waybill %s recorded\n", number, waybill);
out:
    ledger_free(l);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
