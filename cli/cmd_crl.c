#include <getopt.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_station.h"
#include "issuer/ca_util.h"
#include "util/sk_file.h"
#include "util/sk_secret.h"

static const char usage[] =
    "sealkey crl [--station DIR] [--days N] [-o FILE] [--publish DIR] [--ca-pass SOURCE]\n"
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
    "  -o FILE  also write the issuing CA's CRL (PEM) to FILE. Files are mode 0644.";

/* Write the CRL as PEM or DER, atomically, mode 0644. */
static int write_crl(const char *path, X509_CRL *crl, bool der, sk_err *e)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;
    int ret;

    if (b == NULL || !(der ? i2d_X509_CRL_bio(b, crl) : PEM_write_bio_X509_CRL(b, crl))) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: encoding the CRL", path);
        goto out;
    }
    len = BIO_get_mem_data(b, &data);
    ret = sk_file_write_atomic(path, data, (size_t)len, 0644, e);
out:
    BIO_free(b);
    return ret;
}

/* NAME (DER) and NAME.pem in the publication directory. */
static int publish(const char *dir, const char *name, X509_CRL *crl, sk_err *e)
{
    char path[PATH_MAX], pem[CA_CRL_NAME_MAX + 8];
    int ret;

    snprintf(pem, sizeof(pem), "%s.pem", name);
    if ((ret = sk_path_join(path, sizeof(path), dir, name, e)) != SK_OK ||
        (ret = write_crl(path, crl, true, e)) != SK_OK ||
        (ret = sk_path_join(path, sizeof(path), dir, pem, e)) != SK_OK ||
        (ret = write_crl(path, crl, false, e)) != SK_OK)
        return ret;
    return SK_OK;
}

int cmd_crl(int argc, char **argv)
{
    static const struct option opts[] = {{"station", required_argument, NULL, 's'},
                                         {"days", required_argument, NULL, 'd'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"publish", required_argument, NULL, 'P'},
                                         {"ca-pass", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *station = NULL, *out_path = NULL, *pass = NULL, *pub_opt = NULL;
    long days = 7;
    station_config *st = NULL;
    ledger *l = NULL;
    cli_ca_env cae;
    ledger_issuance *rev = NULL;
    size_t n = 0;
    long long number = 0, root_number = 0;
    X509_CRL *crl = NULL, *root_crl = NULL;
    EVP_PKEY *root_key = NULL;
    cli_secrets *sec = NULL;
    ca_crl_names names;
    char path[PATH_MAX], pub_dir[PATH_MAX], root_id[64], detail[160];
    sk_err e;
    int c, ret;

    memset(&cae, 0, sizeof(cae));
    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 's': station = optarg; break;
        case 'o': out_path = optarg; break;
        case 'P': pub_opt = optarg; break;
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
        (ret = cli_ca_env_open(st, false, sec->ca_secret, &cae, &e)) != SK_OK ||
        (ret = ca_load_root_key(st, cae.ca, sec->ca_secret, &root_key, &e)) != SK_OK)
        goto out;
    cli_secrets_free(sec);
    sec = NULL;
    if ((ret = ca_crl_names_get(st, cae.ca, &names, &e)) != SK_OK)
        goto out;
    if (pub_opt != NULL)
        snprintf(pub_dir, sizeof(pub_dir), "%s", pub_opt);
    else if ((ret = station_path(st, "crl", pub_dir, sizeof(pub_dir), &e)) != SK_OK)
        goto out;

    /* The issuing CA's CRL, then the root's (each numbered under its own issuer id). */
    if ((ret = cli_ledger_open(st, &l, &e)) != SK_OK ||
        (ret = ledger_revoked(l, ca_issuer_id(cae.ca), &rev, &n, &e)) != SK_OK ||
        (ret = ledger_next_crl_number(l, ca_issuer_id(cae.ca), &number, &e)) != SK_OK ||
        (ret = ca_make_crl(cae.ca, rev, n, number, (int)days, &crl, &e)) != SK_OK)
        goto out;
    cau_ski_hex(ca_root_cert(cae.ca), root_id, sizeof(root_id));
    if (root_key != NULL &&
        ((ret = ledger_next_crl_number(l, root_id, &root_number, &e)) != SK_OK ||
         (ret = ca_make_root_crl(cae.ca, root_key, root_number, (int)days, &root_crl, &e)) !=
             SK_OK))
        goto out;

    /* The station's own copies first (what it verifies against), then the published ones. */
    if ((ret = station_path(st, "ca/issuing.crl", path, sizeof(path), &e)) != SK_OK ||
        (ret = write_crl(path, crl, false, &e)) != SK_OK ||
        (out_path != NULL && (ret = write_crl(out_path, crl, false, &e)) != SK_OK))
        goto out;
    if (root_crl != NULL &&
        ((ret = station_path(st, "ca/root.crl", path, sizeof(path), &e)) != SK_OK ||
         (ret = write_crl(path, root_crl, false, &e)) != SK_OK))
        goto out;
    if ((ret = sk_mkdir_p(pub_dir, 0755, &e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < names.n_issuing; i++)
        if ((ret = publish(pub_dir, names.issuing[i], crl, &e)) != SK_OK)
            goto out;
    if (root_crl != NULL && (ret = publish(pub_dir, names.root, root_crl, &e)) != SK_OK)
        goto out;

    if (root_crl != NULL)
        snprintf(detail, sizeof(detail), "CRL %lld, %zu revoked; root CRL %lld", number, n,
                 root_number);
    else
        snprintf(detail, sizeof(detail), "CRL %lld, %zu revoked; no root key for a root CRL",
                 number, n);
    if ((ret = cli_audit(st, AUDIT_EV_CRL_ISSUED, NULL, NULL, NULL, detail, &e)) != SK_OK)
        goto out;
    printf("CRL number %lld with %zu revoked certificate(s) written to %s/ca/issuing.crl%s%s\n",
           number, n, st->dir, out_path != NULL ? " and " : "", out_path != NULL ? out_path : "");
    if (root_crl != NULL)
        printf("root CRL number %lld written to %s/ca/root.crl\n", root_number, st->dir);
    else
        printf("notice: no root CRL: ca/root.key is not in this station; sign the root's CRL "
               "where the root key is kept\n");
    printf("published in %s:", pub_dir);
    for (size_t i = 0; i < names.n_issuing; i++)
        printf(" %s %s.pem", names.issuing[i], names.issuing[i]);
    if (root_crl != NULL)
        printf(" %s %s.pem", names.root, names.root);
    printf("\n");
    if (!names.issuing_ca_has_dp)
        printf("notice: the issuing CA certificate has no CRL distribution point (it predates "
               "ca.root_crl_url); a CA made by a new `sealkey ca init` carries one\n");
out:
    cli_secrets_free(sec);
    EVP_PKEY_free(root_key);
    X509_CRL_free(crl);
    X509_CRL_free(root_crl);
    free(rev);
    ledger_free(l);
    cli_ca_env_close(&cae);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
