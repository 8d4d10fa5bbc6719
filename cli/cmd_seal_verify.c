/* sealkey seal verify: decode a v1/v4/v5 seal and run every check on it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "seal/ses.h"

static const char usage[] =
    "sealkey seal verify FILE [--at TIME] [--ca CHAIN.pem] [--json]\n"
    "  --at TIME      check validity at TIME (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC); default now\n"
    "  --ca FILE      trusted SM2 certificates (PEM) the seal maker's certificate must chain to\n"
    "  --json         print the fields and the checks as JSON\n"
    "exit status: 0 all checks passed, 1 a check failed, 3 not a readable seal";

int cmd_seal_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"at", required_argument, NULL, 'a'},
                                         {"ca", required_argument, NULL, 'c'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    ses_verify_opts vo = {0};
    ses_verify_result res;
    ses_seal *s = NULL;
    char *text = NULL;
    int json = 0, c, ret;
    sk_err e;

    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (ses_time_parse(optarg, &vo.at, &e) != SK_OK)
                return cli_usage_error(usage, "seal verify: --at: %s", e.msg);
            break;
        case 'c':
            vo.ca_file = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            printf("usage: %s\n", usage);
            return SK_OK;
        default:
            return cli_usage_error(usage, "seal verify: unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(usage, "seal verify: one seal FILE, please");
    vo.name = argv[optind];
    if ((ret = ses_seal_read_file(vo.name, &s, &e)) != SK_OK)
        goto out;
    ret = ses_seal_verify(s, &vo, &res, &e);
    if (ret != SK_OK && ret != SK_EFAIL)
        goto out; /* could not check at all: no report, just the error */
    sk_err ve = e;
    if ((ret = ses_seal_describe(s, vo.name, &res, json, &text, &e)) != SK_OK)
        goto out;
    fputs(text, stdout);
    if (json)
        fputc('\n', stdout);
    e = ve;
    ret = e.code;
out:
    free(text);
    ses_seal_free(s);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
