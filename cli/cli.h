/* Helpers shared by the command files. Only cli/ prints and chooses exit codes. */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <stdio.h>

#include "util/sk_err.h"

/* Print "sealkey: <message>" to stderr and return the error's code as the exit status. */
int cli_report(const sk_err *e);

/* Print "sealkey <cmd>: <message>" and the usage line to stderr; returns SK_EUSAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The station directory: the --station option if given, else $SEALKEY_STATION, else ".". */
const char *cli_station_dir(const char *opt);

/* The operator's name for the ledger: --operator, else $SEALKEY_OPERATOR, else the login name. */
const char *cli_operator(const char *opt);

/* Check that name (audit_operator_check) at the start of every command that records
 * anything, before it touches a ledger, token or file: SK_EUSAGE for a bad --operator,
 * SK_EINPUT for a bad $SEALKEY_OPERATOR or login name. opt is --operator or NULL. */
int cli_operator_check(const char *opt, sk_err *e);

/* Subcommands; each lives in its own cmd_*.c file and prints its usage on -h/--help. */
int cmd_order(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_issue(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_crl(int argc, char **argv);
int cmd_ship(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_seal_picture(int argc, char **argv);
int cmd_seal_make(int argc, char **argv);
int cmd_seal_verify(int argc, char **argv);
int cmd_seal_show(int argc, char **argv);

#endif
