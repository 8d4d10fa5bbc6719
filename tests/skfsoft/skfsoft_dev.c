/* Devices: enumeration, connection, device information and label, device authentication
 * (GM/T 0016 8.2.3: SM4-ECB of the device's challenge under the device key), random
 * numbers, and insertion/removal events. */
#include "tests/skfsoft/skfsoft_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The event snapshot (which devices the last event left present) and pending cancels. The
 * SKF API keeps this per process (SKF_CancelWaitForDevEvent has no argument), so it is the
 * module's one piece of global state, under a mutex. */
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static char *ev_known;    /* multi-string of present devices, NULL before the first wait */
static unsigned ev_cancels;

/* Released when the library is unloaded (dlclose), as a vendor library would. */
__attribute__((destructor)) static void ev_release(void)
{
    free(ev_known);
    ev_known = NULL;
}

static ULONG present_list(char **out)
{
    const char *root = sks_root();
    ULONG size = 0;
    char *buf;
    ULONG rv;
    if (root == NULL)
        return SAR_NOTINITIALIZEERR;
    if ((rv = sks_list(root, NULL, true, NULL, &size)) != SAR_OK)
        return rv;
    size += 256; /* room for a device that appears between the two calls */
    if ((buf = malloc(size)) == NULL)
        return SAR_MEMORYERR;
    if ((rv = sks_list(root, NULL, true, buf, &size)) != SAR_OK) {
        free(buf);
        return rv;
    }
    *out = buf;
    return SAR_OK;
}

static bool in_list(const char *list, const char *name)
{
    for (const char *p = list; *p != '\0'; p += strlen(p) + 1)
        if (strcmp(p, name) == 0)
            return true;
    return false;
}

ULONG DEVAPI SKF_EnumDev(BOOL bPresent, LPSTR szNameList, ULONG *pulSize)
{
    const char *root = sks_root();
    if (pulSize == NULL)
        return SAR_INVALIDPARAMERR;
    if (root == NULL)
        return SAR_NOTINITIALIZEERR;
    return sks_list(root, NULL, true, szNameList, pulSize);
}

/* Read "key=value" from a device text file; "" if absent. */
static void dev_field(const char *devpath, const char *file, const char *key, char *out,
                      size_t cap)
{
    char p[PATH_MAX];
    unsigned char *buf = NULL;
    size_t len, klen = strlen(key);
    out[0] = '\0';
    if (sks_path(p, sizeof(p), devpath, file, NULL) != SAR_OK || sks_read(p, &buf, &len) != SAR_OK)
        return;
    for (char *line = (char *)buf; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
            snprintf(out, cap, "%s", line + klen + 1);
            break;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(buf);
}

static ULONG write_devinfo(const char *devpath, const char *label, const char *serial)
{
    char p[PATH_MAX], text[256];
    int n = snprintf(text, sizeof(text), "label=%s\nserial=%s\n", label, serial);
    if (n < 0 || (size_t)n >= sizeof(text) ||
        sks_path(p, sizeof(p), devpath, "devinfo", NULL) != SAR_OK)
        return SAR_NAMELENERR;
    return sks_write(p, (const unsigned char *)text, (size_t)n);
}

/* A directory seen for the first time becomes a factory-fresh device: serial from the
 * name's SM3 hash, empty label, the default device key. */
static ULONG dev_init(const char *devpath, const char *name)
{
    char p[PATH_MAX], serial[33];
    unsigned char md[32];
    unsigned int mdlen = 0;
    ULONG rv;
    if ((rv = sks_path(p, sizeof(p), devpath, "devinfo", NULL)) != SAR_OK)
        return rv;
    if (!sks_exists(p)) {
        if (!EVP_Digest(name, strlen(name), md, &mdlen, EVP_sm3(), NULL))
            return SAR_FAIL;
        memcpy(serial, "SKS", 3);
        for (size_t i = 0; i < 7; i++)
            snprintf(serial + 3 + 2 * i, 3, "%02X", md[i]);
        if ((rv = write_devinfo(devpath, "", serial)) != SAR_OK)
            return rv;
    }
    if ((rv = sks_path(p, sizeof(p), devpath, "authkey", NULL)) != SAR_OK)
        return rv;
    if (!sks_exists(p) &&
        (rv = sks_write(p, (const unsigned char *)SKS_DEFAULT_AUTHKEY, 16)) != SAR_OK)
        return rv;
    if ((rv = sks_path(p, sizeof(p), devpath, "apps", NULL)) != SAR_OK)
        return rv;
    if (!sks_exists(p) && mkdir(p, 0700) != 0)
        return SAR_FILEERR;
    return SAR_OK;
}

ULONG DEVAPI SKF_ConnectDev(LPSTR szName, DEVHANDLE *phDev)
{
    const char *root = sks_root();
    sks_dev *d = NULL;
    ULONG rv;
    if (szName == NULL || phDev == NULL || strlen(szName) >= sizeof(d->name) ||
        strchr(szName, '/') != NULL || szName[0] == '.' || szName[0] == '\0')
        return SAR_INVALIDPARAMERR;
    if (root == NULL)
        return SAR_NOTINITIALIZEERR;
    if ((d = calloc(1, sizeof(*d))) == NULL)
        return SAR_MEMORYERR;
    d->magic = SKS_MAGIC_DEV;
    snprintf(d->name, sizeof(d->name), "%s", szName);
    if ((rv = sks_path(d->path, sizeof(d->path), root, szName, NULL)) != SAR_OK)
        goto fail;
    if (!sks_exists(d->path)) {
        rv = SAR_DEVICE_REMOVED;
        goto fail;
    }
    if ((rv = dev_init(d->path, szName)) != SAR_OK)
        goto fail;
    *phDev = d;
    return SAR_OK;
fail:
    free(d);
    return rv;
}

ULONG DEVAPI SKF_DisConnectDev(DEVHANDLE hDev)
{
    sks_dev *d = hDev;
    if (d == NULL || d->magic != SKS_MAGIC_DEV)
        return SAR_INVALIDHANDLEERR;
    OPENSSL_cleanse(d, sizeof(*d));
    free(d);
    return SAR_OK;
}

ULONG DEVAPI SKF_GetDevState(LPSTR szDevName, ULONG *pulDevState)
{
    const char *root = sks_root();
    char p[PATH_MAX];
    if (szDevName == NULL || pulDevState == NULL || strchr(szDevName, '/') != NULL)
        return SAR_INVALIDPARAMERR;
    if (root == NULL)
        return SAR_NOTINITIALIZEERR;
    if (sks_path(p, sizeof(p), root, szDevName, NULL) != SAR_OK)
        return SAR_NAMELENERR;
    *pulDevState = sks_exists(p) ? DEV_PRESENT_STATE : DEV_ABSENT_STATE;
    return SAR_OK;
}

ULONG DEVAPI SKF_SetLabel(DEVHANDLE hDev, LPSTR szLabel)
{
    sks_dev *d;
    char serial[33];
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (szLabel == NULL || strlen(szLabel) >= 32 || strchr(szLabel, '\n') != NULL)
        return SAR_INVALIDPARAMERR;
    dev_field(d->path, "devinfo", "serial", serial, sizeof(serial));
    return write_devinfo(d->path, szLabel, serial);
}

ULONG DEVAPI SKF_GetDevInfo(DEVHANDLE hDev, DEVINFO *pDevInfo)
{
    sks_dev *d;
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (pDevInfo == NULL)
        return SAR_INVALIDPARAMERR;
    memset(pDevInfo, 0, sizeof(*pDevInfo));
    pDevInfo->Version.major = 1;
    pDevInfo->Version.minor = 0;
    snprintf(pDevInfo->Manufacturer, sizeof(pDevInfo->Manufacturer), "sealkey skfsoft");
    snprintf(pDevInfo->Issuer, sizeof(pDevInfo->Issuer), "sealkey tests");
    dev_field(d->path, "devinfo", "label", pDevInfo->Label, sizeof(pDevInfo->Label));
    dev_field(d->path, "devinfo", "serial", pDevInfo->SerialNumber,
              sizeof(pDevInfo->SerialNumber));
    pDevInfo->HWVersion.major = 1;
    pDevInfo->FirmwareVersion.major = 1;
    pDevInfo->AlgSymCap = SGD_SMS4_ECB | SGD_SMS4_CBC;
    pDevInfo->AlgAsymCap = SGD_SM2_1 | SGD_SM2_3;
    pDevInfo->AlgHashCap = SGD_SM3;
    pDevInfo->DevAuthAlgId = SGD_SMS4_ECB;
    pDevInfo->TotalSpace = (ULONG)sks_capacity(d);
    unsigned long used = sks_used(d);
    pDevInfo->FreeSpace = used < pDevInfo->TotalSpace ? (ULONG)(pDevInfo->TotalSpace - used) : 0;
    pDevInfo->MaxECCBufferSize = 1024;
    pDevInfo->MaxBufferSize = 4096;
    return SAR_OK;
}

ULONG DEVAPI SKF_GenRandom(DEVHANDLE hDev, BYTE *pbRandom, ULONG ulRandomLen)
{
    sks_dev *d;
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (pbRandom == NULL || ulRandomLen == 0)
        return SAR_INVALIDPARAMERR;
    if (RAND_bytes(pbRandom, (int)ulRandomLen) != 1)
        return SAR_GENRANDERR;
    /* The last random is the device-authentication challenge, zero-padded to a block. */
    memset(d->challenge, 0, sizeof(d->challenge));
    memcpy(d->challenge, pbRandom, ulRandomLen < 16 ? ulRandomLen : 16);
    d->have_challenge = true;
    d->authed = false;
    return SAR_OK;
}

static ULONG read_authkey(sks_dev *d, unsigned char key[16])
{
    char p[PATH_MAX];
    unsigned char *buf = NULL;
    size_t len = 0;
    ULONG rv = sks_path(p, sizeof(p), d->path, "authkey", NULL);
    if (rv == SAR_OK)
        rv = sks_read(p, &buf, &len);
    if (rv == SAR_OK && len != 16)
        rv = SAR_FILEERR;
    if (rv == SAR_OK)
        memcpy(key, buf, 16);
    if (buf != NULL)
        OPENSSL_cleanse(buf, len);
    free(buf);
    return rv;
}

ULONG DEVAPI SKF_DevAuth(DEVHANDLE hDev, BYTE *pbAuthData, ULONG ulLen)
{
    sks_dev *d;
    unsigned char key[16], expect[16];
    int outl = 0;
    EVP_CIPHER_CTX *ctx = NULL;
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (pbAuthData == NULL || ulLen != 16)
        return SAR_INDATALENERR;
    if (!d->have_challenge)
        return SAR_NOTINITIALIZEERR; /* SKF_GenRandom first */
    if ((rv = read_authkey(d, key)) != SAR_OK)
        return rv;
    rv = SAR_FAIL;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || !EVP_EncryptInit_ex(ctx, EVP_sm4_ecb(), NULL, key, NULL) ||
        !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
        !EVP_EncryptUpdate(ctx, expect, &outl, d->challenge, 16) || outl != 16)
        goto out;
    /* One answer per challenge, right or wrong. */
    d->have_challenge = false;
    d->authed = CRYPTO_memcmp(expect, pbAuthData, 16) == 0;
    rv = d->authed ? SAR_OK : SAR_FAIL;
out:
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(expect, sizeof(expect));
    return rv;
}

ULONG DEVAPI SKF_ChangeDevAuthKey(DEVHANDLE hDev, BYTE *pbKeyValue, ULONG ulKeyLen)
{
    sks_dev *d;
    char p[PATH_MAX];
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (!d->authed)
        return SAR_USER_NOT_LOGGED_IN; /* needs device authentication */
    if (pbKeyValue == NULL || ulKeyLen != 16)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_path(p, sizeof(p), d->path, "authkey", NULL)) != SAR_OK)
        return rv;
    return sks_write(p, pbKeyValue, 16);
}

/* Block until a device directory appears or disappears relative to what the previous call
 * saw (the first call takes the current set as its starting point), or until
 * SKF_CancelWaitForDevEvent; a cancel with no waiter ends the next wait at once. A cancelled
 * wait returns SAR_NOT_EVENTERR. */
ULONG DEVAPI SKF_WaitForDevEvent(LPSTR szDevName, ULONG *pulDevNameLen, ULONG *pulEvent)
{
    ULONG rv;
    if (szDevName == NULL || pulDevNameLen == NULL || pulEvent == NULL)
        return SAR_INVALIDPARAMERR;
    pthread_mutex_lock(&ev_lock);
    if (ev_known == NULL && (rv = present_list(&ev_known)) != SAR_OK) {
        pthread_mutex_unlock(&ev_lock);
        return rv;
    }
    for (;;) {
        char *now = NULL;
        const char *name = NULL;
        ULONG ev = 0;
        if (ev_cancels > 0) {
            ev_cancels--;
            pthread_mutex_unlock(&ev_lock);
            return SAR_NOT_EVENTERR;
        }
        if ((rv = present_list(&now)) != SAR_OK) {
            pthread_mutex_unlock(&ev_lock);
            return rv;
        }
        for (const char *p = now; *p != '\0' && name == NULL; p += strlen(p) + 1)
            if (!in_list(ev_known, p)) {
                name = p;
                ev = SKF_DEV_EVENT_INSERTED;
            }
        for (const char *p = ev_known; *p != '\0' && name == NULL; p += strlen(p) + 1)
            if (!in_list(now, p)) {
                name = p;
                ev = SKF_DEV_EVENT_REMOVED;
            }
        if (name != NULL) {
            size_t l = strlen(name) + 1;
            if (*pulDevNameLen < l) {
                *pulDevNameLen = (ULONG)l;
                free(now);
                pthread_mutex_unlock(&ev_lock);
                return SAR_BUFFER_TOO_SMALL;
            }
            memcpy(szDevName, name, l);
            *pulDevNameLen = (ULONG)l;
            *pulEvent = ev;
            /* Only this event is consumed; others are reported by the next calls. */
            if (ev == SKF_DEV_EVENT_INSERTED) {
                size_t old = 0;
                for (const char *p = ev_known; *p != '\0'; p += strlen(p) + 1)
                    old += strlen(p) + 1;
                char *grown = realloc(ev_known, old + l + 1);
                if (grown != NULL) {
                    memcpy(grown + old, name, l);
                    grown[old + l] = '\0';
                    ev_known = grown;
                }
            } else {
                char *w = ev_known;
                for (char *p = ev_known; *p != '\0';) {
                    size_t pl = strlen(p) + 1;
                    if (strcmp(p, name) != 0) {
                        memmove(w, p, pl);
                        w += pl;
                    }
                    p += pl;
                }
                *w = '\0';
            }
            free(now);
            pthread_mutex_unlock(&ev_lock);
            return SAR_OK;
        }
        free(now);
        pthread_mutex_unlock(&ev_lock);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&ev_lock);
    }
}

ULONG DEVAPI SKF_CancelWaitForDevEvent(void)
{
    pthread_mutex_lock(&ev_lock);
    ev_cancels++;
    pthread_mutex_unlock(&ev_lock);
    return SAR_OK;
}
