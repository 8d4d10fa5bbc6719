#include <getopt.h>
/* cli/cli_output.h: one output option and one JSON form for every command. */
#include "cli/cli_output.h"

#include "cli/cli.h"
#include "cli/cli_opts.h"

void cli_output_set(cli_output *o, int c)
{
    if (c == CLI_OPT_BOM) {
        o->bom = true;
        return;
    }
    o->format = c == CLI_OPT_JSON ? CLI_FMT_JSON : CLI_FMT_CSV;
    o->given++;
}

int cli_output_check(cli_output *o, cli_format dflt, const char *usage, const char *cmd)
{
    if (o->given > 1)
        return cli_usage_error(usage, "%s: one output format: --json or --csv", cmd);
    if (o->given == 0)
        o->format = dflt;
    if (o->bom && o->format != CLI_FMT_CSV)
        return cli_usage_error(usage, "%s: --bom is for CSV output", cmd);
    return SK_OK;
}

static int dump(json_t *doc, size_t flags, sk_err *e)
{
    int ret = SK_OK;

    if (doc == NULL)
        return sk_err_set(e, SK_EINTERNAL, "JSON output: a value that is not UTF-8 (a file name?), "
                          "or out of memory");
    if (json_dumpf(doc, stdout, flags) != 0 || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0)
        ret = sk_err_set(e, SK_EIO, "standard output: write failed");
    json_decref(doc);
    return ret;
}

int cli_json_print(json_t *doc, sk_err *e)
{
    return dump(doc, JSON_INDENT(2), e);
}

int cli_json_line(json_t *doc, sk_err *e)
{
    return dump(doc, JSON_COMPACT, e);
}

int cli_csv_begin(const cli_output *o, FILE *f, sk_err *e)
{
    if (o->format == CLI_FMT_CSV && o->bom && fputs("\xEF\xBB\xBF", f) == EOF)
        return sk_err_set(e, SK_EIO, "standard output: write failed");
    return SK_OK;
}

int cli_parse_out_json(int argc, char **argv, struct cli_ctx *cx, const char *usage,
                       const char *cmd, const char **out, cli_output *output)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"output", required_argument, NULL, 'o'},
                                         {"out", required_argument, NULL, 'o'},
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    int c, ret;

    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            *out = optarg;
            break;
        default:
            if ((ret = cli_opt_common(cx, output, c, usage, cmd)) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, cmd)) != SK_OK)
        return ret;
    return cli_output_check(output, CLI_FMT_TEXT, usage, cmd);
}
