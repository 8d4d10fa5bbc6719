/* sealkey seal show: print a seal's fields without checking it, and extract its picture. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "seal/ses.h"
#include "util/sk_file.h"

static const char usage[] =
    "sealkey seal show FILE [--picture OUT] [--json]\n"
    "  --picture OUT  write the seal picture's bytes to OUT (mode 0644)\n"
    "  --json         print the fields as JSON\n"
    "nothing is verified here: use 'sealkey seal verify'";

int cmd_seal_show(int argc, char **argv)
{
    static const struct option opts[] = {{"picture", required_argument, NULL, 'p'},
                                         CLI_OPT_JSON_ROW,
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *picture_out = NULL, *file;
    ses_seal *s = NULL;
    char *text = NULL;
    cli_output out = {0};
    int json, c, ret;
    sk_err e;

    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            picture_out = optarg;
            break;
        CLI_OUTPUT_CASES:
            cli_output_set(&out, c);
            break;
        case 'h':
            printf("usage: %s\n", usage);
            return SK_OK;
        default:
            return cli_usage_error(usage, "seal show: unknown option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(usage, "seal show: one seal FILE, please");
    if (cli_output_check(&out, CLI_FMT_TEXT, usage, "seal show") != SK_OK)
        return SK_EUSAGE;
    json = out.format == CLI_FMT_JSON;
    file = argv[optind];
    if ((ret = ses_seal_read_file(file, &s, &e)) != SK_OK ||
        (ret = ses_seal_describe(s, file, NULL, json, &text, &e)) != SK_OK)
        goto out;
    if (picture_out != NULL &&
        (ret = sk_file_write_atomic(picture_out, s->picture, s->picture_len, 0644, &e)) != SK_OK)
        goto out;
    fputs(text, stdout);
    if (json)
        fputc('\n', stdout);
out:
    free(text);
    ses_seal_free(s);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
