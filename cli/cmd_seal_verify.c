#include <stdio.h>

#include "cli/cli.h"

int cmd_seal_verify(int argc, char **argv)
{
    fprintf(stderr, "sealkey: %s is not built yet\n", argv[0]);
    return SK_EINTERNAL;
}
