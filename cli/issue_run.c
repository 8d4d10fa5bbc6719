#include "cli/issue_run.h"

#include <limits.h>
#include <string.h>

#include "cli/cli_station.h"

int issue_run(const station_config *st, const order *o, const issue_run_secrets *sec,
              const char *operator_name, const issue_opts *opts, issue_result *r, sk_err *e)
{
    ledger *l = NULL;
    cli_ca_env cae;
    char ledger_path[PATH_MAX];
    int ret;

    memset(&cae, 0, sizeof(cae));
    if ((ret = station_path(st, st->ledger, ledger_path, sizeof(ledger_path), e)) != SK_OK ||
        (ret = ledger_open(ledger_path, &l, e)) != SK_OK ||
        (ret = cli_ca_env_open(st, true, sec->ca_secret, &cae, e)) != SK_OK)
        goto out;
    issue_env env = {.st = st,
                     .ledger = l,
                     .tokens = cae.tokens,
                     .ca = cae.ca,
                     .maker = cae.maker,
                     .seal_root = cae.seal_root,
                     .so_pin = sec->so_pin,
                     .operator_name = operator_name};
    ret = issue_order(&env, o, opts, r, e);
out:
    cli_ca_env_close(&cae);
    ledger_free(l);
    return ret;
}
