#include "util/sk_pem.h"

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
