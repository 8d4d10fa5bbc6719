/* External signing: the certificates the CA's own system returns, each matched to the
 * issuance waiting for it and finished (issue_finish), with what issue_run opens around
 * an issuance. */
#ifndef SK_ISSUE_IMPORT_H
#define SK_ISSUE_IMPORT_H

#include "issuer/issuance/issue_env.h"

/* What became of one certificate file. */
typedef struct issue_import_item {
    const char *path;
    char order[64];    /* the order it was matched to, "" if none */
    int status;        /* SK_OK: the order's token is finished and verified */
    const sk_err *err; /* when status is not SK_OK */
    const issue_result *r;
} issue_import_item;
typedef void (*issue_import_fn)(void *ctx, const issue_import_item *it);

/* Each path is a certificate file (PEM or DER) or a directory of them (*.pem, *.crt, *.cer,
 * *.der, in name order). A certificate is matched to the issuance at awaiting_certificate
 * whose token key it carries (none: refused, SK_EINPUT), its order taken from orders, and
 * finished; fn hears of each. One refused certificate does not stop the others. Returns
 * SK_OK when every certificate finished its order, else the first failure's status (e gets
 * its message); an error opening the CA, ledger or tokens stops everything. */
int issue_import_certs(const station_config *st, const order_file *orders, const char *const *paths,
                       size_t n_paths, const issue_run_secrets *sec, const char *operator_name,
                       issue_import_fn fn, void *ctx, size_t *done, size_t *failed, sk_err *e);

#endif
