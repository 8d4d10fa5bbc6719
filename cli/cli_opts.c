/* cli/cli_opts.h: the options many commands share, parsed in one place. */
#include "cli/cli_opts.h"

#include <stdio.h>

int cli_opt_common(cli_ctx *cx, cli_output *out, int c, const char *usage, const char *cmd)
{
    switch (c) {
    case CLI_OPT_STATION:
        cx->station_opt = optarg;
        return SK_OK;
    case CLI_OPT_CA_PASS:
        cx->ca_pass_opt = optarg;
        return SK_OK;
    case CLI_OPT_OPERATOR:
        cx->operator_opt = optarg;
        return SK_OK;
    CLI_OUTPUT_CASES:
        if (out == NULL)
            break;
        cli_output_set(out, c);
        return SK_OK;
    case 'h':
        printf("usage: %s\n", usage);
        return CLI_DONE;
    default:
        break;
    }
    return cli_usage_error(usage, "%s: bad option", cmd);
}

int cli_opt_no_args(int argc, char **argv, const char *usage, const char *cmd)
{
    if (optind != argc)
        return cli_usage_error(usage, "%s: unexpected argument '%s'", cmd, argv[optind]);
    return SK_OK;
}
