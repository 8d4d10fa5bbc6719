#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "sealkey seal <picture|make|verify|sign|show|extract-form> [options]\n"
    "  picture  turn a scanned seal impression into a clean seal picture (PNG)\n"
    "  make     build and sign the GB/T 38540 seal for an issued order\n"
    "  verify   check a v1/v4/v5 seal file: signature, validity, picture, and trust (maker\n"
    "           chain, holder certificate chain and CRLs; --station DIR), and the document\n"
    "           signature of an SES_Signature (--doc FILE)\n"
    "  sign     sign a file with the seal holder's SM2 key and its seal (SES_Signature)\n"
    "  show     print a seal's fields and extract its picture\n"
    "  extract-form  both seal pictures and the order number from a scanned, stamped\n"
    "           seal-collection form";

/* The verbs are rows of cli/main.c's table; this answers the rest. */
int cmd_seal(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage, "seal: which one?");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: %s\n", usage);
        return 0;
    }
    return cli_usage_error(usage, "seal: '%s' is not a seal command", argv[1]);
}
