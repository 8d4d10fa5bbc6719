/* sealkey: a table of subcommands and a dispatcher; each command is in its own file. */
#include <leptonica/allheaders.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cmd_form.h"
#include "cli/cmd_audit.h"
#include "cli/cmd_ledger.h"
#include "cli/cmd_token.h"

/* A row: a command (verb NULL) or one verb of a group. Either cmd, whose needs cli_run
 * provides after the command has read its options, or fn, which sees to everything itself
 * (and, for a group's own row, says which verbs there are). */
struct command {
    const char *name;
    const char *verb;
    cli_cmd cmd;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

#define RECORDS (CLI_OPERATOR | CLI_STATION | CLI_LEDGER)
/* An issuance opens its own ledger (issuer/issuance/issue_env.c): batch's and station's
 * workers each open theirs after the fork, so none is held across it. */
#define ISSUES (CLI_OPERATOR | CLI_STATION | CLI_SO_PIN | CLI_CA_SECRET)

static const struct command commands[] = {
    {"order", NULL, {0}, cmd_order, "check an approved-order file and report every problem"},
    {"order", "check", {CLI_STATION_IF_ASKED, cmd_order_check_parse, NULL, cmd_order_check_run},
     NULL, NULL},
    {"ca", NULL, {0}, cmd_ca, "create the station's CA hierarchy (ca init) and show it"},
    {"ca", "init", {RECORDS | CLI_NEW_CA_SECRET, cmd_ca_init_parse, cmd_ca_init_prepare,
                    cmd_ca_init_run}, NULL, NULL},
    {"ca", "show", {CLI_STATION, cmd_ca_show_parse, NULL, cmd_ca_show_run}, NULL, NULL},
    {"ca", "request", {RECORDS | CLI_NEW_CA_SECRET, cmd_ca_request_parse, cmd_ca_request_prepare,
                       cmd_ca_request_run}, NULL, NULL},
    {"ca", "import", {RECORDS | CLI_CA_SECRET, cmd_ca_import_parse, NULL, cmd_ca_import_run},
     NULL, NULL},
    {"issue", NULL, {ISSUES, cmd_issue_parse, cmd_issue_prepare, cmd_issue_run}, NULL,
     "turn one approved order into a personalised, verified token"},
    /* --dry-run drops the secrets from its needs. */
    {"batch", NULL, {ISSUES, cmd_batch_parse, cmd_batch_prepare, cmd_batch_run}, NULL,
     "issue every unfinished order of a file, several tokens at once"},
    /* External signing (docs/pki.md): the waiting requests out, the certificates back in. */
    {"csr-export", NULL, {RECORDS, cmd_csr_export_parse, NULL, cmd_csr_export_run}, NULL,
     "write the requests of orders waiting for certificates signed elsewhere"},
    {"cert-import", NULL, {ISSUES, cmd_cert_import_parse, cmd_cert_import_prepare,
                           cmd_cert_import_run}, NULL,
     "finish the tokens of waiting orders with the certificates that came back"},
    {"status", NULL, {CLI_STATION | CLI_LEDGER, cmd_status_parse, NULL, cmd_status_run}, NULL,
     "show where each order stands in the ledger"},
    {"ship", NULL, {RECORDS, cmd_ship_parse, NULL, cmd_ship_run}, NULL,
     "record the courier waybill of an issued order"},
    {"export", NULL, {RECORDS, cmd_export_parse, NULL, cmd_export_run}, NULL,
     "status export for the acceptance system, parcel manifest"},
    {"revoke", NULL, {RECORDS, cmd_revoke_parse, NULL, cmd_revoke_run}, NULL,
     "revoke an issued order's certificate (lost or faulty token)"},
    {"crl", NULL, {RECORDS | CLI_CA_SECRET, cmd_crl_parse, NULL, cmd_crl_run}, NULL,
     "issue and publish the issuing CA's and the root's CRLs"},
    /* Tokens after their issuance (issue 13): show reads, hold/release/lost revoke or
     * lift, unblock needs the SO PIN. */
    {"token", NULL, {0}, cmd_token, "show, unblock, hold, release or mark lost an issued token"},
    {"token", "show", {CLI_STATION | CLI_LEDGER, cmd_token_show_parse, NULL, cmd_token_show_run},
     NULL, NULL},
    {"token", "unblock", {RECORDS | CLI_SO_PIN, cmd_token_unblock_parse,
                          cmd_token_unblock_prepare, cmd_token_unblock_run}, NULL, NULL},
    {"token", "hold", {RECORDS, cmd_token_hold_parse, NULL, cmd_token_hold_run}, NULL, NULL},
    {"token", "release", {RECORDS, cmd_token_release_parse, NULL, cmd_token_release_run}, NULL,
     NULL},
    {"token", "lost", {RECORDS, cmd_token_lost_parse, NULL, cmd_token_lost_run}, NULL, NULL},
    {"ocsp-index", NULL, {RECORDS, cmd_ocsp_index_parse, NULL, cmd_ocsp_index_run}, NULL,
     "write the revocation status in the index format openssl ocsp serves"},
    {"audit", NULL, {0}, cmd_audit, "verify and show the hash-chained audit log"},
    /* Its verb may come among the options: its parse takes the verb's needs from its own
     * table (cli/cmd_ledger.c). */
    {"ledger", NULL, {0, cmd_ledger_parse, NULL, cmd_ledger_run}, NULL,
     "create, migrate, export and import the ledger"},
    {"seal", NULL, {0}, cmd_seal, "seal pictures and GB/T 38540 electronic seals"},
    {"seal", "picture", {CLI_STATION_IF_ASKED, cmd_seal_picture_parse, NULL,
                         cmd_seal_picture_run}, NULL, NULL},
    {"seal", "make", {RECORDS | CLI_CA_SECRET, cmd_seal_make_parse, cmd_seal_make_prepare,
                      cmd_seal_make_run}, NULL, NULL},
    {"seal", "verify", {CLI_STATION_IF_ASKED, cmd_seal_verify_parse, NULL, cmd_seal_verify_run},
     NULL, NULL},
    {"seal", "sign", {0, cmd_seal_sign_parse, NULL, cmd_seal_sign_run}, NULL, NULL},
    {"seal", "show", {0}, cmd_seal_show, NULL},
    {"seal", "extract-form", {0}, cmd_seal_extract_form, NULL},
    {"form", NULL, {CLI_STATION, cmd_form_parse, NULL, cmd_form_run}, NULL,
     "print an order's forms: application, authorization, seal-collection, delivery"},
    {"station", NULL, {ISSUES, cmd_station_parse, cmd_station_prepare, cmd_station_run}, NULL,
     "wait for tokens in the readers and issue orders onto them"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_help(FILE *f)
{
    fprintf(f, "usage: sealkey <command> [options]    (sealkey help <command>, or\n"
               "       sealkey <command> --help, for more)\n\n"
               "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (commands[i].verb == NULL)
            fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-8s %s\n", "help", "this list; help COMMAND [VERB]: that command's help");
    fprintf(f, "\nexit status: 0 ok, 1 check failed, 2 usage, 3 bad input, 4 ledger/token state,\n"
               "5 token error, 6 PIN or passphrase, 7 crypto, 8 file system, 9 ledger, 10 internal,\n"
               "11 busy (another process or station holds the order)\n");
}

/* --list-commands: every row of the table, "NAME" or "NAME VERB", a tab, and the summary
 * (empty for a verb). The man pages (dist/gen-man.sh), the bash completion and the man page
 * test read the commands from here, so a new row is covered without a second list. */
static void print_commands(FILE *f)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "%s%s%s\t%s\n", commands[i].name, commands[i].verb != NULL ? " " : "",
                commands[i].verb != NULL ? commands[i].verb : "",
                commands[i].summary != NULL ? commands[i].summary : "");
}

/* Test hook for tests/secrets_memory.sh: once the command has returned and freed what it
 * holds, stop so that the test can search this process's memory for the secrets it used
 * before exit() tears the memory down (and with it the evidence of a copy left behind).
 * Only in test builds (CMake SEALKEY_TEST_HOOKS). */
static void stop_before_exit_for_test(void)
{
#ifdef SEALKEY_TEST_HOOKS
    const char *v = getenv("SEALKEY_TEST_STOP_BEFORE_EXIT");

    if (v != NULL && strcmp(v, "1") == 0) {
        fflush(NULL);
        raise(SIGSTOP);
    }
#endif
}

/* A test build says so wherever its version is shown, and the tests ask it (tests/lib.sh). */
#ifdef SEALKEY_TEST_HOOKS
#define BUILD_NOTE " (test build: SEALKEY_TEST_* hooks compiled in; not for production)"
#else
#define BUILD_NOTE ""
#endif

/* The row for argv: a group's verb if argv[2] names one, else the command's own row. */
static const struct command *find(int argc, char **argv)
{
    const struct command *own = NULL;

    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct command *r = &commands[i];
        if (strcmp(argv[1], r->name) != 0)
            continue;
        if (r->verb == NULL)
            own = r;
        else if (argc > 2 && strcmp(argv[2], r->verb) == 0)
            return r;
    }
    return own;
}

/* sealkey help CMD [VERB]: the command's own --help, so that the text is written once, in
 * its file. */
static int help_command(int argc, char **argv)
{
    char help[] = "--help";
    char *sub[5] = {argv[0], argv[2], NULL, NULL, NULL};
    int n = 2, skip;
    const struct command *row;

    if (argc > 4) {
        fprintf(stderr, "sealkey: help takes a command and at most one of its verbs\n"
                        "usage: sealkey help [COMMAND [VERB]]\n");
        return SK_EUSAGE;
    }
    if (argc == 4)
        sub[n++] = argv[3];
    sub[n++] = help;
    if ((row = find(n, sub)) == NULL) {
        fprintf(stderr, "sealkey: help: '%s' is not a command\n", argv[2]);
        print_help(stderr);
        return SK_EUSAGE;
    }
    /* A verb the table does not list (the ledger's, export's) goes to its command, which
     * judges it as it would "sealkey CMD VERB --help". */
    skip = row->verb != NULL ? 2 : 1;
    return row->fn != NULL ? row->fn(n - skip, sub + skip)
                           : cli_run(&row->cmd, n - skip, sub + skip);
}

int main(int argc, char **argv)
{
    const struct command *row;

    /* Everything sealkey creates is private unless a command widens it on purpose. */
    umask(077);
    /* No core file and no same-user ptrace: a crash mid-issuance would otherwise leave the
     * PINs, the CA passphrase and the decrypted CA key in a core dump. */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* Leptonica reports to stderr by default; sealkey's own messages say what went wrong. */
    setMsgSeverity(L_SEVERITY_NONE);
    if (argc < 2) {
        print_help(stderr);
        return SK_EUSAGE;
    }
    if (strcmp(argv[1], "help") == 0 && argc > 2)
        return help_command(argc, argv);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return SK_OK;
    }
    if (strcmp(argv[1], "--list-commands") == 0) {
        print_commands(stdout);
        return SK_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("sealkey %s%s\n", SEALKEY_VERSION, BUILD_NOTE);
        return SK_OK;
    }
    if ((row = find(argc, argv)) != NULL) {
        /* A verb's options start after it: its argv[0] is the verb. */
        int skip = row->verb != NULL ? 2 : 1;
        int ret = row->fn != NULL ? row->fn(argc - skip, argv + skip)
                                  : cli_run(&row->cmd, argc - skip, argv + skip);
        stop_before_exit_for_test();
        return ret;
    }
    fprintf(stderr, "sealkey: '%s' is not a command\n", argv[1]);
    print_help(stderr);
    return SK_EUSAGE;
}
