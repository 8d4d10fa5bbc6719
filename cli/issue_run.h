/* One issuance with everything it needs opened and closed around it: the ledger, the token
 * module, the CA and its seal maker. Shared by `sealkey issue` and the batch workers. */
#ifndef SK_ISSUE_RUN_H
#define SK_ISSUE_RUN_H

#include "issuer/issue.h"

typedef struct issue_run_secrets {
    const char *so_pin;
    const char *ca_secret;
} issue_run_secrets;

int issue_run(const station_config *st, const order *o, const issue_run_secrets *sec,
              const char *operator_name, const issue_opts *opts, issue_result *r, sk_err *e);

#endif
