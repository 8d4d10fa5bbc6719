/* The seal make operation (issuer/operations/operations.h): a GB/T 38540 seal for an issued order,
 * recorded in the ledger before its file exists, then in the audit log. */
#include "issuer/operations/operations.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sk_file.h"

/* The certificate of the order's verified issuance. */
static int issued_cert(ledger *l, const char *number, long long *id, X509 **cert, sk_err *e)
{
    ledger_issuance r;
    bool found = false;
    char *pem = NULL;
    BIO *b = NULL;
    int ret;

    *cert = NULL;
    /* The live certificate, even while (or after) a reissue of the order is attempted. */
    if ((ret = ledger_live(l, number, &r, &found, e)) != SK_OK ||
        (!found && (ret = ledger_latest(l, number, &r, &found, e)) != SK_OK))
        goto out;
    if (!found || r.step != ISS_VERIFIED || r.revoked_at[0] != '\0') {
        ret = sk_err_set(e, SK_ESTATE, "order %s is not issued (%s); issue it first", number,
                         found ? iss_step_name(r.step) : "not in the ledger");
        goto out;
    }
    if ((ret = ledger_cert_pem(l, r.id, &pem, e)) != SK_OK)
        goto out;
    b = pem != NULL ? BIO_new_mem_buf(pem, -1) : NULL;
    if (b == NULL || (*cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
        ret = sk_err_ossl(e, SK_ELEDGER, "order %s: the ledger holds no readable certificate",
                          number);
        goto out;
    }
    *id = r.id;
    ret = SK_OK;
out:
    BIO_free(b);
    free(pem);
    return ret;
}

int op_seal_prepare(const op_env *env, const order *o, const char *kind, const char *png_path,
                    op_seal *s, sk_err *e)
{
    const station_project *p = station_project_find(env->st, o->project_code);
    int ret;

    memset(s, 0, sizeof(*s));
    s->o = o;
    if (p == NULL)
        return sk_err_set(e, SK_EINPUT, "order %s: project_code '%s' is not in station.json",
                          o->number, o->project_code);
    if ((ret = issued_cert(env->ledger, o->number, &s->issuance_id, &s->cert, e)) != SK_OK)
        return ret;
    if (png_path != NULL)
        return issue_seal_picture_png(kind, p, png_path, &s->seal, e);
    return issue_seal_picture_scan(o, p, kind, &s->seal, e);
}

int op_seal_make(const op_env *env, op_seal *s, const sealmaker *maker, const char *out_path,
                 sk_err *e)
{
    const order *o = s->o;
    char dir[PATH_MAX];
    int ret;

    if ((ret = issue_seal_build(maker, o, s->cert, &s->seal, e)) != SK_OK)
        return ret;
    if (out_path != NULL) {
        snprintf(s->path, sizeof(s->path), "%s", out_path);
    } else {
        /* The order's directory, never reached through a link (station_order_dir). */
        if ((ret = station_order_dir(env->st, o->number, dir, sizeof(dir), e)) != SK_OK)
            return ret;
        if (snprintf(s->path, sizeof(s->path), "%s/%s-%s.esl", dir, s->seal.kind,
                     s->seal.es_id) >= (int)sizeof(s->path))
            return sk_err_set(e, SK_EINPUT, "output path too long");
    }
    /* Recorded first: a seal file whose esID the ledger does not know must never exist. */
    audit_event ev = {.event = AUDIT_EV_SEAL_MADE,
                      .result = AUDIT_OK,
                      .order = o->number,
                      .detail = s->seal.es_id};
    if ((ret = ledger_seal_add(env->ledger, s->issuance_id, o->number, s->seal.kind,
                               s->seal.es_id, s->seal.sha256, e)) != SK_OK ||
        (ret = sk_file_write_atomic(s->path, s->seal.der, s->seal.der_len, 0644, e)) != SK_OK)
        return ret;
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        return sk_err_wrap(e, "audit log");
    return SK_OK;
}

void op_seal_clear(op_seal *s)
{
    issue_seal_clear(&s->seal);
    X509_free(s->cert);
    memset(s, 0, sizeof(*s));
}
