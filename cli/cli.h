/* Helpers shared by the command files. Only cli/ prints and chooses exit codes. */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "issuer/records/audit.h"
#include "issuer/records/ledger.h"
#include "issuer/station/station.h"
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

/* What a command needs before it runs, in its row of cli/main.c's table (the ledger's verbs:
 * cli/cmd_ledger.c). cli_run (cli/cli_run.c) provides each, in this order, and the command
 * finds it in its cli_ctx. */
enum cli_needs {
    CLI_OPERATOR = 1u << 0,      /* records something: the operator's name is checked first */
    CLI_STATION = 1u << 1,       /* station.json loaded (--station, $SEALKEY_STATION, else .) */
    CLI_STATION_IF_ASKED = 1u << 2, /* loaded when the options ask for one (want_station) */
    CLI_LEDGER = 1u << 3,        /* the station's ledger (or --ledger) open, and its audit sink */
    CLI_CA_SECRET = 1u << 4,     /* the CA passphrase or CA HSM PIN read (--ca-pass, else
                                    ca.passphrase), after the command's prepare step */
    CLI_NEW_CA_SECRET = 1u << 5, /* the same, for a new CA: a passphrase is asked twice */
    CLI_SO_PIN = 1u << 6,        /* the tokens' SO PIN (pin_policy.so_pin) read, before the
                                    CA secret: what an issuance needs */
};

/* Return of a parse that has answered by itself (--help): exit status 0, nothing more. */
#define CLI_DONE (-1)

typedef struct cli_secrets cli_secrets;

/* One run of a command. */
typedef struct cli_ctx {
    /* Set by the command's parse. */
    void *args;               /* its own options (cli_args) */
    const char *station_opt;  /* --station DIR */
    const char *operator_opt; /* --operator NAME, for the commands that take it */
    const char *ca_pass_opt;  /* --ca-pass SOURCE */
    const char *ledger_opt;   /* --ledger LOCATION: a ledger other than the station's */
    bool want_station;        /* with CLI_STATION_IF_ASKED */
    unsigned needs;           /* the row's; a parse that picks a verb among its options sets
                                 the verb's */
    /* Provided by cli_run as needs says, and released after the command. */
    const char *operator_name;
    station_config *st;
    ledger *ledger;
    char ledger_where[PATH_MAX]; /* the ledger's location, for messages */
    audit_sink *audit;        /* the station's record keeper, on ledger, with the operator */
    cli_secrets *secrets;     /* so_pin, ca_secret; cli_ctx_wipe when done with it */
    /* Set by prepare, when the command keeps its secrets elsewhere (batch and station: the
     * supervisor's locked memory, which its workers inherit): where CLI_SO_PIN and the CA
     * secret are read to, SK_SECRET_MAX bytes each; secrets is then not allocated. */
    char *so_pin_to, *ca_secret_to;
    /* Set by prepare when it has handed st to an owner that frees it with the command's
     * args (batch and station: sup_new takes it over): cli_run does not free it. */
    bool st_taken;
    /* cli_run's own */
    void (*args_free)(void *args);
    bool out_of_memory;       /* cli_args could not allocate: parse goes on, cli_run reports */
} cli_ctx;

/* A command: parse reads the options into c (returning an exit status it has reported, or
 * CLI_DONE, or SK_OK to go on), prepare (optional) checks what needs the station and the
 * ledger but not the CA secret, run does the work, printing its results, and returns a
 * status with e filled (cli_run reports it; e left clear: already said). */
typedef struct cli_cmd {
    unsigned needs;
    int (*parse)(int argc, char **argv, cli_ctx *c);
    int (*prepare)(cli_ctx *c, sk_err *e);
    int (*run)(cli_ctx *c, sk_err *e);
} cli_cmd;

/* The dispatcher: parse, the preconditions of c->needs, prepare, run; the exit status. */
int cli_run(const cli_cmd *cmd, int argc, char **argv);

/* The command's options struct: size bytes, zeroed, owned by c (freed with free_fn, if
 * given, then free). NULL when out of memory: parse returns SK_OK and cli_run says so. */
void *cli_args(cli_ctx *c, size_t size, void (*free_fn)(void *args));

/* Wipe and release the secrets as soon as the command is done with them. */
void cli_ctx_wipe(cli_ctx *c);

/* The station's operations (issuer/operations/operations.h) on what c holds. */
#define CLI_OP_ENV(c) {.st = (c)->st, .ledger = (c)->ledger, .audit = (c)->audit}

/* Subcommands, each in its own cmd_*.c file, printing its usage on -h/--help. Those run
 * through cli_run have their needs in cli/main.c's table: */
int cmd_status_parse(int argc, char **argv, cli_ctx *c);
int cmd_status_run(cli_ctx *c, sk_err *e);
int cmd_ship_parse(int argc, char **argv, cli_ctx *c);
int cmd_ship_run(cli_ctx *c, sk_err *e);
int cmd_export_parse(int argc, char **argv, cli_ctx *c);
int cmd_export_run(cli_ctx *c, sk_err *e);
int cmd_revoke_parse(int argc, char **argv, cli_ctx *c);
int cmd_revoke_run(cli_ctx *c, sk_err *e);
int cmd_crl_parse(int argc, char **argv, cli_ctx *c);
int cmd_crl_run(cli_ctx *c, sk_err *e);
int cmd_ocsp_index_parse(int argc, char **argv, cli_ctx *c);
int cmd_ocsp_index_run(cli_ctx *c, sk_err *e);
int cmd_csr_export_parse(int argc, char **argv, cli_ctx *c);
int cmd_csr_export_run(cli_ctx *c, sk_err *e);
int cmd_cert_import_parse(int argc, char **argv, cli_ctx *c);
int cmd_cert_import_prepare(cli_ctx *c, sk_err *e);
int cmd_cert_import_run(cli_ctx *c, sk_err *e);
int cmd_ca_init_parse(int argc, char **argv, cli_ctx *c);
int cmd_ca_init_prepare(cli_ctx *c, sk_err *e);
int cmd_ca_init_run(cli_ctx *c, sk_err *e);
int cmd_ca_show_parse(int argc, char **argv, cli_ctx *c);
int cmd_ca_show_run(cli_ctx *c, sk_err *e);
int cmd_ca_request_parse(int argc, char **argv, cli_ctx *c);
int cmd_ca_request_prepare(cli_ctx *c, sk_err *e);
int cmd_ca_request_run(cli_ctx *c, sk_err *e);
int cmd_ca_import_parse(int argc, char **argv, cli_ctx *c);
int cmd_ca_import_run(cli_ctx *c, sk_err *e);
int cmd_seal_make_parse(int argc, char **argv, cli_ctx *c);
int cmd_seal_make_prepare(cli_ctx *c, sk_err *e);
int cmd_seal_make_run(cli_ctx *c, sk_err *e);
int cmd_seal_verify_parse(int argc, char **argv, cli_ctx *c);
int cmd_seal_verify_run(cli_ctx *c, sk_err *e);
int cmd_seal_sign_parse(int argc, char **argv, cli_ctx *c);
int cmd_seal_sign_run(cli_ctx *c, sk_err *e);
int cmd_seal_picture_parse(int argc, char **argv, cli_ctx *c);
int cmd_seal_picture_run(cli_ctx *c, sk_err *e);
int cmd_order_check_parse(int argc, char **argv, cli_ctx *c);
int cmd_order_check_run(cli_ctx *c, sk_err *e);
int cmd_issue_parse(int argc, char **argv, cli_ctx *c);
int cmd_issue_prepare(cli_ctx *c, sk_err *e);
int cmd_issue_run(cli_ctx *c, sk_err *e);
int cmd_batch_parse(int argc, char **argv, cli_ctx *c);
int cmd_batch_prepare(cli_ctx *c, sk_err *e);
int cmd_batch_run(cli_ctx *c, sk_err *e);
int cmd_station_parse(int argc, char **argv, cli_ctx *c);
int cmd_station_prepare(cli_ctx *c, sk_err *e);
int cmd_station_run(cli_ctx *c, sk_err *e);

/* ... and those that see to everything themselves. */
int cmd_seal_show(int argc, char **argv);

/* Groups: their usage, and the messages for a missing or unknown verb. */
int cmd_order(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_seal(int argc, char **argv);

#endif
