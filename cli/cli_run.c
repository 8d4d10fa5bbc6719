/* The dispatcher of cli/cli.h: what a command's table row says it needs, provided once,
 * in one order, for every command: the operator's name checked, the station loaded, the
 * ledger and the audit sink opened, the command's own checks, the SO PIN and the CA secret
 * read. */
#include "cli/cli.h"

#include <stdlib.h>

#include "cli/cli_secrets.h"

void *cli_args(cli_ctx *c, size_t size, void (*free_fn)(void *args))
{
    c->args = calloc(1, size);
    c->args_free = free_fn;
    c->out_of_memory = c->args == NULL;
    return c->args;
}

void cli_ctx_wipe(cli_ctx *c)
{
    cli_secrets_free(c->secrets);
    c->secrets = NULL;
}

static int open_ledger(cli_ctx *c, sk_err *e)
{
    int ret = station_path(c->st, c->ledger_opt != NULL ? c->ledger_opt : c->st->ledger,
                           c->ledger_where, sizeof(c->ledger_where), e);

    if (ret == SK_OK)
        ret = ledger_open(c->ledger_where, &c->ledger, e);
    if (ret == SK_OK)
        ret = audit_sink_open_station(c->st, c->ledger, c->operator_name, &c->audit, e);
    return ret;
}

/* The secrets of c->needs, read into where prepare said (so_pin_to, ca_secret_to), else into
 * c->secrets: the SO PIN first, then the CA secret. */
static int read_secrets(cli_ctx *c, sk_err *e)
{
    unsigned n = c->needs;
    int ret;

    if (c->so_pin_to == NULL || c->ca_secret_to == NULL) {
        if ((ret = cli_secrets_new(&c->secrets, e)) != SK_OK)
            return ret;
        c->so_pin_to = c->secrets->so_pin;
        c->ca_secret_to = c->secrets->ca_secret;
    }
    if ((n & CLI_SO_PIN) &&
        (ret = cli_station_secret(c->st, NULL, c->st->so_pin, "SO PIN", false, c->so_pin_to,
                                  SK_SECRET_MAX, e)) != SK_OK)
        return ret;
    if (n & (CLI_CA_SECRET | CLI_NEW_CA_SECRET))
        return cli_ca_secret(c->st, c->ca_pass_opt, (n & CLI_NEW_CA_SECRET) != 0,
                             c->ca_secret_to, SK_SECRET_MAX, e);
    return SK_OK;
}

#define CLI_SECRETS (CLI_SO_PIN | CLI_CA_SECRET | CLI_NEW_CA_SECRET)

static int setup(cli_ctx *c, const cli_cmd *cmd, sk_err *e)
{
    unsigned n = c->needs;
    int ret;

    if (n & CLI_OPERATOR) {
        if ((ret = cli_operator_check(c->operator_opt, e)) != SK_OK)
            return ret;
        c->operator_name = cli_operator(c->operator_opt);
    }
    if ((n & (CLI_STATION | CLI_LEDGER | CLI_SECRETS)) ||
        ((n & CLI_STATION_IF_ASKED) && c->want_station)) {
        if ((ret = station_load(cli_station_dir(c->station_opt), &c->st, e)) != SK_OK)
            return ret;
    }
    if ((n & CLI_LEDGER) && (ret = open_ledger(c, e)) != SK_OK)
        return ret;
    /* The command's checks before the secrets: acquired late, they are asked for only when
     * everything else that can be checked has been. */
    if (cmd->prepare != NULL && (ret = cmd->prepare(c, e)) != SK_OK)
        return ret;
    if (n & CLI_SECRETS)
        return read_secrets(c, e);
    return SK_OK;
}

int cli_run(const cli_cmd *cmd, int argc, char **argv)
{
    cli_ctx c = {.needs = cmd->needs};
    sk_err e;
    int ret;

    sk_err_clear(&e);
    ret = cmd->parse(argc, argv, &c);
    if (ret == SK_OK && c.out_of_memory)
        ret = cli_report(&(sk_err){.code = SK_EINTERNAL, .msg = "out of memory"});
    if (ret == SK_OK && (ret = setup(&c, cmd, &e)) == SK_OK)
        ret = cmd->run(&c, &e);
    /* A command that has said what went wrong leaves e clear (reconcile's violations). */
    if (ret != SK_OK && ret != CLI_DONE && e.code != SK_OK)
        ret = cli_report(&e);
    cli_ctx_wipe(&c);
    audit_sink_free(c.audit);
    ledger_free(c.ledger);
    if (c.args != NULL && c.args_free != NULL)
        c.args_free(c.args);
    free(c.args);
    if (!c.st_taken)
        station_free(c.st);
    return ret == CLI_DONE ? SK_OK : ret;
}
