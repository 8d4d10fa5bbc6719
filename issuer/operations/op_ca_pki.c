/* ca request and ca import (issuer/operations/operations.h): the CA files, then the audit
 * record, recorded under the ca_init event with a detail that says which step it was. */
#include "issuer/operations/operations.h"

#include <stdio.h>

int op_ca_request(const op_env *env, sk_keyalg key_alg, const char *ca_secret, tok_module *hsm,
                  sk_err *e)
{
    char detail[64];
    int ret;

    if ((ret = ca_request(env->st, key_alg, ca_secret, hsm, e)) != SK_OK)
        return ret;
    snprintf(detail, sizeof(detail), "request %s", sk_keyalg_name(key_alg));
    audit_event ev = {.event = AUDIT_EV_CA_INIT, .result = AUDIT_OK, .detail = detail};
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        return sk_err_wrap(e, "audit log");
    return SK_OK;
}

int op_ca_import(const op_env *env, const ca_import_files *f, const char *ca_secret,
                 tok_module *hsm, sk_err *e)
{
    const char *detail = f->cert != NULL && f->seal_cert != NULL ? "import issuing CA, seal maker"
                         : f->cert != NULL                       ? "import issuing CA"
                                                                 : "import seal maker";
    audit_event ev = {.event = AUDIT_EV_CA_INIT, .result = AUDIT_OK, .detail = detail};
    int ret;

    if ((ret = ca_import(env->st, f, ca_secret, hsm, e)) != SK_OK)
        return ret;
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        return sk_err_wrap(e, "audit log");
    return SK_OK;
}
