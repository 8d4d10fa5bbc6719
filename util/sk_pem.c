#include "util/sk_pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include "util/sk_file.h"

int sk_pem_read_cert(const char *path, X509 **out, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    BIO *b = NULL;
    int ret;

    *out = NULL;
    if ((ret = sk_file_read(path, 1 << 20, &data, &len, e)) != SK_OK)
        goto out;
    b = BIO_new_mem_buf(data, (int)len);
    if (b == NULL || (*out = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
        ret = sk_err_ossl(e, SK_EINPUT, "%s: not a PEM certificate", path);
        goto out;
    }
    ret = SK_OK;
out:
    BIO_free(b);
    free(data);
    return ret;
}

int sk_pem_read_certs(const char *path, size_t max, STACK_OF(X509) **out, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0;
    BIO *b = NULL;
    X509 *x = NULL;
    STACK_OF(X509) *certs = NULL;
    int ret;

    *out = NULL;
    if ((ret = sk_file_read(path, 1 << 20, &data, &len, e)) != SK_OK)
        goto out;
    if ((b = BIO_new_mem_buf(data, (int)len)) == NULL || (certs = sk_X509_new_null()) == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: out of memory", path);
        goto out;
    }
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if ((size_t)sk_X509_num(certs) == max) {
            ret = sk_err_set(e, SK_EINPUT, "%s: more than %zu certificates", path, max);
            goto out;
        }
        if (!sk_X509_push(certs, x)) {
            ret = sk_err_ossl(e, SK_ECRYPTO, "%s: out of memory", path);
            goto out;
        }
        x = NULL;
    }
    ERR_clear_error(); /* the end of the file reads as "no start line" */
    if (sk_X509_num(certs) == 0) {
        ret = sk_err_set(e, SK_EINPUT, "%s: not a PEM certificate", path);
        goto out;
    }
    *out = certs;
    certs = NULL;
    ret = SK_OK;
out:
    X509_free(x);
    sk_X509_pop_free(certs, X509_free);
    BIO_free(b);
    free(data);
    return ret;
}
