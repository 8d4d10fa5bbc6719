#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_form.h"

static const char usage[] =
    "sealkey seal <picture|make|verify|show|extract-form> [options]\n"
    "  picture  turn a scanned seal impression into a clean seal picture (PNG)\n"
    "  make     build and sign the GB/T 38540 seal for an issued order\n"
    "  verify   check a v1/v4/v5 seal file: signature, validity, picture, and trust (maker\n"
    "           chain, holder certificate chain and CRLs; --station DIR)\n"
    "  show     print a seal's fields and extract its picture\n"
    "  extract-form  both seal pictures and the order number from a scanned, stamped\n"
    "           seal-collection form";

int cmd_seal(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } verbs[] = {{"picture", cmd_seal_picture},
                 {"make", cmd_seal_make},
                 {"verify", cmd_seal_verify},
                 {"show", cmd_seal_show},
                 {"extract-form", cmd_seal_extract_form}};

    if (argc < 2)
        return cli_usage_error(usage, "seal: which one?");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: %s\n", usage);
        return 0;
    }
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].fn(argc - 1, argv + 1);
    return cli_usage_error(usage, "seal: '%s' is not a seal command", argv[1]);
}
