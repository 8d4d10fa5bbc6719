/* sealkey ledger: create, migrate, export and import the ledger (docs/ledger.md). */
#ifndef SK_CMD_LEDGER_H
#define SK_CMD_LEDGER_H

#include <stdbool.h>

int cmd_ledger(int argc, char **argv);

/* sealkey ledger reconcile (cli/cmd_ledger_reconcile.c): the exit status. */
int cmd_ledger_reconcile(const char *station, bool as_json, bool with_tokens);

#endif
