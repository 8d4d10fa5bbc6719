#include <getopt.h>
#include <limits.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_station.h"
#include "issuer/ca_util.h"
#include "util/sk_secret.h"

static const char usage[] =
    "sealkey ca init [--station DIR] [--key-alg ec-p256|ec-p384|rsa-3072] [--ca-pass SOURCE]\n"
    "                [--root-days N] [--issuing-days N]\n"
    "       sealkey ca show [--station DIR]\n"
    "  init  create the station's root CA and issuing CA in DIR/ca. Refuses (exit 4) if any\n"
    "        CA file exists; under a lock on DIR/ca.lock, so of two inits at once one wins.\n"
    "        Keys are AES-256 encrypted PEM files (0600) under the CA passphrase; with\n"
    "        ca.key_uri in station.json the issuing key is generated on that HSM token and\n"
    "        the passphrase is its user PIN.\n"
    "  show  print the CA certificates' subjects, serials, validity and key ids.\n"
    "  --ca-pass SOURCE  where the passphrase comes from: env:NAME, file:PATH, fd:N or prompt\n"
    "                    (default: ca.passphrase in station.json). Never the secret itself.\n"
    "  --root-days N     validity of the root CA, 1..36500 days (default 7300)\n"
    "  --issuing-days N  validity of the issuing CA, 1..root days (default 3650); certificates\n"
    "                    it issues are capped at its end (docs/station.md, validity_days)";

static int ca_init_cmd(int argc, char **argv)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"key-alg", required_argument, NULL, 'k'},
                                         {"ca-pass", required_argument, NULL, 'p'},
                                         {"root-days", required_argument, NULL, 'r'},
                                         {"issuing-days", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *station = NULL, *alg = NULL, *pass_src = NULL;
    station_config *st = NULL;
    tok_module *hsm = NULL;
    cli_secrets *sec = NULL;
    ca_init_opts o = {.root_days = 7300, .issuing_days = 3650};
    sk_err e;
    int c, ret;

    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': station = optarg; break;
        case 'k': alg = optarg; break;
        case 'p': pass_src = optarg; break;
        case 'r':
        case 'i': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || v < 1 || v > 36500)
                return cli_usage_error(usage, "ca init: --%s takes 1 to 36500, not '%s'",
                                       c == 'r' ? "root-days" : "issuing-days", optarg);
            *(c == 'r' ? &o.root_days : &o.issuing_days) = (int)v;
            break;
        }
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "ca init: bad option");
        }
    }
    if (o.issuing_days > o.root_days)
        return cli_usage_error(usage,
                               "ca init: --issuing-days %d exceeds the root's %d days: the "
                               "issuing CA cannot outlive its root",
                               o.issuing_days, o.root_days);
    if (optind != argc)
        return cli_usage_error(usage, "ca init: unexpected argument '%s'", argv[optind]);
    if ((ret = cli_operator_check(NULL, &e)) != SK_OK ||
        (ret = station_load(cli_station_dir(station), &st, &e)) != SK_OK)
        goto out;
    o.key_alg = st->ca_key_alg;
    if (alg != NULL && (ret = sk_keyalg_parse(alg, &o.key_alg, &e)) != SK_OK)
        goto out;
    if ((ret = cli_secrets_new(&sec, &e)) != SK_OK ||
        (ret = cli_station_secret(st, pass_src, st->ca_passphrase,
                                  st->ca_key_uri ? "CA HSM PIN" : "new CA passphrase",
                                  st->ca_key_uri == NULL, sec->ca_secret, sizeof(sec->ca_secret),
                                  &e)) != SK_OK)
        goto out;
    if ((ret = cli_ca_hsm_open(st, &hsm, &e)) != SK_OK)
        goto out;
    if ((ret = ca_init(st, &o, sec->ca_secret, hsm, &e)) != SK_OK ||
        (ret = cli_audit(st, AUDIT_EV_CA_INIT, NULL, NULL, NULL, sk_keyalg_name(o.key_alg), &e)) != SK_OK)
        goto out;
    printf("created %s CA in %s/ca (root.crt, issuing.crt, chain.pem)%s\n",
           sk_keyalg_name(o.key_alg), st->dir,
           st->ca_key_uri ? "; issuing key on the HSM" : "");
out:
    cli_secrets_free(sec);
    tok_module_free(hsm);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}

static void show_cert(const char *what, X509 *cert)
{
    char subject[512], nb[32], na[32], ski[128];
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *serial = bn ? BN_bn2hex(bn) : NULL;

    X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
    cau_asn1_iso(X509_get0_notBefore(cert), nb, sizeof(nb));
    cau_asn1_iso(X509_get0_notAfter(cert), na, sizeof(na));
    cau_ski_hex(cert, ski, sizeof(ski));
    printf("%s:\n  subject  %s\n  serial   %s\n  valid    %s .. %s\n  key id   %s\n", what, subject,
           serial ? serial : "?", nb, na, ski);
    char *dp = cau_crl_dp(cert);
    if (dp != NULL)
        printf("  CRL DP   %s\n", dp);
    OPENSSL_free(dp);
    OPENSSL_free(serial);
    BN_free(bn);
}

static int ca_show_cmd(int argc, char **argv)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *station = NULL;
    station_config *st = NULL;
    X509 *certs[3] = {NULL, NULL, NULL};
    static const char *const names[] = {"root.crt", "issuing.crt"};
    char path[PATH_MAX];
    sk_err e;
    int c, ret = SK_OK;

    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': station = optarg; break;
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "ca show: bad option");
        }
    }
    if ((ret = station_load(cli_station_dir(station), &st, &e)) != SK_OK)
        goto out;
    for (int i = 0; i < 2; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "ca/%s", names[i]);
        if ((ret = station_path(st, rel, path, sizeof(path), &e)) != SK_OK)
            goto out;
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            ret = sk_err_set(&e, SK_EINPUT, "%s: cannot open (run sealkey ca init)", path);
            goto out;
        }
        certs[i] = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        if (certs[i] == NULL) {
            ret = sk_err_ossl(&e, SK_EINPUT, "%s: not a PEM certificate", path);
            goto out;
        }
        show_cert(i == 0 ? "root CA" : "issuing CA", certs[i]);
    }
    printf("issuing key: %s\n", st->ca_key_uri ? st->ca_key_uri : "ca/issuing.key (encrypted)");
out:
    X509_free(certs[0]);
    X509_free(certs[1]);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}

int cmd_ca(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage, "ca: which one, init or show?");
    if (strcmp(argv[1], "init") == 0)
        return ca_init_cmd(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return ca_show_cmd(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: %s\n", usage);
        return SK_OK;
    }
    return cli_usage_error(usage, "ca: '%s' is not a ca command", argv[1]);
}
