/* The forms commands (templates/form.h); rows for cli/main.c and cli/cmd_seal.c. */
#ifndef SK_CMD_FORM_H
#define SK_CMD_FORM_H

int cmd_form(int argc, char **argv);
int cmd_seal_extract_form(int argc, char **argv);

#endif
