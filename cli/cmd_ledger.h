/* sealkey ledger: create, migrate, export and import the ledger (docs/ledger.md). */
#ifndef SK_CMD_LEDGER_H
#define SK_CMD_LEDGER_H

#include <stdbool.h>

#include "cli/cli.h"

int cmd_ledger_parse(int argc, char **argv, cli_ctx *c);
int cmd_ledger_run(cli_ctx *c, sk_err *e);

/* sealkey ledger reconcile (cli/cmd_ledger_reconcile.c) on the station, ledger and audit
 * sink of c: SK_EFAIL with e clear when it has reported violations. */
int cmd_ledger_reconcile(cli_ctx *c, bool as_json, bool with_tokens, sk_err *e);

#endif
