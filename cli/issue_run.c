#include "cli/issue_run.h"

#include <limits.h>
#include <string.h>

#include "cli/cli_station.h"

int issue_run(const station_config *st, const order *o, const issue_run_secrets *sec,
              const char *operator_name, const issue_opts *opts, issue_result *r, sk_err *e)
{
    ledger *l = NULL;
    cli_ca_env cae;
    int ret;

    memset(&cae, 0, sizeof(cae));
    /* The CA first: a station that cannot issue must not get a ledger file as a side effect. */
    if ((ret = cli_ca_env_open(st, true, sec->ca_secret, &cae, e)) != SK_OK ||
        (ret = cli_ledger_open(st, &l, e)) != SK_OK)
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
