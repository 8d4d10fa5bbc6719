#include <getopt.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_station.h"
#include "util/sk_file.h"
#include "util/sk_secret.h"

static const char usage[] =
    "sealkey crl [--station DIR] [--days N] [-o FILE] [--ca-pass SOURCE]\n"
    "  Issue a CRL signed by the issuing CA listing every revoked certificate in the ledger,\n"
    "  with a CRL number that never repeats and next update in N days (default 7). Written\n"
    "  as PEM to FILE (default ca/issuing.crl in the station), mode 0644.";

int cmd_crl(int argc, char **argv)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"days", required_argument, NULL, 'd'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"ca-pass", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *station = NULL, *out_path = NULL, *pass = NULL;
    long days = 7;
    station_config *st = NULL;
    ledger *l = NULL;
    cli_ca_env cae;
    ledger_issuance *rev = NULL;
    size_t n = 0;
    long long number = 0;
    X509_CRL *crl = NULL;
    BIO *b = NULL;
    cli_secrets *sec = NULL;
    char path[PATH_MAX];
    sk_err e;
    int c, ret;

    memset(&cae, 0, sizeof(cae));
    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 's': station = optarg; break;
        case 'o': out_path = optarg; break;
        case 'p': pass = optarg; break;
        case 'd':
            days = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || days < 1 || days > 366)
                return cli_usage_error(usage, "crl: --days takes 1 to 366");
            break;
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "crl: bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "crl: unexpected argument '%s'", argv[optind]);
    if ((ret = cli_operator_check(NULL, &e)) != SK_OK ||
        (ret = station_load(cli_station_dir(station), &st, &e)) != SK_OK ||
        (ret = cli_secrets_new(&sec, &e)) != SK_OK ||
        (ret = cli_station_secret(st, pass, st->ca_passphrase,
                                  st->ca_key_uri ? "CA HSM PIN" : "CA passphrase", false,
                                  sec->ca_secret, sizeof(sec->ca_secret), &e)) != SK_OK ||
        (ret = cli_ca_env_open(st, false, sec->ca_secret, &cae, &e)) != SK_OK)
        goto out;
    cli_secrets_free(sec);
    sec = NULL;
    if ((ret = cli_ledger_open(st, &l, &e)) != SK_OK ||
        (ret = ledger_revoked(l, ca_issuer_id(cae.ca), &rev, &n, &e)) != SK_OK ||
        (ret = ledger_next_crl_number(l, ca_issuer_id(cae.ca), &number, &e)) != SK_OK ||
        (ret = ca_make_crl(cae.ca, rev, n, number, (int)days, &crl, &e)) != SK_OK)
        goto out;
    if (out_path != NULL)
        snprintf(path, sizeof(path), "%s", out_path);
    else if ((ret = station_path(st, "ca/issuing.crl", path, sizeof(path), &e)) != SK_OK)
        goto out;
    char *pem = NULL;
    long len;
    if ((b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509_CRL(b, crl)) {
        ret = sk_err_ossl(&e, SK_ECRYPTO, "encoding the CRL");
        goto out;
    }
    len = BIO_get_mem_data(b, &pem);
    char detail[64];
    snprintf(detail, sizeof(detail), "CRL %lld, %zu revoked", number, n);
    if ((ret = sk_file_write_atomic(path, pem, (size_t)len, 0644, &e)) != SK_OK ||
        (ret = cli_audit(st, "crl_issued", NULL, NULL, NULL, detail, &e)) != SK_OK)
        goto out;
    printf("CRL number %lld with %zu revoked certificate(s) written to %s\n", number, n, path);
out:
    cli_secrets_free(sec);
    BIO_free(b);
    X509_CRL_free(crl);
    free(rev);
    ledger_free(l);
    cli_ca_env_close(&cae);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
