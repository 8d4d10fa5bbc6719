/* Returned certificates into finished tokens (issuer/issuance/issue_import.h). */
#include "issuer/issuance/issue_import.h"

#include <dirent.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "issuer/records/audit.h"
#include "util/sk_file.h"

#define CERT_FILE_MAX (1 << 20)

/* A certificate file as the CA's system may send it: PEM, or DER. */
static int read_cert(const char *path, X509 **out, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    const unsigned char *p;
    BIO *b = NULL;
    int ret;

    *out = NULL;
    if ((ret = sk_file_read(path, CERT_FILE_MAX, &data, &len, e)) != SK_OK)
        return ret;
    if ((b = BIO_new_mem_buf(data, (int)len)) != NULL)
        *out = PEM_read_bio_X509(b, NULL, NULL, NULL);
    if (*out == NULL) {
        p = data;
        *out = d2i_X509(NULL, &p, (long)len);
        /* One DER certificate and nothing after it: trailing bytes are not ours to ignore. */
        if (*out != NULL && p != data + len) {
            X509_free(*out);
            *out = NULL;
        }
    }
    ERR_clear_error();
    BIO_free(b);
    free(data);
    return *out != NULL ? SK_OK
                        : sk_err_set(e, SK_EINPUT, "%s: not a certificate (PEM or DER)", path);
}

/* The issuance waiting for the certificate's key, by the requests the ledger holds. */
static int match(ledger *l, X509 *cert, const ledger_issuance *waiting, size_t n,
                 const ledger_issuance **found, sk_err *e)
{
    int ret = SK_OK;

    *found = NULL;
    for (size_t i = 0; i < n && *found == NULL && ret == SK_OK; i++) {
        char *pem = NULL;
        BIO *b = NULL;
        X509_REQ *req = NULL;
        if ((ret = ledger_csr_pem(l, waiting[i].id, &pem, e)) != SK_OK || pem == NULL)
            continue;
        if ((b = BIO_new_mem_buf(pem, -1)) != NULL &&
            (req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL)) != NULL &&
            EVP_PKEY_eq(X509_get0_pubkey(cert), X509_REQ_get0_pubkey(req)) == 1)
            *found = &waiting[i];
        ERR_clear_error();
        X509_REQ_free(req);
        BIO_free(b);
        free(pem);
    }
    return ret;
}

struct run {
    const issue_env *env;
    const order_file *orders;
    issue_import_fn fn;
    void *ctx;
    size_t *done, *failed;
    int first;
    sk_err *e;
};

static void one(struct run *rn, const char *path)
{
    ledger_issuance *waiting = NULL;
    const ledger_issuance *iss = NULL;
    const order *o = NULL;
    X509 *cert = NULL;
    issue_result r;
    issue_import_item it = {.path = path, .r = &r};
    sk_err e;
    int ret;
    size_t n = 0;

    memset(&r, 0, sizeof(r));
    sk_err_clear(&e);
    if ((ret = read_cert(path, &cert, &e)) != SK_OK ||
        (ret = ledger_awaiting(rn->env->ledger, &waiting, &n, &e)) != SK_OK ||
        (ret = match(rn->env->ledger, cert, waiting, n, &iss, &e)) != SK_OK)
        goto out;
    if (iss == NULL) {
        ret = sk_err_set(&e, SK_EINPUT,
                         "%s: its key is the token key of no order waiting for "
                         "a certificate",
                         path);
        goto out;
    }
    snprintf(it.order, sizeof(it.order), "%s", iss->order_number);
    if ((o = order_file_find(rn->orders, iss->order_number)) == NULL) {
        ret = sk_err_set(&e, SK_EINPUT, "%s: for order %s, which is not in %s", path,
                         iss->order_number, rn->orders->path);
        goto out;
    }
    if ((ret = issue_finish(rn->env, o, iss, cert, &r, &e)) != SK_OK)
        sk_err_wrap(&e, "%s", path);
out:
    it.status = ret;
    it.err = &e;
    if (ret == SK_OK)
        (*rn->done)++;
    else {
        (*rn->failed)++;
        if (rn->first == SK_OK) {
            rn->first = ret;
            *rn->e = e;
        }
    }
    rn->fn(rn->ctx, &it);
    X509_free(cert);
    free(waiting);
}

static bool cert_name(const char *name)
{
    static const char *const ext[] = {".pem", ".crt", ".cer", ".der"};
    size_t len = strlen(name);

    if (name[0] == '.')
        return false;
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
        if (len > 4 && strcmp(name + len - 4, ext[i]) == 0)
            return true;
    return false;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int filter(const struct dirent *d)
{
    return cert_name(d->d_name);
}

/* A directory: every certificate file in it, in name order. */
static int walk(struct run *rn, const char *dir, sk_err *e)
{
    struct dirent **names = NULL;
    char path[PATH_MAX];
    int n = scandir(dir, &names, filter, by_name);

    if (n < 0)
        return sk_err_set(e, SK_EIO, "%s: cannot read the directory", dir);
    for (int i = 0; i < n; i++) {
        if (sk_path_join(path, sizeof(path), dir, names[i]->d_name, e) == SK_OK)
            one(rn, path);
        free(names[i]);
    }
    free(names);
    return SK_OK;
}

int issue_import_certs(const station_config *st, const order_file *orders, const char *const *paths,
                       size_t n_paths, const issue_run_secrets *sec, const char *operator_name,
                       issue_import_fn fn, void *ctx, size_t *done, size_t *failed, sk_err *e)
{
    ledger *l = NULL;
    audit_sink *audit = NULL;
    issue_ca_env cae;
    struct stat sb;
    int ret;

    *done = *failed = 0;
    memset(&cae, 0, sizeof(cae));
    if (!st->ca_external) {
        ret = sk_err_set(e, SK_ESTATE,
                         "%s/station.json: ca.signing is not \"external\": this "
                         "station signs its certificates itself",
                         st->dir);
        goto out;
    }
    if ((ret = issue_ca_open(st, true, sec->ca_secret, &cae, e)) != SK_OK ||
        (ret = issue_ledger_open(st, &l, e)) != SK_OK ||
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
    struct run rn = {.env = &env,
                     .orders = orders,
                     .fn = fn,
                     .ctx = ctx,
                     .done = done,
                     .failed = failed,
                     .first = SK_OK,
                     .e = e};
    for (size_t i = 0; i < n_paths; i++) {
        if (stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if ((ret = walk(&rn, paths[i], e)) != SK_OK)
                goto out;
        } else {
            one(&rn, paths[i]);
        }
    }
    ret = rn.first;
out:
    audit_sink_free(audit);
    ledger_free(l);
    issue_ca_close(&cae);
    return ret;
}
