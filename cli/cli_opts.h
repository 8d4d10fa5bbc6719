/* The options many commands share, each with one meaning on every command: --station,
 * --ca-pass, --operator, the output options (cli/cli_output.h) and -h/--help. A command lists
 * the rows it takes in its option table, handles its own options in its switch and leaves the
 * rest to cli_opt_common in the switch's default, so each shared option is parsed, and each
 * "bad option" message worded, in one place. Only cli/ uses this. */
#ifndef SK_CLI_OPTS_H
#define SK_CLI_OPTS_H

#include <getopt.h>

#include "cli/cli.h"
#include "cli/cli_output.h"

/* getopt_long values beyond any character (and beyond CLI_OPT_JSON's), so that a command's
 * own letters stay free: seal sign's --key-pass may be 'p' while --ca-pass is not. */
enum { CLI_OPT_STATION = 0x5100, CLI_OPT_CA_PASS, CLI_OPT_OPERATOR };
#define CLI_OPT_STATION_ROW {"station", required_argument, NULL, CLI_OPT_STATION}
#define CLI_OPT_CA_PASS_ROW {"ca-pass", required_argument, NULL, CLI_OPT_CA_PASS}
#define CLI_OPT_OPERATOR_ROW {"operator", required_argument, NULL, CLI_OPT_OPERATOR}
#define CLI_OPT_HELP_ROW {"help", no_argument, NULL, 'h'}

/* A value c from getopt_long that the command's switch did not take: a shared option is
 * recorded in cx (or out, which may be NULL for a command without output options) and SK_OK
 * returned; -h/--help prints "usage: " usage and returns CLI_DONE; anything else is a usage
 * error "<cmd>: bad option" (SK_EUSAGE). */
int cli_opt_common(cli_ctx *cx, cli_output *out, int c, const char *usage, const char *cmd);

/* After the options of a command that takes no argument: SK_OK, or a usage error
 * "<cmd>: unexpected argument '<arg>'" (SK_EUSAGE) for the first one left. */
int cli_opt_no_args(int argc, char **argv, const char *usage, const char *cmd);

#endif
