/* Containers and what they hold: the SM2 signing key pair generated on the device, the
 * encryption key pair imported as an ENVELOPEDKEYBLOB, the two certificates; signing a
 * 32-byte SM3 digest (the caller hashes Z || M, GM/T 0009), verifying, and session keys
 * unwrapped with the encryption key for SM4 decryption.
 *
 * Private keys are stored as their 32-byte scalar in hex (sign.key, enc.key) and no
 * function returns them: SKF_ExportPublicKey gives the public half only. */
#include "tests/skfsoft/skfsoft_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "skf/skf_blob.h"

#define MAX_CONTAINERS 8

static ULONG need_user(const sks_app *a)
{
    return a->user ? SAR_OK : SAR_USER_NOT_LOGGED_IN;
}

ULONG DEVAPI SKF_CreateContainer(HAPPLICATION hApplication, LPSTR szContainerName,
                                 HCONTAINER *phContainer)
{
    sks_app *a;
    sks_con *c = NULL;
    char dir[PATH_MAX];
    ULONG size = 0, rv = sks_app_check(hApplication, &a);
    if (rv != SAR_OK)
        return rv;
    if ((rv = need_user(a)) != SAR_OK)
        return rv;
    if (phContainer == NULL || sks_name_ok(szContainerName) != SAR_OK)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_path(dir, sizeof(dir), a->path, "con", NULL)) != SAR_OK ||
        (rv = sks_list(dir, NULL, true, NULL, &size)) != SAR_OK)
        return rv;
    if ((rv = sks_room(a->dev, 1024)) != SAR_OK)
        return rv;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return SAR_MEMORYERR;
    c->magic = SKS_MAGIC_CON;
    c->app = a;
    snprintf(c->name, sizeof(c->name), "%s", szContainerName);
    if ((rv = sks_path(c->path, sizeof(c->path), dir, szContainerName, NULL)) != SAR_OK)
        goto fail;
    if (sks_exists(c->path)) {
        rv = SAR_FILE_ALREADY_EXIST;
        goto fail;
    }
    {
        /* Count containers: each name in the list plus its terminator. */
        char *list = malloc(size);
        ULONG n = 0, s2 = size;
        if (list == NULL) {
            rv = SAR_MEMORYERR;
            goto fail;
        }
        if (sks_list(dir, NULL, true, list, &s2) == SAR_OK)
            for (const char *p = list; *p != '\0'; p += strlen(p) + 1)
                n++;
        free(list);
        if (n >= MAX_CONTAINERS) {
            rv = SAR_REACH_MAX_CONTAINER_COUNT;
            goto fail;
        }
    }
    if (mkdir(c->path, 0700) != 0) {
        rv = SAR_FILEERR;
        goto fail;
    }
    *phContainer = c;
    return SAR_OK;
fail:
    free(c);
    return rv;
}

ULONG DEVAPI SKF_OpenContainer(HAPPLICATION hApplication, LPSTR szContainerName,
                               HCONTAINER *phContainer)
{
    sks_app *a;
    sks_con *c;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv != SAR_OK)
        return rv;
    if (phContainer == NULL || sks_name_ok(szContainerName) != SAR_OK)
        return SAR_INVALIDPARAMERR;
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return SAR_MEMORYERR;
    c->magic = SKS_MAGIC_CON;
    c->app = a;
    snprintf(c->name, sizeof(c->name), "%s", szContainerName);
    if ((rv = sks_path(c->path, sizeof(c->path), a->path, "con", szContainerName)) != SAR_OK ||
        (!sks_exists(c->path) && (rv = SAR_FILE_NOT_EXIST) != SAR_OK)) {
        free(c);
        return rv;
    }
    *phContainer = c;
    return SAR_OK;
}

ULONG DEVAPI SKF_CloseContainer(HCONTAINER hContainer)
{
    sks_con *c = hContainer;
    if (c == NULL || c->magic != SKS_MAGIC_CON)
        return SAR_INVALIDHANDLEERR;
    c->magic = 0;
    free(c);
    return SAR_OK;
}

ULONG DEVAPI SKF_DeleteContainer(HAPPLICATION hApplication, LPSTR szContainerName)
{
    sks_app *a;
    char p[PATH_MAX];
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv != SAR_OK)
        return rv;
    if ((rv = need_user(a)) != SAR_OK)
        return rv;
    if (sks_name_ok(szContainerName) != SAR_OK)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_path(p, sizeof(p), a->path, "con", szContainerName)) != SAR_OK)
        return rv;
    if (!sks_exists(p))
        return SAR_FILE_NOT_EXIST;
    return sks_rmtree(p);
}

ULONG DEVAPI SKF_EnumContainer(HAPPLICATION hApplication, LPSTR szContainerName, ULONG *pulSize)
{
    sks_app *a;
    char p[PATH_MAX];
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv != SAR_OK)
        return rv;
    if (pulSize == NULL)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_path(p, sizeof(p), a->path, "con", NULL)) != SAR_OK)
        return rv;
    return sks_list(p, NULL, true, szContainerName, pulSize);
}

static const char *key_file(BOOL sign)
{
    return sign ? "sign.key" : "enc.key";
}

static ULONG key_load(sks_con *c, BOOL sign, EVP_PKEY **out)
{
    char p[PATH_MAX];
    unsigned char *hex = NULL, d[32];
    size_t len = 0;
    ULONG rv = sks_path(p, sizeof(p), c->path, key_file(sign), NULL);
    if (rv == SAR_OK)
        rv = sks_read(p, &hex, &len);
    if (rv != SAR_OK) {
        rv = rv == SAR_FILE_NOT_EXIST ? SAR_KEYNOTFOUNTERR : rv;
        goto out;
    }
    rv = SAR_FILEERR;
    if (len < 64)
        goto out;
    for (size_t i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf((char *)hex + 2 * i, "%2x", &v) != 1)
            goto out;
        d[i] = (unsigned char)v;
    }
    if (skf_pkey_from_priv(d, out) != 0)
        goto out;
    rv = SAR_OK;
out:
    if (hex != NULL)
        OPENSSL_cleanse(hex, len);
    free(hex);
    OPENSSL_cleanse(d, sizeof(d));
    return rv;
}

static ULONG key_save(sks_con *c, BOOL sign, EVP_PKEY *pkey)
{
    char p[PATH_MAX], hex[65];
    unsigned char d[32];
    ULONG rv = sks_path(p, sizeof(p), c->path, key_file(sign), NULL);
    if (rv != SAR_OK)
        return rv;
    if (skf_pkey_priv(pkey, d) != 0)
        return SAR_FAIL;
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    rv = sks_write(p, (const unsigned char *)hex, 64);
    OPENSSL_cleanse(d, sizeof(d));
    OPENSSL_cleanse(hex, sizeof(hex));
    return rv;
}

ULONG DEVAPI SKF_GetContainerType(HCONTAINER hContainer, ULONG *pulContainerType)
{
    sks_con *c;
    char p[PATH_MAX], q[PATH_MAX];
    ULONG rv = sks_con_check(hContainer, &c);
    if (rv != SAR_OK)
        return rv;
    if (pulContainerType == NULL)
        return SAR_INVALIDPARAMERR;
    if (sks_path(p, sizeof(p), c->path, "sign.key", NULL) != SAR_OK ||
        sks_path(q, sizeof(q), c->path, "enc.key", NULL) != SAR_OK)
        return SAR_NAMELENERR;
    *pulContainerType = sks_exists(p) || sks_exists(q) ? 2 : 0; /* 2 = ECC, 0 = empty */
    return SAR_OK;
}

ULONG DEVAPI SKF_GenECCKeyPair(HCONTAINER hContainer, ULONG ulAlgId, ECCPUBLICKEYBLOB *pBlob)
{
    sks_con *c;
    EVP_PKEY *pkey = NULL;
    ULONG rv = sks_con_check(hContainer, &c);
    if (rv != SAR_OK)
        return rv;
    if ((rv = need_user(c->app)) != SAR_OK)
        return rv;
    if (ulAlgId != SGD_SM2_1)
        return SAR_NOTSUPPORTYETERR;
    if (pBlob == NULL)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_room(c->app->dev, 256)) != SAR_OK)
        return rv;
    unsigned long ms = sks_keygen_ms(c->app->dev);
    if (ms > 0) {
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        if ((rv = sks_con_check(hContainer, &c)) != SAR_OK)
            return rv; /* pulled while the key was being made */
    }
    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    if (pkey == NULL || skf_blob_from_pkey(pkey, pBlob) != 0) {
        rv = SAR_FAIL;
        goto out;
    }
    rv = key_save(c, TRUE, pkey);
out:
    EVP_PKEY_free(pkey);
    return rv;
}

ULONG DEVAPI SKF_ExportPublicKey(HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbBlob,
                                 ULONG *pulBlobLen)
{
    sks_con *c;
    EVP_PKEY *pkey = NULL;
    ECCPUBLICKEYBLOB blob;
    ULONG rv = sks_con_check(hContainer, &c);
    if (rv != SAR_OK)
        return rv;
    if (pulBlobLen == NULL)
        return SAR_INVALIDPARAMERR;
    if ((rv = key_load(c, bSignFlag, &pkey)) != SAR_OK)
        return rv;
    if (skf_blob_from_pkey(pkey, &blob) != 0)
        rv = SAR_FAIL;
    else if (pbBlob == NULL)
        *pulBlobLen = sizeof(blob);
    else if (*pulBlobLen < sizeof(blob)) {
        *pulBlobLen = sizeof(blob);
        rv = SAR_BUFFER_TOO_SMALL;
    } else {
        memcpy(pbBlob, &blob, sizeof(blob));
        *pulBlobLen = sizeof(blob);
    }
    EVP_PKEY_free(pkey);
    return rv;
}

ULONG DEVAPI SKF_ECCSignData(HCONTAINER hContainer, BYTE *pbData, ULONG ulDataLen,
                             PECCSIGNATUREBLOB pSignature)
{
    sks_con *c;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char der[80];
    size_t derlen = sizeof(der);
    ULONG rv = sks_con_check(hContainer, &c);
    if (rv != SAR_OK)
        return rv;
    if ((rv = need_user(c->app)) != SAR_OK)
        return rv;
    if (pbData == NULL || pSignature == NULL)
        return SAR_INVALIDPARAMERR;
    if (ulDataLen != 32)
        return SAR_INDATALENERR; /* the SM3 digest of Z || M */
    if ((rv = key_load(c, TRUE, &pkey)) != SAR_OK)
        return rv;
    rv = SAR_FAIL;
    /* The SM2 signature provider signs tbs as the digest e when no digest is set. */
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
        EVP_PKEY_sign(ctx, der, &derlen, pbData, 32) <= 0 ||
        skf_sig_from_der(der, derlen, pSignature) != 0)
        goto out;
    rv = SAR_OK;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return rv;
}

static ULONG verify_digest(ECCPUBLICKEYBLOB *pub, BYTE *data, ULONG len, ECCSIGNATUREBLOB *sig)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *der = NULL;
    size_t derlen = 0;
    ULONG rv = SAR_INVALIDPARAMERR;
    if (pub == NULL || data == NULL || sig == NULL)
        return rv;
    if (len != 32)
        return SAR_INDATALENERR;
    if (skf_blob_to_pkey(pub, &pkey) != 0 || skf_sig_to_der(sig, &der, &derlen) != 0)
        goto out;
    rv = SAR_FAIL;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx != NULL && EVP_PKEY_verify_init(ctx) > 0 &&
        EVP_PKEY_verify(ctx, der, derlen, data, 32) == 1)
        rv = SAR_OK;
out:
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return rv;
}

ULONG DEVAPI SKF_ECCVerify(DEVHANDLE hDev, ECCPUBLICKEYBLOB *pECCPubKeyBlob, BYTE *pbData,
                           ULONG ulDataLen, PECCSIGNATUREBLOB pSignature)
{
    sks_dev *d;
    ULONG rv = sks_dev_check(hDev, &d);
    return rv != SAR_OK ? rv : verify_digest(pECCPubKeyBlob, pbData, ulDataLen, pSignature);
}

ULONG DEVAPI SKF_ExtECCVerify(DEVHANDLE hDev, ECCPUBLICKEYBLOB *pECCPubKeyBlob, BYTE *pbData,
                              ULONG ulDataLen, PECCSIGNATUREBLOB pSignature)
{
    return SKF_ECCVerify(hDev, pECCPubKeyBlob, pbData, ulDataLen, pSignature);
}

ULONG DEVAPI SKF_ImportCertificate(HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbCert,
                                   ULONG ulCertLen)
{
    sks_con *c;
    char p[PATH_MAX];
    const unsigned char *q = pbCert;
    X509 *x;
    ULONG rv = sks_con_check(hContainer, &c);
    if (rv != SAR_OK)
        return rv;
    if ((rv = need_user(c->app)) != SAR_OK)
        return rv;
    if (pbCert == NULL || ulCertLen == 0)
        return SAR_INVALIDPARAMERR;
    x = d2i_X509(NULL, &q, (long)ulCertLen);
    X509_free(x);
    if (x == NULL || q != pbCert + ulCertLen)
        return SAR_INDATAERR;
    if ((rv = sks_room(c->app->dev, ulCertLen)) != SAR_OK)
        return rv;
    if ((rv = sks_path(p, sizeof(p), c->path, bSignFlag ? "sign.cer" : "enc.cer", NULL)) !=
        SAR_OK)
        return rv;
    return sks_write(p, pbCert, ulCertLen);
}

ULONG DEVAPI SKF_ExportCertificate(HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbCert,
                                   ULONG *pulCertLen)
{
    sks_con *c;
    char p[PATH_MAX];
    unsigned char *buf = NULL;
    size_t len = 0;
    ULONG rv = sks_con_check(hContainer, &c);
    if (rv != SAR_OK)
        return rv;
    if (pulCertLen == NULL)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_path(p, sizeof(p), c->path, bSignFlag ? "sign.cer" : "enc.cer", NULL)) !=
        SAR_OK)
        return rv;
    if ((rv = sks_read(p, &buf, &len)) != SAR_OK)
        return rv == SAR_FILE_NOT_EXIST ? SAR_CERTNOTFOUNTERR : rv;
    if (pbCert == NULL)
        *pulCertLen = (ULONG)len;
    else if (*pulCertLen < len) {
        *pulCertLen = (ULONG)len;
        rv = SAR_BUFFER_TOO_SMALL;
    } else {
        memcpy(pbCert, buf, len);
        *pulCertLen = (ULONG)len + (sks_fault("cert-len") ? 1024 : 0);
    }
    free(buf);
    return rv;
}

/* SM2-decrypt an ECCCIPHERBLOB (of blob_len bytes) with the container's key. */
static ULONG sm2_unwrap(sks_con *c, BOOL sign, const ECCCIPHERBLOB *blob, size_t blob_len,
                        unsigned char *out, size_t *out_len)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *der = NULL;
    size_t derlen = 0;
    ULONG rv = key_load(c, sign, &pkey);
    if (rv != SAR_OK)
        return rv;
    rv = SAR_INDATAERR;
    if (skf_cipher_to_der(blob, blob_len, &der, &derlen) != 0)
        goto out;
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) <= 0 ||
        EVP_PKEY_decrypt(ctx, out, out_len, der, derlen) <= 0)
        goto out;
    rv = SAR_OK;
out:
    OPENSSL_free(der);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return rv;
}

static ULONG sm4(const EVP_CIPHER *ciph, bool enc, const unsigned char key[16],
                 const unsigned char *iv, int padding, const unsigned char *in, size_t in_len,
                 unsigned char *out, size_t *out_len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;
    ULONG rv = SAR_FAIL;
    if (ctx == NULL || !EVP_CipherInit_ex(ctx, ciph, NULL, key, iv, enc ? 1 : 0) ||
        !EVP_CIPHER_CTX_set_padding(ctx, padding) ||
        !EVP_CipherUpdate(ctx, out, &l1, in, (int)in_len))
        goto out;
    if (!EVP_CipherFinal_ex(ctx, out + l1, &l2)) {
        rv = padding ? SAR_DECRYPTPADERR : SAR_INDATALENERR;
        goto out;
    }
    *out_len = (size_t)l1 + (size_t)l2;
    rv = SAR_OK;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rv;
}

ULONG DEVAPI SKF_ImportECCKeyPair(HCONTAINER hContainer, PENVELOPEDKEYBLOB pEnvelopedKeyBlob)
{
    sks_con *c;
    ENVELOPEDKEYBLOB *env = pEnvelopedKeyBlob;
    unsigned char kek[64], field[64 + 16];
    size_t keklen = sizeof(kek), flen = 0;
    EVP_PKEY *pkey = NULL;
    ECCPUBLICKEYBLOB got;
    ULONG rv = sks_con_check(hContainer, &c);
    if (rv != SAR_OK)
        return rv;
    if ((rv = need_user(c->app)) != SAR_OK)
        return rv;
    if (env == NULL)
        return SAR_INVALIDPARAMERR;
    if (env->Version != 1 || env->ulSymmAlgID != SGD_SMS4_ECB)
        return SAR_NOTSUPPORTYETERR;
    if (env->ulBits != 256 || env->PubKey.BitLen != 256)
        return SAR_MODULUSLENERR;
    if (env->ECCCipherBlob.CipherLen != 16)
        return SAR_INDATALENERR; /* an SM4 key */
    if ((rv = sks_room(c->app->dev, 256)) != SAR_OK)
        return rv;
    /* The symmetric key was encrypted to this container's signing key. */
    if ((rv = sm2_unwrap(c, TRUE, &env->ECCCipherBlob, sizeof(ECCCIPHERBLOB) - 1 + 16, kek,
                         &keklen)) != SAR_OK)
        goto out;
    if (keklen != 16) {
        rv = SAR_INDATAERR;
        goto out;
    }
    /* Two layouts of cbEncryptedPriKey are in use. The vendors' (and the KMC stand-in's):
     * 32 zero bytes, then SM4-ECB of the 32-byte key. The literal reading of 6.4.10: SM4-ECB
     * of the whole 64-byte PrivateKey field (32 zero bytes, then the key), whose first 32
     * ciphertext bytes are never all zero. Both are accepted; either way the key must be
     * right-aligned and belong to PubKey. */
    bool vendor = true;
    for (size_t i = 0; i < 32; i++)
        if (env->cbEncryptedPriKey[i] != 0)
            vendor = false;
    if (vendor) {
        memset(field, 0, 32);
        rv = sm4(EVP_sm4_ecb(), false, kek, NULL, 0, env->cbEncryptedPriKey + 32, 32,
                 field + 32, &flen);
        flen += 32;
    } else {
        rv = sm4(EVP_sm4_ecb(), false, kek, NULL, 0, env->cbEncryptedPriKey, 64, field, &flen);
    }
    if (rv != SAR_OK)
        goto out;
    rv = SAR_INDATAERR;
    for (size_t i = 0; i < 32; i++)
        if (field[i] != 0)
            goto out; /* the PrivateKey field holds a 256-bit value right-aligned */
    if (flen != 64 || skf_pkey_from_priv(field + 32, &pkey) != 0 ||
        skf_blob_from_pkey(pkey, &got) != 0 ||
        CRYPTO_memcmp(&got, &env->PubKey, sizeof(got)) != 0)
        goto out; /* the private key does not belong to PubKey */
    rv = key_save(c, FALSE, pkey);
out:
    EVP_PKEY_free(pkey);
    OPENSSL_cleanse(kek, sizeof(kek));
    OPENSSL_cleanse(field, sizeof(field));
    return rv;
}

ULONG DEVAPI SKF_ImportSessionKey(HCONTAINER hContainer, ULONG ulAlgId, BYTE *pbWrapedData,
                                  ULONG ulWrapedLen, HANDLE *phKey)
{
    sks_con *c;
    sks_key *k = NULL;
    unsigned char key[64];
    size_t keylen = sizeof(key);
    ULONG rv = sks_con_check(hContainer, &c);
    if (rv != SAR_OK)
        return rv;
    if ((rv = need_user(c->app)) != SAR_OK)
        return rv;
    if (ulAlgId != SGD_SMS4_ECB && ulAlgId != SGD_SMS4_CBC)
        return SAR_NOTSUPPORTYETERR;
    if (pbWrapedData == NULL || phKey == NULL || ulWrapedLen < sizeof(ECCCIPHERBLOB))
        return SAR_INVALIDPARAMERR;
    /* GM/T 0016 7.6.x: the session key is protected by the container's encryption key. */
    if ((rv = sm2_unwrap(c, FALSE, (const ECCCIPHERBLOB *)pbWrapedData, ulWrapedLen, key,
                         &keylen)) != SAR_OK)
        goto out;
    if (keylen != 16) {
        rv = SAR_INDATAERR;
        goto out;
    }
    if ((k = calloc(1, sizeof(*k))) == NULL) {
        rv = SAR_MEMORYERR;
        goto out;
    }
    k->magic = SKS_MAGIC_KEY;
    memcpy(k->key, key, 16);
    k->alg = ulAlgId;
    *phKey = k;
out:
    OPENSSL_cleanse(key, sizeof(key));
    return rv;
}

/* Only ECB after import: the soft module keeps no IV (docs/skf.md). */
ULONG DEVAPI SKF_DecryptInit(HANDLE hKey, BLOCKCIPHERPARAM DecryptParam)
{
    sks_key *k = hKey;
    if (k == NULL || k->magic != SKS_MAGIC_KEY)
        return SAR_INVALIDHANDLEERR;
    if (DecryptParam.PaddingType > 1)
        return SAR_INVALIDPARAMERR;
    if (k->alg != SGD_SMS4_ECB)
        return SAR_NOTSUPPORTYETERR;
    k->padding = DecryptParam.PaddingType;
    k->ready = true;
    return SAR_OK;
}

ULONG DEVAPI SKF_Decrypt(HANDLE hKey, BYTE *pbEncryptedData, ULONG ulEncryptedLen, BYTE *pbData,
                         ULONG *pulDataLen)
{
    sks_key *k = hKey;
    size_t outl = 0;
    ULONG rv;
    if (k == NULL || k->magic != SKS_MAGIC_KEY)
        return SAR_INVALIDHANDLEERR;
    if (!k->ready)
        return SAR_NOTINITIALIZEERR;
    if (pbEncryptedData == NULL || pulDataLen == NULL || ulEncryptedLen % 16 != 0)
        return SAR_INDATALENERR;
    if (pbData == NULL) {
        *pulDataLen = ulEncryptedLen;
        return SAR_OK;
    }
    if (*pulDataLen < ulEncryptedLen) {
        *pulDataLen = ulEncryptedLen;
        return SAR_BUFFER_TOO_SMALL;
    }
    rv = sm4(EVP_sm4_ecb(), false, k->key, NULL, k->padding ? 1 : 0,
             pbEncryptedData, ulEncryptedLen, pbData, &outl);
    if (rv == SAR_OK)
        *pulDataLen = (ULONG)outl + (sks_fault("decrypt-len") ? 64 : 0);
    k->ready = false; /* single-part: a new DecryptInit for the next message */
    return rv;
}

ULONG DEVAPI SKF_CloseHandle(HANDLE hHandle)
{
    sks_key *k = hHandle;
    if (k == NULL || k->magic != SKS_MAGIC_KEY)
        return SAR_INVALIDHANDLEERR;
    OPENSSL_cleanse(k, sizeof(*k));
    free(k);
    return SAR_OK;
}
