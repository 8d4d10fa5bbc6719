/* Certificates read back from a token (issuer/issuance/issue_verify.c): the DER of a
 * CKO_CERTIFICATE value goes through d2i_X509 and then the checks verification makes on it: the
 * SubjectKeyIdentifier as a CKA_ID, the DER round trip, the public key comparison, the dates
 * as the ledger records them, the PEM written to out/ORDER/cert.pem, and a chain
 * verification (here against itself as the only trusted certificate). */
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fuzz/fuzz_util.h"
#include "issuer/ca/ca_util.h"
#include "issuer/issuance/issue_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *p = data;
    X509 *cert = NULL;
    unsigned char *der = NULL;
    unsigned char id[TOK_ID_MAX];
    size_t id_len = 0;
    char when[64], *pem = NULL;
    size_t pem_len = 0;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    EVP_PKEY *pub;
    int len;
    sk_err e;

    sk_err_clear(&e);
    if (size > 64 * 1024 || (cert = d2i_X509(NULL, &p, (long)size)) == NULL)
        goto out;
    (void)issue_ca_cert_id(cert, id, &id_len, &e);
    len = i2d_X509(cert, &der);
    if (len > 0 && (size_t)len == (size_t)(p - data))
        (void)memcmp(der, data, (size_t)len);
    if ((pub = X509_get0_pubkey(cert)) != NULL)
        (void)EVP_PKEY_eq(pub, pub);
    cau_asn1_iso(X509_get0_notBefore(cert), when, sizeof(when));
    cau_asn1_iso(X509_get0_notAfter(cert), when, sizeof(when));
    (void)cau_cert_pem(cert, &pem, &pem_len, &e);
    if ((store = X509_STORE_new()) != NULL && (ctx = X509_STORE_CTX_new()) != NULL &&
        X509_STORE_add_cert(store, cert) && X509_STORE_CTX_init(ctx, store, cert, NULL))
        (void)X509_verify_cert(ctx);
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    free(pem);
    OPENSSL_free(der);
    X509_free(cert);
    ERR_clear_error();
    return 0;
}
