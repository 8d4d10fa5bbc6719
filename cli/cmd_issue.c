#include <stdio.h>

#include "cli/cli.h"

int cmd_issue(int argc, char **argv)
{
    fprintf(stderr, "sealkey: %s is not built yet\n", argv[0]);
    return SK_EINTERNAL;
}
