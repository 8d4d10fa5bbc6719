/* The forms commands (templates/form.h); rows for cli/main.c and cli/cmd_seal.c. */
#ifndef SK_CMD_FORM_H
#define SK_CMD_FORM_H

#include "cli/cli.h"

int cmd_form_parse(int argc, char **argv, cli_ctx *c);
int cmd_form_run(cli_ctx *c, sk_err *e);
int cmd_seal_extract_form(int argc, char **argv);

#endif
