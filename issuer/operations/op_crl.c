/* The crl operation (issuer/operations/operations.h): the CRLs of the station's CA chain, numbered
 * by the ledger, kept in the station, published, and recorded in the audit log. */
#include "issuer/operations/operations.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/ca/ca_util.h"
#include "util/sk_file.h"

/* Write the CRL as PEM or DER, atomically, mode 0644. */
static int write_crl(const char *path, X509_CRL *crl, bool der, sk_err *e)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL;
    long len;
    int ret;

    if (b == NULL || !(der ? i2d_X509_CRL_bio(b, crl) : PEM_write_bio_X509_CRL(b, crl))) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: encoding the CRL", path);
        goto out;
    }
    len = BIO_get_mem_data(b, &data);
    ret = sk_file_write_atomic(path, data, (size_t)len, 0644, e);
out:
    BIO_free(b);
    return ret;
}

/* NAME (DER) and NAME.pem in the publication directory. */
static int publish(const char *dir, const char *name, X509_CRL *crl, sk_err *e)
{
    char path[PATH_MAX], pem[CA_CRL_NAME_MAX + 8];
    int ret;

    snprintf(pem, sizeof(pem), "%s.pem", name);
    if ((ret = sk_path_join(path, sizeof(path), dir, name, e)) != SK_OK ||
        (ret = write_crl(path, crl, true, e)) != SK_OK ||
        (ret = sk_path_join(path, sizeof(path), dir, pem, e)) != SK_OK ||
        (ret = write_crl(path, crl, false, e)) != SK_OK)
        return ret;
    return SK_OK;
}

/* The station's own copies first (what it verifies against), then the published ones. */
static int write_all(const op_env *env, X509_CRL *crl, X509_CRL *root_crl, const op_crl_opts *o,
                     const op_crl_result *r, sk_err *e)
{
    char path[PATH_MAX];
    int ret;

    if ((ret = station_path(env->st, "ca/issuing.crl", path, sizeof(path), e)) != SK_OK ||
        (ret = write_crl(path, crl, false, e)) != SK_OK ||
        (o->out_path != NULL && (ret = write_crl(o->out_path, crl, false, e)) != SK_OK))
        return ret;
    if (root_crl != NULL &&
        ((ret = station_path(env->st, "ca/root.crl", path, sizeof(path), e)) != SK_OK ||
         (ret = write_crl(path, root_crl, false, e)) != SK_OK))
        return ret;
    if ((ret = sk_mkdir_p(r->publish_dir, 0755, e)) != SK_OK)
        return ret;
    for (size_t i = 0; i < r->names.n_issuing; i++)
        if ((ret = publish(r->publish_dir, r->names.issuing[i], crl, e)) != SK_OK)
            return ret;
    if (root_crl != NULL && (ret = publish(r->publish_dir, r->names.root, root_crl, e)) != SK_OK)
        return ret;
    return SK_OK;
}

int op_crl(const op_env *env, ca *c, EVP_PKEY *root_key, const op_crl_opts *o,
           op_crl_result *r, sk_err *e)
{
    ledger_issuance *rev = NULL;
    X509_CRL *crl = NULL, *root_crl = NULL;
    char root_id[64], detail[160];
    int ret;

    memset(r, 0, sizeof(*r));
    if ((ret = ca_crl_names_get(env->st, c, &r->names, e)) != SK_OK)
        goto out;
    if (o->publish_dir != NULL)
        snprintf(r->publish_dir, sizeof(r->publish_dir), "%s", o->publish_dir);
    else if ((ret = station_path(env->st, "crl", r->publish_dir, sizeof(r->publish_dir), e)) !=
             SK_OK)
        goto out;

    /* The issuing CA's CRL, then the root's (each numbered under its own issuer id). */
    if ((ret = ledger_revoked(env->ledger, ca_issuer_id(c), &rev, &r->n_revoked, e)) != SK_OK ||
        (ret = ledger_next_crl_number(env->ledger, ca_issuer_id(c), &r->number, e)) != SK_OK ||
        (ret = ca_make_crl(c, rev, r->n_revoked, r->number, o->days, &crl, e)) != SK_OK)
        goto out;
    cau_ski_hex(ca_root_cert(c), root_id, sizeof(root_id));
    if (root_key != NULL &&
        ((ret = ledger_next_crl_number(env->ledger, root_id, &r->root_number, e)) != SK_OK ||
         (ret = ca_make_root_crl(c, root_key, r->root_number, o->days, &root_crl, e)) != SK_OK))
        goto out;
    r->root_crl = root_crl != NULL;
    if ((ret = write_all(env, crl, root_crl, o, r, e)) != SK_OK)
        goto out;

    if (root_crl != NULL)
        snprintf(detail, sizeof(detail), "CRL %lld, %zu revoked; root CRL %lld", r->number,
                 r->n_revoked, r->root_number);
    else
        snprintf(detail, sizeof(detail), "CRL %lld, %zu revoked; no root key for a root CRL",
                 r->number, r->n_revoked);
    audit_event ev = {.event = AUDIT_EV_CRL_ISSUED, .result = AUDIT_OK, .detail = detail};
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        sk_err_wrap(e, "audit log");
out:
    X509_CRL_free(crl);
    X509_CRL_free(root_crl);
    free(rev);
    return ret;
}
