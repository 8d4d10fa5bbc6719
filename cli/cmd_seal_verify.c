/* sealkey seal verify: decode a v1/v4/v5 seal and run every check on it. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "issuer/station/station.h"
#include "seal/ses.h"
#include "seal/ses_sign.h"
#include "seal/sealmaker.h"
#include "util/sk_file.h"
#include "util/sk_time.h"

static const char usage[] =
    "sealkey seal verify FILE [--station DIR] [--ca FILE] [--holder-ca FILE] [--crl FILE]...\n"
    "                         [--at TIME] [--doc DOC] [--json]\n"
    "  Checks the maker's signature, the seal's and the maker certificate's validity and the\n"
    "  picture; and, to say \"valid\", trust: the maker certificate chains to a trusted seal\n"
    "  root, and the holder (organisation) certificate in the seal chains to a trusted CA and\n"
    "  is on no CRL (nor its CA on the root's).\n"
    "  --station DIR   take the trust anchors of a sealkey station: DIR/ca/seal-root.crt for\n"
    "                  the maker, DIR/ca/chain.pem for the holder, and its current CRLs\n"
    "                  DIR/ca/issuing.crl and DIR/ca/root.crl (as `sealkey crl` writes them)\n"
    "  --ca FILE       trusted SM2 certificates (PEM) the seal maker's certificate must chain to\n"
    "  --holder-ca FILE  trusted CA certificates (PEM: root and intermediates) for the holder\n"
    "  --crl FILE      a CRL (PEM or DER) for the holder's chain; repeat for each CA (up to 8)\n"
    "                  (--ca, --holder-ca and --crl replace what --station would take)\n"
    "  --at TIME       check validity at TIME, RFC 3339: 2021-06-01 (midnight UTC),\n"
    "                  2021-06-01T09:30:00Z or 2021-06-01T17:30:00+08:00 (a time needs its\n"
    "                  zone); default now. CRLs must be current now; a certificate on one\n"
    "                  fails at any TIME\n"
    "  --doc DOC       FILE is an SES_Signature (`sealkey seal sign`): DOC is the document it\n"
    "                  signs. Its checks follow the seal's: document (SM3 of DOC's bytes is\n"
    "                  toSign.dataHash), doc-sign (the signer's SM2 signature over toSign),\n"
    "                  signer (the signer's certificate is in the seal's certList),\n"
    "                  sign-time (within the seal's and the certificate's validity). An\n"
    "                  SES_Signature without --doc is at best NOT VERIFIED\n"
    "  --json          print the fields and the checks as JSON\n"
    "exit status: 0 valid (every check passed, trust established); 1 a check failed (forged,\n"
    "  expired, wrong maker, holder revoked or not chaining, ...); 12 not verified: nothing\n"
    "  failed but a trust anchor or CRL was missing, so only what the summary lists was\n"
    "  checked; 3 not a readable seal or anchor file; 2 bad command line";

/* The station's anchors, for the options not given. Its CRLs count only when present: a
 * station that never ran `sealkey crl` leaves revocation unchecked (and the seal unverified). */
struct station_anchors {
    char seal_root[PATH_MAX], chain[PATH_MAX], crl[2][PATH_MAX];
};

static int station_defaults(const station_config *st, struct station_anchors *a,
                            ses_verify_opts *vo, sk_err *e)
{
    int ret;

    if ((ret = station_path(st, "ca/" SEALMAKER_ROOT_CRT, a->seal_root, sizeof(a->seal_root),
                            e)) != SK_OK ||
        (ret = station_path(st, "ca/chain.pem", a->chain, sizeof(a->chain), e)) != SK_OK ||
        (ret = station_path(st, "ca/issuing.crl", a->crl[0], sizeof(a->crl[0]), e)) != SK_OK ||
        (ret = station_path(st, "ca/root.crl", a->crl[1], sizeof(a->crl[1]), e)) != SK_OK)
        return ret;
    if (!sk_file_exists(a->seal_root) || !sk_file_exists(a->chain))
        return sk_err_set(e, SK_EINPUT, "%s: no CA in this station (no %s)", st->dir,
                          !sk_file_exists(a->seal_root) ? a->seal_root : a->chain);
    if (vo->ca_file == NULL)
        vo->ca_file = a->seal_root;
    if (vo->holder_ca_file == NULL)
        vo->holder_ca_file = a->chain;
    if (vo->n_crl_files == 0)
        for (int i = 0; i < 2; i++)
            if (sk_file_exists(a->crl[i]))
                vo->crl_files[vo->n_crl_files++] = a->crl[i];
    return SK_OK;
}

struct verify_args {
    ses_verify_opts vo;
    const char *doc;
    struct station_anchors anchors;
    bool json;
    cli_output out;
};

int cmd_seal_verify_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {{"at", required_argument, NULL, 'a'},
                                         {"ca", required_argument, NULL, 'c'},
                                         {"holder-ca", required_argument, NULL, 'H'},
                                         {"crl", required_argument, NULL, 'r'},
                                         {"station", required_argument, NULL, 's'},
                                         CLI_OPT_JSON_ROW,
                                         {"doc", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct verify_args *a = cli_args(cx, sizeof(*a), NULL);
    ses_verify_opts *vo = a != NULL ? &a->vo : NULL;
    int c;
    sk_err e;

    if (a == NULL)
        return SK_OK;
    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (sk_time_parse("--at", optarg, &vo->at, &e) != SK_OK)
                return cli_usage_error(usage, "seal verify: %s", e.msg);
            break;
        case 'c':
            vo->ca_file = optarg;
            break;
        case 'H':
            vo->holder_ca_file = optarg;
            break;
        case 'r':
            if (vo->n_crl_files == SES_MAX_CRL_FILES)
                return cli_usage_error(usage, "seal verify: at most %d --crl files",
                                       SES_MAX_CRL_FILES);
            vo->crl_files[vo->n_crl_files++] = optarg;
            break;
        case 's':
            /* Only an explicit --station: a seal is checked against what the operator names. */
            cx->station_opt = optarg;
            cx->want_station = true;
            break;
        CLI_OUTPUT_CASES:
            cli_output_set(&a->out, c);
            break;
        case 'd':
            a->doc = optarg;
            break;
        case 'h':
            printf("usage: %s\n", usage);
            return CLI_DONE;
        default:
            return cli_usage_error(usage, "seal verify: unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(usage, "seal verify: one seal FILE, please");
    if (cli_output_check(&a->out, CLI_FMT_TEXT, usage, "seal verify") != SK_OK)
        return SK_EUSAGE;
    a->json = a->out.format == CLI_FMT_JSON;
    vo->name = argv[optind];
    return SK_OK;
}

/* An SES_Signature's document checks, after the seal's (ret and e are the seal's verdict):
 * a v4 one's signature over toSign, signer and time, and with --doc the document's hash. */
static int verify_document(const struct verify_args *a, const unsigned char *data, size_t len,
                           const ses_seal *s, ses_verify_result *res, int ret, sk_err *e)
{
    unsigned char hash[SES_DOC_HASH_LEN];
    ses_signature *sg = NULL;
    sk_err de;
    int dr;

    if (s->in_signature == 0) {
        if (a->doc != NULL)
            return sk_err_set(e, SK_EINPUT, "%s: --doc given, but this is a seal, not a "
                                            "document signature (SES_Signature)", a->vo.name);
        return ret;
    }
    if (s->in_signature == 1) {
        /* v1 document signatures are not checked: never more than "not verified". */
        size_t used = strlen(res->summary);
        res->unverified = 1;
        snprintf(res->summary + used, sizeof(res->summary) - used, "%sdocument signature of a "
                 "v1 SES_Signature NOT checked", used ? "; " : "");
        return ret;
    }
    sk_err_clear(&de);
    if ((a->doc != NULL && (dr = ses_doc_hash_file(a->doc, hash, &de)) != SK_OK) ||
        (dr = ses_signature_parse(data, len, a->vo.name, &sg, &de)) != SK_OK) {
        *e = de;
        return dr;
    }
    dr = ses_signature_verify(sg, a->doc != NULL ? hash : NULL, res, &de);
    ses_signature_free(sg);
    if (dr == SK_OK)
        return ret;
    if (dr == SK_EFAIL && ret == SK_EFAIL) {
        size_t used = strlen(e->msg);
        snprintf(e->msg + used, sizeof(e->msg) - used, "; %s", de.msg);
        return SK_EFAIL;
    }
    *e = de;
    return dr;
}

int cmd_seal_verify_run(cli_ctx *cx, sk_err *e)
{
    struct verify_args *a = cx->args;
    ses_verify_opts *vo = &a->vo;
    ses_verify_result res;
    ses_seal *s = NULL;
    unsigned char *data = NULL;
    size_t len = 0;
    char *text = NULL;
    int ret;

    if (cx->st != NULL && (ret = station_defaults(cx->st, &a->anchors, vo, e)) != SK_OK)
        goto out;
    /* Read once: the seal, and an SES_Signature's document signature, come from these bytes. */
    if ((ret = sk_file_read(vo->name, SES_MAX_FILE, &data, &len, e)) != SK_OK ||
        (ret = ses_seal_parse(data, len, vo->name, &s, e)) != SK_OK)
        goto out;
    ret = ses_seal_verify(s, vo, &res, e);
    if (ret != SK_OK && ret != SK_EFAIL)
        goto out; /* could not check at all: no report, just the error */
    ret = verify_document(a, data, len, s, &res, ret, e);
    if (ret != SK_OK && ret != SK_EFAIL)
        goto out;
    sk_err ve = *e;
    if ((ret = ses_seal_describe(s, vo->name, &res, a->json, &text, e)) != SK_OK)
        goto out;
    fputs(text, stdout);
    if (a->json)
        fputc('\n', stdout);
    *e = ve;
    /* Intact is not valid: without the anchors a forger's own maker passes the signature. */
    if (e->code == SK_OK && res.unverified)
        sk_err_set(e, SK_EUNVERIFIED, "%s: not verified: %s", vo->name, res.summary);
    ret = e->code;
out:
    free(text);
    free(data);
    ses_seal_free(s);
    return ret;
}
