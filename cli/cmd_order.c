#include <stdio.h>

#include "cli/cli.h"

int cmd_order(int argc, char **argv)
{
    fprintf(stderr, "sealkey: %s is not built yet\n", argv[0]);
    return SK_EINTERNAL;
}
