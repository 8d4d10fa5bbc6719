/* csr export (issuer/operations/operations.h): the requests waiting for the CA's own system
 * to sign, one PKCS#10 file per order and a manifest, from the ledger (so a run that crashed
 * after making the keys loses none). */
#include "issuer/operations/operations.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer/ca/ca_util.h"
#include "util/sk_file.h"

static void sha256_hex(const char *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int n = 0;

    hex[0] = '\0';
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1)
        return;
    for (unsigned int i = 0; i < n && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The request's subject as RFC 2253 text in UTF-8, for the people at the CA's system. */
static void subject_of(const char *pem, char *buf, size_t len)
{
    BIO *b = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
    X509_REQ *req = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
    char *data = NULL;
    long n;

    buf[0] = '\0';
    if (req != NULL && out != NULL &&
        X509_NAME_print_ex(out, X509_REQ_get_subject_name(req), 0,
                           XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
        (n = BIO_get_mem_data(out, &data)) > 0)
        snprintf(buf, len, "%.*s", (int)n, data);
    X509_REQ_free(req);
    BIO_free(out);
    BIO_free(b);
}

/* One request file, and its manifest entry. */
static int one(const op_env *env, const char *dir, const ledger_issuance *iss, json_t *list,
               sk_err *e)
{
    /* Room for a subject of long Chinese names (3 bytes a character) without a cut. */
    char name[96], path[PATH_MAX], hex[65], subject[4096], *pem = NULL;
    json_t *entry = NULL;
    int ret;

    if ((ret = ledger_csr_pem(env->ledger, iss->id, &pem, e)) != SK_OK)
        goto out;
    if (pem == NULL) {
        ret = sk_err_set(e, SK_ELEDGER,
                         "issuance %lld (order %s) waits for a certificate but "
                         "the ledger holds no request for it",
                         iss->id, iss->order_number);
        goto out;
    }
    snprintf(name, sizeof(name), "%s.csr", iss->order_number);
    if ((ret = sk_path_join(path, sizeof(path), dir, name, e)) != SK_OK ||
        (ret = sk_file_write_atomic(path, pem, strlen(pem), 0644, e)) != SK_OK)
        goto out;
    sha256_hex(pem, strlen(pem), hex);
    subject_of(pem, subject, sizeof(subject));
    /* A request written but left out of the manifest would be lost to the CA's system. */
    entry = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "order_number",
                      iss->order_number, "file", name, "sha256", hex, "subject", subject,
                      "token_serial", iss->token_serial, "token_label", iss->token_label,
                      "key_alg", iss->key_alg, "requested_at", iss->updated_at);
    if (entry == NULL || json_array_append_new(list, entry) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: cannot list order %s in the manifest", path,
                         iss->order_number);
        goto out;
    }
    ret = SK_OK;
out:
    free(pem);
    return ret;
}

int op_csr_export(const op_env *env, const char *out_dir, op_csr_result *r, sk_err *e)
{
    ledger_issuance *v = NULL;
    size_t n = 0;
    json_t *doc = NULL, *list = json_array();
    char path[PATH_MAX], now[32], detail[64], *text = NULL;
    int ret;

    memset(r, 0, sizeof(*r));
    if (out_dir != NULL)
        snprintf(r->dir, sizeof(r->dir), "%s", out_dir);
    else if ((ret = station_path(env->st, "requests", r->dir, sizeof(r->dir), e)) != SK_OK)
        goto out;
    if ((ret = sk_mkdir_nofollow(r->dir, 0755, e)) != SK_OK ||
        (ret = ledger_awaiting(env->ledger, &v, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        if ((ret = one(env, r->dir, &v[i], list, e)) != SK_OK)
            goto out;
    cau_iso_time(time(NULL), now, sizeof(now));
    doc = json_pack("{s:s, s:s, s:s, s:O}", "format", "sealkey-csr-manifest/1", "station_id",
                    env->st->station_id, "exported_at", now, "requests", list);
    if (doc == NULL || (text = json_dumps(doc, JSON_INDENT(2))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    if ((ret = sk_path_join(path, sizeof(path), r->dir, "manifest.json", e)) != SK_OK ||
        (ret = sk_file_write_atomic(path, text, strlen(text), 0644, e)) != SK_OK)
        goto out;
    r->n = n;
    snprintf(detail, sizeof(detail), "csr: %zu request(s)", n);
    audit_event ev = {.event = AUDIT_EV_EXPORTED, .result = AUDIT_OK, .detail = detail};
    if ((ret = audit_append(env->audit, &ev, e)) != SK_OK)
        sk_err_wrap(e, "audit log");
out:
    free(text);
    json_decref(doc);
    json_decref(list);
    free(v);
    return ret;
}
