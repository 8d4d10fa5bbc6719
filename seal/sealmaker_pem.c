/* seal/sealmaker_pem.h: the seal maker's keys, certificates and request as PEM files. */
#include "seal/sealmaker_pem.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "util/sk_file.h"

int sealmaker_write_pem(const char *dir, const char *file, EVP_PKEY *key, X509 *cert,
                        X509_REQ *req, const char *passphrase, sk_err *e)
{
    char path[4096];
    BIO *bio = NULL;
    BUF_MEM *mem = NULL;
    int ret, ok;

    if ((ret = sk_path_join(path, sizeof(path), dir, file, e)) != SK_OK)
        return ret;
    if ((bio = BIO_new(BIO_s_mem())) == NULL)
        return sk_err_ossl(e, SK_ECRYPTO, "%s", path);
    if (key != NULL)
        ok = PEM_write_bio_PrivateKey(bio, key, EVP_aes_256_cbc(),
                                      (const unsigned char *)passphrase, (int)strlen(passphrase),
                                      NULL, NULL);
    else if (cert != NULL)
        ok = PEM_write_bio_X509(bio, cert);
    else
        ok = PEM_write_bio_X509_REQ(bio, req);
    if (!ok || BIO_get_mem_ptr(bio, &mem) != 1 || mem == NULL) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "%s: cannot encode", path);
        goto out;
    }
    ret = sk_file_create_atomic(path, mem->data, mem->length, key != NULL ? 0600 : 0644, e);
out:
    /* Only ciphertext or public data, but wiped all the same. */
    if (mem != NULL)
        OPENSSL_cleanse(mem->data, mem->length);
    BIO_free(bio);
    return ret;
}
