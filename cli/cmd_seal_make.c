#include <getopt.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_station.h"
#include "issuer/issue_seal.h"
#include "issuer/ledger.h"
#include "util/sk_file.h"
#include "util/sk_secret.h"

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
    const char *station, *orders, *number, *kind, *picture, *out, *ca_pass;
};

static int parse(int argc, char **argv, struct make_args *a)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'}, {"orders", required_argument, NULL, 'f'},
        {"order", required_argument, NULL, 'n'},   {"kind", required_argument, NULL, 'k'},
        {"picture", required_argument, NULL, 'p'}, {"output", required_argument, NULL, 'o'},
        {"ca-pass", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    memset(a, 0, sizeof(*a));
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 's': a->station = optarg; break;
        case 'f': a->orders = optarg; break;
        case 'n': a->number = optarg; break;
        case 'k': a->kind = optarg; break;
        case 'p': a->picture = optarg; break;
        case 'o': a->out = optarg; break;
        case 'c': a->ca_pass = optarg; break;
        case 'h': printf("usage: %s\n", usage); return -1;
        default: return cli_usage_error(usage, "seal make: bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "seal make: unexpected argument '%s'", argv[optind]);
    if (a->orders == NULL || a->number == NULL || a->kind == NULL)
        return cli_usage_error(usage, "seal make: --orders, --order and --kind are required");
    if (strcmp(a->kind, "official") != 0 && strcmp(a->kind, "legal-rep") != 0)
        return cli_usage_error(usage, "seal make: --kind is official or legal-rep, not '%s'",
                               a->kind);
    return SK_OK;
}

/* The certificate of the order's verified issuance. */
static int issued_cert(ledger *l, const char *number, long long *id, X509 **cert, sk_err *e)
{
    ledger_issuance r;
    bool found = false;
    char *pem = NULL;
    BIO *b = NULL;
    int ret;

    *cert = NULL;
    /* The live certificate, even while (or after) a reissue of the order is attempted. */
    if ((ret = ledger_live(l, number, &r, &found, e)) != SK_OK ||
        (!found && (ret = ledger_latest(l, number, &r, &found, e)) != SK_OK))
        goto out;
    if (!found || r.step != ISS_VERIFIED || r.revoked_at[0] != '\0') {
        ret = sk_err_set(e, SK_ESTATE, "order %s is not issued (%s); issue it first", number,
                         found ? iss_step_name(r.step) : "not in the ledger");
        goto out;
    }
    if ((ret = ledger_cert_pem(l, r.id, &pem, e)) != SK_OK)
        goto out;
    b = pem != NULL ? BIO_new_mem_buf(pem, -1) : NULL;
    if (b == NULL || (*cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
        ret = sk_err_ossl(e, SK_ELEDGER, "order %s: the ledger holds no readable certificate",
                          number);
        goto out;
    }
    *id = r.id;
    ret = SK_OK;
out:
    BIO_free(b);
    free(pem);
    return ret;
}

int cmd_seal_make(int argc, char **argv)
{
    struct make_args a;
    station_config *st = NULL;
    order_file *of = NULL;
    const order *o = NULL;
    const station_project *p = NULL;
    ledger *l = NULL;
    sealmaker *maker = NULL;
    X509 *cert = NULL;
    issue_seal seal;
    sk_problems probs;
    cli_secrets *sec = NULL;
    char path[PATH_MAX], dir[PATH_MAX];
    long long id = 0;
    sk_err e;
    int ret;

    memset(&seal, 0, sizeof(seal));
    sk_err_clear(&e);
    sk_problems_init(&probs);
    if ((ret = parse(argc, argv, &a)) != SK_OK)
        return ret < 0 ? SK_OK : ret;
    if ((ret = cli_operator_check(NULL, &e)) != SK_OK ||
        (ret = station_load(cli_station_dir(a.station), &st, &e)) != SK_OK ||
        (ret = order_file_load(a.orders, &of, &probs, &e)) != SK_OK)
        goto out;
    if ((o = order_file_find(of, a.number)) == NULL) {
        ret = sk_err_set(&e, SK_EINPUT, "%s: no order %s in the file", a.orders, a.number);
        goto out;
    }
    if ((p = station_project_find(st, o->project_code)) == NULL) {
        ret = sk_err_set(&e, SK_EINPUT, "order %s: project_code '%s' is not in station.json",
                         o->number, o->project_code);
        goto out;
    }
    if ((ret = station_path(st, st->ledger, path, sizeof(path), &e)) != SK_OK ||
        (ret = ledger_open(path, &l, &e)) != SK_OK ||
        (ret = issued_cert(l, o->number, &id, &cert, &e)) != SK_OK)
        goto out;
    if (a.picture != NULL) {
        ret = issue_seal_picture_png(a.kind, p, a.picture, &seal, &e);
    } else {
        ret = issue_seal_picture_scan(o, p, a.kind, &seal, &e);
    }
    if (ret != SK_OK)
        goto out;
    if ((ret = cli_secrets_new(&sec, &e)) != SK_OK ||
        (ret = cli_station_secret(st, a.ca_pass, st->ca_passphrase, "CA passphrase", false,
                                  sec->ca_secret, sizeof(sec->ca_secret), &e)) != SK_OK ||
        (ret = station_path(st, "ca", dir, sizeof(dir), &e)) != SK_OK ||
        (ret = sealmaker_open(dir, sec->ca_secret, &maker, &e)) != SK_OK)
        goto out;
    cli_secrets_free(sec);
    sec = NULL;
    if ((ret = issue_seal_build(maker, o, cert, &seal, &e)) != SK_OK)
        goto out;
    if (a.out != NULL) {
        snprintf(path, sizeof(path), "%s", a.out);
    } else {
        /* The order's directory, never reached through a link (station_order_dir). */
        if ((ret = station_order_dir(st, o->number, dir, sizeof(dir), &e)) != SK_OK)
            goto out;
        if (snprintf(path, sizeof(path), "%s/%s-%s.esl", dir, seal.kind, seal.es_id) >=
            (int)sizeof(path)) {
            ret = sk_err_set(&e, SK_EINPUT, "output path too long");
            goto out;
        }
    }
    /* Recorded first: a seal file whose esID the ledger does not know must never exist. */
    if ((ret = ledger_seal_add(l, id, o->number, seal.kind, seal.es_id, seal.sha256, &e)) !=
            SK_OK ||
        (ret = sk_file_write_atomic(path, seal.der, seal.der_len, 0644, &e)) != SK_OK ||
        (ret = cli_audit(st, AUDIT_EV_SEAL_MADE, o->number, NULL, NULL, seal.es_id, &e)) != SK_OK)
        goto out;
    printf("seal %s (%s) for order %s written to %s\n", seal.es_id, seal.kind, o->number, path);
out:
    cli_secrets_free(sec);
    issue_seal_clear(&seal);
    X509_free(cert);
    sealmaker_free(maker);
    ledger_free(l);
    sk_problems_free(&probs);
    order_file_free(of);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
