/* The output option, the same on every command that prints for programs as well as people:
 * --json (one JSON document on standard output, in one form), and for exports --csv with
 * --bom. Messages and errors stay on standard error, so a failed command prints nothing on
 * standard output and says why there, with its exit status. Only cli/ uses this. */
#ifndef SK_CLI_OUTPUT_H
#define SK_CLI_OUTPUT_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/sk_err.h"

typedef enum cli_format {
    CLI_FMT_TEXT, /* for people (an export's default is CSV: cli_output_check) */
    CLI_FMT_JSON,
    CLI_FMT_CSV,
} cli_format;

typedef struct cli_output {
    cli_format format;
    bool bom;        /* --bom: CSV starts with a UTF-8 byte order mark */
    unsigned given;  /* how many format options the command line had */
} cli_output;

/* getopt_long values of the options (beyond any character), the rows for a command's option
 * table, and the cases of its switch: CLI_OUTPUT_CASES: cli_output_set(&a->out, c); break; */
enum { CLI_OPT_JSON = 0x5000, CLI_OPT_CSV, CLI_OPT_BOM };
#define CLI_OPT_JSON_ROW {"json", no_argument, NULL, CLI_OPT_JSON}
#define CLI_OPT_CSV_ROWS {"csv", no_argument, NULL, CLI_OPT_CSV}, {"bom", no_argument, NULL, CLI_OPT_BOM}
#define CLI_OUTPUT_CASES case CLI_OPT_JSON: case CLI_OPT_CSV: case CLI_OPT_BOM

/* The lines of --help that say so, for every command alike. */
#define CLI_HELP_JSON                                                                      \
    "  --json            the result as one JSON document on standard output (messages and\n" \
    "                    errors go to standard error)\n"
#define CLI_HELP_CSV                                                                       \
    "  --csv             CSV with a header line (the default); cells a spreadsheet would run\n" \
    "                    as a formula are prefixed with '\n"                                \
    "  --bom             start the CSV with a UTF-8 byte order mark, which spreadsheet\n"   \
    "                    programs on Chinese Windows need to read UTF-8 rather than GBK\n"

/* Record one of the options above (c from getopt_long). */
void cli_output_set(cli_output *o, int c);

/* After the options: one format at most, --bom only with CSV; a format not given is dflt.
 * A usage error (printed, SK_EUSAGE) names cmd. */
int cli_output_check(cli_output *o, cli_format dflt, const char *usage, const char *cmd);

/* Print doc (taken: freed here; NULL means it could not be built) as every command prints
 * JSON: indented by 2, the command's key order, a final newline, flushed. SK_EIO when
 * standard output fails, SK_EINTERNAL for NULL. */
int cli_json_print(json_t *doc, sk_err *e);

/* One compact JSON line (JSON Lines) for commands that report as they go (station), flushed
 * at once; doc taken as above. */
int cli_json_line(json_t *doc, sk_err *e);

struct cli_ctx;

/* The whole option parse of a command whose only options are --station, -o/--output FILE
 * (also spelt --out) and --json, and which takes no argument: *out NULL unless given. */
int cli_parse_out_json(int argc, char **argv, struct cli_ctx *cx, const char *usage,
                       const char *cmd, const char **out, cli_output *output);

/* Begin CSV output on f: the byte order mark if --bom. */
int cli_csv_begin(const cli_output *o, FILE *f, sk_err *e);

#endif
