#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "cli/cli_secrets.h"
#include "cli/cmd_ca.h"
#include "issuer/ca/ca.h"
#include "issuer/ca/ca_util.h"
#include "issuer/operations/operations.h"
#include "pkcs11/tok.h"
#include "util/sk_file.h"
#include "util/sk_pem.h"

static const char usage[] =
    "sealkey ca init [--station DIR] [--key-alg ec-p256|ec-p384|rsa-3072|sm2]\n"
    "                [--ca-pass SOURCE] [--root-days N] [--issuing-days N]\n"
    "       sealkey ca request [--station DIR] [--key-alg ALG] [--ca-pass SOURCE]\n"
    "       sealkey ca import [--station DIR] --cert FILE --root FILE\n"
    "                         [--seal-cert FILE --seal-root FILE] [--ca-pass SOURCE]\n"
    "       sealkey ca show [--station DIR] [--json]\n"
    "  init  create the station's root CA and issuing CA in DIR/ca. Refuses (exit 4) if any\n"
    "        CA file exists; under a lock on DIR/ca.lock, so of two inits at once one wins.\n"
    "        Keys are AES-256 encrypted PEM files (0600) under the CA passphrase; with\n"
    "        ca.key_uri in station.json the issuing key is generated on that HSM token and\n"
    "        the passphrase is its user PIN. --key-alg (default: ca.key_algorithm in\n"
    "        station.json) sm2 makes an SM2 hierarchy (GM/T 0015): certificates and CRLs\n"
    "        signed SM2-with-SM3 with the SM2 ID 1234567812345678, keys in files only;\n"
    "        projects with key_algorithm sm2 need it.\n"
    "        For demos and tests: a production CA's root stays offline (request, import).\n"
    "  request, import  a station without a root key: see sealkey ca request --help,\n"
    "        sealkey ca import --help and docs/pki.md.\n"
    "  show  print the station's CA mode (demo, requested, production) and the CA\n"
    "        certificates' subjects, serials, validity and key ids; --json: one JSON\n"
    "        document on standard output (messages and errors on standard error)\n"
    "  --ca-pass SOURCE  where the passphrase comes from: env:NAME, file:PATH, fd:N or prompt\n"
    "                    (default: ca.passphrase in station.json). Never the secret itself.\n"
    "  --root-days N     validity of the root CA, 1..36500 days (default 7300)\n"
    "  --issuing-days N  validity of the issuing CA, 1..root days (default 3650); certificates\n"
    "                    it issues are capped at its end (docs/station.md, validity_days)";

struct init_args {
    const char *alg;
    ca_init_opts o;
};

int cmd_ca_init_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"key-alg", required_argument, NULL, 'k'},
                                         CLI_OPT_CA_PASS_ROW,
                                         {"root-days", required_argument, NULL, 'r'},
                                         {"issuing-days", required_argument, NULL, 'i'},
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct init_args *a = cli_args(cx, sizeof(*a), NULL);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    a->o.root_days = 7300;
    a->o.issuing_days = 3650;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': a->alg = optarg; break;
        case 'r':
        case 'i': {
            char *end = NULL;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || v < 1 || v > 36500)
                return cli_usage_error(usage, "ca init: --%s takes 1 to 36500, not '%s'",
                                       c == 'r' ? "root-days" : "issuing-days", optarg);
            *(c == 'r' ? &a->o.root_days : &a->o.issuing_days) = (int)v;
            break;
        }
        default:
            if ((ret = cli_opt_common(cx, NULL, c, usage, "ca init")) != SK_OK)
                return ret;
        }
    }
    if (a->o.issuing_days > a->o.root_days)
        return cli_usage_error(usage,
                               "ca init: --issuing-days %d exceeds the root's %d days: the "
                               "issuing CA cannot outlive its root",
                               a->o.issuing_days, a->o.root_days);
    if ((ret = cli_opt_no_args(argc, argv, usage, "ca init")) != SK_OK)
        return ret;
    return SK_OK;
}

/* The key algorithm (the station's, or --key-alg) before the new passphrase is asked for. */
int cmd_ca_init_prepare(cli_ctx *cx, sk_err *e)
{
    struct init_args *a = cx->args;

    a->o.key_alg = cx->st->ca_key_alg;
    return a->alg != NULL ? sk_keyalg_parse(a->alg, &a->o.key_alg, e) : SK_OK;
}

/* The HSM module for the CA key, if the station has one. */
int cmd_ca_hsm_open(const station_config *st, tok_module **hsm, sk_err *e)
{
    const char *mod = st->ca_pkcs11_module != NULL ? st->ca_pkcs11_module : st->pkcs11_module;

    *hsm = NULL;
    if (st->ca_key_uri == NULL)
        return SK_OK;
    return tok_module_open(mod, hsm, e);
}

int cmd_ca_init_run(cli_ctx *cx, sk_err *e)
{
    const struct init_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    tok_module *hsm = NULL;
    int ret;

    if ((ret = cmd_ca_hsm_open(cx->st, &hsm, e)) != SK_OK ||
        (ret = op_ca_init(&env, &a->o, cx->secrets->ca_secret, hsm, e)) != SK_OK)
        goto out;
    cli_ctx_wipe(cx);
    printf("created %s CA in %s/ca (root.crt, issuing.crt, chain.pem)%s\n",
           sk_keyalg_name(a->o.key_alg), cx->st->dir,
           cx->st->ca_key_uri ? "; issuing key on the HSM" : "");
out:
    tok_module_free(hsm);
    return ret;
}

/* ca show --json: the same fields, by certificate. */
static json_t *cert_json(X509 *cert)
{
    char subject[512], nb[32], na[32], ski[128];
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *serial = bn ? BN_bn2hex(bn) : NULL;
    char *dp = cau_crl_dp(cert);
    json_t *j;

    X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
    cau_asn1_iso(X509_get0_notBefore(cert), nb, sizeof(nb));
    cau_asn1_iso(X509_get0_notAfter(cert), na, sizeof(na));
    cau_ski_hex(cert, ski, sizeof(ski));
    j = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s?}", "subject", subject, "serial", serial,
                  "not_before", nb, "not_after", na, "key_id", ski, "crl_dp", dp);
    OPENSSL_free(dp);
    OPENSSL_free(serial);
    BN_free(bn);
    return j;
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

struct show_args {
    cli_output out;
};

int cmd_ca_show_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {
        CLI_OPT_STATION_ROW, CLI_OPT_JSON_ROW, CLI_OPT_HELP_ROW, {NULL, 0, NULL, 0}};
    struct show_args *a = cli_args(cx, sizeof(*a), NULL);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        if ((ret = cli_opt_common(cx, &a->out, c, usage, "ca show")) != SK_OK)
            return ret;
    if ((ret = cli_opt_no_args(argc, argv, usage, "ca show")) != SK_OK)
        return ret;
    return cli_output_check(&a->out, CLI_FMT_TEXT, usage, "ca show");
}

int cmd_ca_show_run(cli_ctx *cx, sk_err *e)
{
    X509 *certs[2] = {NULL, NULL};
    STACK_OF(X509) *chain = NULL;
    json_t *policy = NULL;
    static const char *const names[] = {"root.crt", "issuing.crt"};
    char path[PATH_MAX];
    const struct show_args *a = cx->args;
    bool as_json = a->out.format == CLI_FMT_JSON;
    int ret = SK_OK;

    /* Which way the CA came to be (docs/pki.md); a requested one has no certificates yet. */
    ca_mode_info mode;
    if ((ret = cmd_ca_show_mode(cx->st, !as_json, &mode, e)) == CLI_DONE && as_json)
        return cli_json_print(json_pack("{s:s}", "mode", ca_mode_name(mode.mode)), e);
    if (ret != SK_OK)
        return ret == CLI_DONE ? SK_OK : ret;
    for (int i = 0; i < 2; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "ca/%s", names[i]);
        if ((ret = station_path(cx->st, rel, path, sizeof(path), e)) != SK_OK)
            goto out;
        FILE *f = fopen(path, "r");
        if (f == NULL) {
            ret = sk_err_set(e, SK_EINPUT, "%s: cannot open (run sealkey ca init)", path);
            goto out;
        }
        certs[i] = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        if (certs[i] == NULL) {
            ret = sk_err_ossl(e, SK_EINPUT, "%s: not a PEM certificate", path);
            goto out;
        }
        if (!as_json)
            show_cert(i == 0 ? "root CA" : "issuing CA", certs[i]);
    }
    /* The policy CAs between them, from chain.pem (issuing CA, policy CAs, root). */
    if ((ret = station_path(cx->st, "ca/chain.pem", path, sizeof(path), e)) != SK_OK)
        goto out;
    if (sk_file_exists(path) && (ret = sk_pem_read_certs(path, CA_CHAIN_MAX, &chain, e)) != SK_OK)
        goto out;
    if ((policy = json_array()) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    for (int i = 1; chain != NULL && i + 1 < sk_X509_num(chain); i++) {
        if (!as_json)
            show_cert("policy CA", sk_X509_value(chain, i));
        json_array_append_new(policy, cert_json(sk_X509_value(chain, i)));
    }
    if (as_json)
        ret = cli_json_print(json_pack("{s:s, s:o, s:O, s:o, s:s, s:s}", "mode",
                                       ca_mode_name(mode.mode), "root_ca", cert_json(certs[0]),
                                       "policy_cas", policy, "issuing_ca", cert_json(certs[1]),
                                       "issuing_key", cx->st->ca_key_uri ? "hsm" : "file",
                                       "issuing_key_at",
                                       cx->st->ca_key_uri ? cx->st->ca_key_uri
                                                          : "ca/issuing.key"),
                             e);
    else
        printf("issuing key: %s\n",
               cx->st->ca_key_uri ? cx->st->ca_key_uri : "ca/issuing.key (encrypted)");
out:
    json_decref(policy);
    sk_X509_pop_free(chain, X509_free);
    X509_free(certs[0]);
    X509_free(certs[1]);
    return ret;
}

/* The verbs (init, show) are rows of cli/main.c's table; this answers the rest. */
int cmd_ca(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage, "ca: which one, init, request, import or show?");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: %s\n", usage);
        return SK_OK;
    }
    return cli_usage_error(usage, "ca: '%s' is not a ca command", argv[1]);
}
