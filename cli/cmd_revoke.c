#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_station.h"

static const char usage[] =
    "sealkey revoke --order NUMBER --reason REASON [--station DIR]\n"
    "  Revoke every certificate of an order that is not revoked yet: its issued token's\n"
    "  (lost or faulty token), one a reissue still in progress is replacing, and any signed\n"
    "  during an attempt that failed or was replaced but not revoked by an older sealkey.\n"
    "  Says how many. REASON is lost (keyCompromise), faulty (superseded), closed\n"
    "  (cessationOfOperation), affiliationChanged or unspecified. The next `sealkey crl`\n"
    "  lists them; `sealkey issue --reissue` then makes the replacement token.\n"
    "  Exit status: 3 bad reason, 4 nothing of the order left to revoke.";

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
    ledger_issuance *v = NULL;
    size_t n = 0;
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
        (ret = ledger_revoke(l, number, canonical, &v, &n, &e)) != SK_OK)
        goto out;
    /* The ledger has revoked them all in one transaction; each gets its audit record. */
    for (size_t i = 0; i < n; i++) {
        char detail[96];
        snprintf(detail, sizeof(detail), "%s (%s issuance %lld)", canonical,
                 iss_step_name(v[i].step), v[i].id);
        if ((ret = cli_audit(st, AUDIT_EV_REVOKED, number, v[i].token_serial, v[i].cert_serial, detail,
                             &e)) != SK_OK)
            goto out;
        printf("order %s: certificate serial %s (token %s, %s) revoked (%s)\n", number,
               v[i].cert_serial, v[i].token_serial[0] ? v[i].token_serial : "-",
               iss_step_name(v[i].step), canonical);
    }
    printf("order %s: %zu certificate(s) revoked; run sealkey crl to publish\n", number, n);
out:
    free(v);
    ledger_free(l);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
