#include "issuer/issuance/issue_env.h"

#include <string.h>
#include <time.h>

#include "issuer/records/audit.h"
#include "issuer/ca/ca_pki.h"
#include "issuer/ca/ca_util.h"

int issue_ledger_open(const station_config *st, ledger **l, sk_err *e)
{
    char path[4096];
    int ret = station_path(st, st->ledger, path, sizeof(path), e);

    *l = NULL;
    return ret != SK_OK ? ret : ledger_open(path, l, e);
}

int issue_ca_open(const station_config *st, bool want_tokens, const char *ca_secret,
                  issue_ca_env *env, sk_err *e)
{
    int ret;
    const char *ca_mod = st->ca_pkcs11_module != NULL ? st->ca_pkcs11_module : st->pkcs11_module;
    char ca_path[4096] = "";

    memset(env, 0, sizeof(*env));
    /* The CA's module resolved first (p11-kit loads its modules to name them), and compared
     * by file: "softhsm2" and its path are one module, which one process loads once. */
    if (st->ca_key_uri != NULL &&
        (ret = tok_module_resolve(ca_mod, ca_path, sizeof(ca_path), e)) != SK_OK)
        goto out;
    if (want_tokens && !st->token_skf &&
        (ret = tok_module_open(st->pkcs11_module, &env->tokens, e)) != SK_OK)
        goto out;
    if (want_tokens && st->token_skf && (ret = issue_skf_open(st, env, e)) != SK_OK)
        goto out;
    if (st->ca_key_uri != NULL) {
        if (env->tokens != NULL && tok_module_same_file(ca_path, tok_module_path(env->tokens)))
            env->hsm = env->tokens;
        else if ((ret = tok_module_open(ca_path, &env->hsm, e)) != SK_OK)
            goto out;
    }
    /* External signing: the CA's own system holds the issuing key (docs/pki.md). */
    if ((ret = st->ca_external ? ca_open_certs(st, &env->ca, e)
                               : ca_open(st, ca_secret, env->hsm, &env->ca, e)) != SK_OK)
        goto out;
    char dir[4096];
    if ((ret = station_path(st, "ca", dir, sizeof(dir), e)) != SK_OK ||
        (ret = station_path(st, "ca/" SEALMAKER_ROOT_CRT, env->seal_root, sizeof(env->seal_root),
                            e)) != SK_OK)
        goto out;
    if ((ret = sealmaker_open(dir, ca_secret, &env->maker, e)) != SK_OK)
        sk_err_wrap(e, "seal maker");
out:
    if (ret != SK_OK)
        issue_ca_close(env);
    return ret;
}

void issue_ca_close(issue_ca_env *env)
{
    issue_skf_close(env);
    sealmaker_free(env->maker);
    ca_free(env->ca);
    if (env->hsm != env->tokens)
        tok_module_free(env->hsm);
    tok_module_free(env->tokens);
    memset(env, 0, sizeof(*env));
}

int issue_run(const station_config *st, const order *o, const issue_run_secrets *sec,
              const char *operator_name, const issue_opts *opts, issue_result *r, sk_err *e)
{
    ledger *l = NULL;
    audit_sink *audit = NULL;
    issue_ca_env cae;
    int ret;

    memset(&cae, 0, sizeof(cae));
    /* The CA first: a station that cannot issue must not get a ledger file as a side effect. */
    if ((ret = issue_ca_open(st, true, sec->ca_secret, &cae, e)) != SK_OK)
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
    if ((ret = issue_ledger_open(st, &l, e)) != SK_OK ||
        (ret = audit_sink_open_station(st, l, operator_name, &audit, e)) != SK_OK)
        goto out;
    issue_env env = {.st = st,
                     .ledger = l,
                     .audit = audit,
                     .tokens = cae.tokens,
                     .skf = cae.skf,
                     .skf_auth_key = cae.skf_auth_key,
                     .kmc = cae.kmc,
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
    issue_ca_close(&cae);
    audit_sink_free(audit);
    ledger_free(l);
    return ret;
}

const char *issue_resume_uri(const station_config *st, const order *o, const char *uri)
{
    ledger *l = NULL;
    tok_module *m = NULL;
    tok_slot *slot = NULL;
    ledger_issuance prev;
    tok_info info;
    bool found = false;
    const char *use = uri;
    sk_err e;

    sk_err_clear(&e);
    if (issue_ledger_open(st, &l, &e) != SK_OK ||
        ledger_latest(l, o->number, &prev, &found, &e) != SK_OK || !found ||
        prev.step >= ISS_VERIFIED || prev.token_serial[0] == '\0')
        goto out;
    if (st->token_skf) /* SKF devices are found by serial in issue_order_skf */
        goto out;
    if (tok_module_open(st->pkcs11_module, &m, &e) == SK_OK &&
        tok_select(m, uri, &slot, &e) == SK_OK && tok_get_info(slot, &info, &e) == SK_OK &&
        strcmp(info.serial, prev.token_serial) == 0)
        use = NULL;
out:
    tok_slot_free(slot);
    tok_module_free(m);
    ledger_free(l);
    return use;
}
