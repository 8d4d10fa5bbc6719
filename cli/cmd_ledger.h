/* sealkey ledger: create, migrate, export and import the ledger (docs/ledger.md). */
#ifndef SK_CMD_LEDGER_H
#define SK_CMD_LEDGER_H

int cmd_ledger(int argc, char **argv);

#endif
