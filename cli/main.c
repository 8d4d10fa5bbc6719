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
#include "cli/cmd_station.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"order", cmd_order, "check an approved-order file and report every problem"},
    {"ca", cmd_ca, "create the station's CA hierarchy (ca init) and show it"},
    {"issue", cmd_issue, "turn one approved order into a personalised, verified token"},
    {"batch", cmd_batch, "issue every unfinished order of a file, several tokens at once"},
    {"status", cmd_status, "show where each order stands in the ledger"},
    {"ship", cmd_ship, "record the courier waybill of an issued order"},
    {"export", cmd_export, "status export for the acceptance system, parcel manifest"},
    {"revoke", cmd_revoke, "revoke an issued order's certificate (lost or faulty token)"},
    {"crl", cmd_crl, "issue and publish the issuing CA's and the root's CRLs"},
    {"audit", cmd_audit, "verify and show the hash-chained audit log"},
    {"ledger", cmd_ledger, "create, migrate, export and import the ledger"},
    {"seal", cmd_seal, "seal pictures and GB/T 38540 electronic seals"},
    {"form", cmd_form, "print an order's forms: application, authorization, seal-collection, delivery"},
    {"station", cmd_station, "wait for tokens in the readers and issue orders onto them"},
};

static void print_help(FILE *f)
{
    fprintf(f, "usage: sealkey <command> [options]    (sealkey <command> --help for more)\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexit status: 0 ok, 1 check failed, 2 usage, 3 bad input, 4 ledger/token state,\n"
               "5 token error, 6 PIN or passphrase, 7 crypto, 8 file system, 9 ledger, 10 internal,\n"
               "11 busy (another process or station holds the order)\n");
}

/* Test hook for tests/secrets_memory.sh: once the command has returned and freed what it
 * holds, stop so that the test can search this process's memory for the secrets it used
 * before exit() tears the memory down (and with it the evidence of a copy left behind). */
static void stop_before_exit_for_test(void)
{
    const char *v = getenv("SEALKEY_TEST_STOP_BEFORE_EXIT");

    if (v != NULL && strcmp(v, "1") == 0) {
        fflush(NULL);
        raise(SIGSTOP);
    }
}

int main(int argc, char **argv)
{
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
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return SK_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("sealkey %s\n", SEALKEY_VERSION);
        return SK_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            int ret = commands[i].fn(argc - 1, argv + 1);
            stop_before_exit_for_test();
            return ret;
        }
    }
    fprintf(stderr, "sealkey: '%s' is not a command\n", argv[1]);
    print_help(stderr);
    return SK_EUSAGE;
}
