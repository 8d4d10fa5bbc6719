#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_station.h"

static const char usage[] =
    "sealkey revoke --order NUMBER --reason REASON [--station DIR]\n"
    "  Revoke the certificate of an order's issued token (lost or faulty token). REASON is\n"
    "  lost (keyCompromise), faulty (superseded), closed (cessationOfOperation),\n"
    "  affiliationChanged or unspecified. The next `sealkey crl` lists it; `sealkey issue\n"
    "  --reissue` then makes the replacement token.";

int cmd_revoke(int argc, char **argv)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"order", required_argument, NULL, 'o'},
                                         {"reason", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *station = NULL, *number = NULL, *reason = NULL, *canonical = NULL;
    station_config *st = NULL;
    ledger *l = NULL;
    ledger_issuance r;
    bool found = false;
    sk_err e;
    int c, ret;

    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': station = optarg; break;
        case 'o': number = optarg; break;
        case 'r': reason = optarg; break;
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "revoke: bad option");
        }
    }
    if (optind != argc || number == NULL || reason == NULL)
        return cli_usage_error(usage, "revoke: --order and --reason are required");
    if ((ret = ca_revocation_reason(reason, &canonical, &e)) != SK_OK ||
        (ret = cli_operator_check(NULL, &e)) != SK_OK ||
        (ret = station_load(cli_station_dir(station), &st, &e)) != SK_OK ||
        (ret = cli_ledger_open(st, &l, &e)) != SK_OK ||
        (ret = ledger_revoke(l, number, canonical, &e)) != SK_OK ||
        (ret = ledger_latest(l, number, &r, &found, &e)) != SK_OK ||
        (ret = cli_audit(st, "revoked", number, r.token_serial, r.cert_serial, canonical, &e)) !=
            SK_OK)
        goto out;
    printf("order %s revoked (%s): certificate serial %s, token %s; run sealkey crl to publish\n",
           number, canonical, r.cert_serial, r.token_serial);
out:
    ledger_free(l);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
