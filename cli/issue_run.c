#include "cli/issue_run.h"

#include <limits.h>
#include <string.h>

#include "cli/cli_station.h"
#include "issuer/ca_util.h"

int issue_run(const station_config *st, const order *o, const issue_run_secrets *sec,
              const char *operator_name, const issue_opts *opts, issue_result *r, sk_err *e)
{
    ledger *l = NULL;
    audit_sink *audit = NULL;
    cli_ca_env cae;
    int ret;

    memset(&cae, 0, sizeof(cae));
    /* The CA first: a station that cannot issue must not get a ledger file as a side effect. */
    if ((ret = cli_ca_env_open(st, true, sec->ca_secret, &cae, e)) != SK_OK)
        goto out;
    /* A CA too close to its end is refused here, before a token or a serial is used. */
    const station_project *p = station_project_find(st, o->project_code);
    time_t not_after;
    bool capped = false;
    if (p != NULL &&
        (ret = ca_leaf_validity(cae.ca, p, time(NULL), &not_after, &capped, e)) != SK_OK) {
        sk_err_wrap(e, "order %s", o->number);
        goto out;
    }
    if ((ret = cli_ledger_open(st, &l, e)) != SK_OK ||
        (ret = audit_sink_open_station(st, l, operator_name, &audit, e)) != SK_OK)
        goto out;
    issue_env env = {.st = st,
                     .ledger = l,
                     .audit = audit,
                     .tokens = cae.tokens,
                     .ca = cae.ca,
                     .maker = cae.maker,
                     .seal_root = cae.seal_root,
                     .so_pin = sec->so_pin,
                     .operator_name = operator_name};
    ret = issue_order(&env, o, opts, r, e);
    if (ret == SK_OK && !r->already_issued) {
        /* Capped certificates end exactly when the issuing CA does. */
        char ca_end[32];
        cau_asn1_iso(X509_get0_notAfter(ca_issuing_cert(cae.ca)), ca_end, sizeof(ca_end));
        r->not_after_capped = strcmp(r->not_after, ca_end) == 0;
    }
out:
    cli_ca_env_close(&cae);
    audit_sink_free(audit);
    ledger_free(l);
    return ret;
}
