/* The ocsp index operation (issuer/operations/operations.h): the ledger's revocation status
 * for an OCSP responder, written, then recorded in the audit log. */
#include "issuer/operations/operations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/ca/ca_ocsp.h"
#include "util/sk_file.h"
#include "util/sk_pem.h"

int op_ocsp_index(const op_env *env, const char *out_path, op_ocsp_result *r, sk_err *e)
{
    X509 *issuing = NULL;
    char path[PATH_MAX], detail[128], *text = NULL;
    size_t len = 0;
    ca_ocsp_counts n;
    int ret;

    memset(r, 0, sizeof(*r));
    if ((ret = station_path(env->st, "ca/issuing.crt", path, sizeof(path), e)) != SK_OK)
        goto out;
    if ((ret = sk_pem_read_cert(path, &issuing, e)) != SK_OK) {
        sk_err_wrap(e, "no issuing CA in this station");
        goto out;
    }
    if ((ret = ca_ocsp_index(env->ledger, issuing, &text, &len, &n, e)) != SK_OK)
        goto out;
    if (out_path != NULL) {
        snprintf(r->path, sizeof(r->path), "%s", out_path);
    } else {
        if ((ret = station_path(env->st, "ocsp", path, sizeof(path), e)) != SK_OK ||
            (ret = sk_mkdir_nofollow(path, 0755, e)) != SK_OK ||
            (ret = station_path(env->st, "ocsp/index.txt", r->path, sizeof(r->path), e)) != SK_OK)
            goto out;
    }
    if ((ret = sk_file_write_atomic(r->path, text, len, 0644, e)) != SK_OK)
        goto out;
    r->good = n.good;
    r->revoked = n.revoked;
    snprintf(detail, sizeof(detail), "ocsp index: %zu good, %zu revoked", n.good, n.revoked);
    audit_event ev = {.event = AUDIT_EV_EXPORTED, .result = AUDIT_OK, .detail = detail};
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        sk_err_wrap(e, "audit log");
out:
    free(text);
    X509_free(issuing);
    return ret;
}
