/* Applications with their administrator (SO) and user PINs and retry counters, and the
 * files of an application (fixed size at creation, read and write rights). */
#include "tests/skfsoft/skfsoft_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_RETRIES 15

typedef struct pins {
    char hash[2][65]; /* [ADMIN_TYPE], [USER_TYPE] */
    ULONG max[2], left[2];
    ULONG rights;      /* dwCreateFileRights */
} pins;

static ULONG pins_load(sks_app *a, pins *p)
{
    char path[PATH_MAX];
    unsigned char *buf = NULL;
    size_t len;
    ULONG rv = sks_path(path, sizeof(path), a->path, "pins", NULL);
    if (rv == SAR_OK)
        rv = sks_read(path, &buf, &len);
    if (rv != SAR_OK)
        return rv == SAR_FILE_NOT_EXIST ? SAR_APPLICATION_NOT_EXISTS : rv;
    memset(p, 0, sizeof(*p));
    if (sscanf((char *)buf, "admin=%64s\nadmin_max=%u\nadmin_left=%u\nuser=%64s\nuser_max=%u\n"
                            "user_left=%u\nrights=%u\n",
               p->hash[ADMIN_TYPE], &p->max[ADMIN_TYPE], &p->left[ADMIN_TYPE],
               p->hash[USER_TYPE], &p->max[USER_TYPE], &p->left[USER_TYPE], &p->rights) != 7)
        rv = SAR_FILEERR;
    free(buf);
    return rv;
}

static ULONG pins_save(const char *apppath, const pins *p)
{
    char path[PATH_MAX], text[512];
    int n = snprintf(text, sizeof(text),
                     "admin=%s\nadmin_max=%u\nadmin_left=%u\nuser=%s\nuser_max=%u\n"
                     "user_left=%u\nrights=%u\n",
                     p->hash[ADMIN_TYPE], p->max[ADMIN_TYPE], p->left[ADMIN_TYPE],
                     p->hash[USER_TYPE], p->max[USER_TYPE], p->left[USER_TYPE], p->rights);
    if (n < 0 || (size_t)n >= sizeof(text) ||
        sks_path(path, sizeof(path), apppath, "pins", NULL) != SAR_OK)
        return SAR_NAMELENERR;
    return sks_write(path, (const unsigned char *)text, (size_t)n);
}

static ULONG pin_len_ok(const char *pin)
{
    size_t n = pin != NULL ? strlen(pin) : 0;
    return n < SKS_PIN_MIN || n > SKS_PIN_MAX ? SAR_PIN_LEN_RANGE : SAR_OK;
}

ULONG DEVAPI SKF_CreateApplication(DEVHANDLE hDev, LPSTR szAppName, LPSTR szAdminPin,
                                   DWORD dwAdminPinRetryCount, LPSTR szUserPin,
                                   DWORD dwUserPinRetryCount, DWORD dwCreateFileRights,
                                   HAPPLICATION *phApplication)
{
    sks_dev *d;
    sks_app *a = NULL;
    pins p;
    char sub[PATH_MAX];
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (!d->authed)
        return SAR_USER_NOT_LOGGED_IN; /* device authentication first (GM/T 0016 7.3.2) */
    if (phApplication == NULL)
        return SAR_INVALIDPARAMERR;
    if (sks_name_ok(szAppName) != SAR_OK)
        return SAR_APPLICATION_NAME_INVALID;
    if ((rv = pin_len_ok(szAdminPin)) != SAR_OK || (rv = pin_len_ok(szUserPin)) != SAR_OK)
        return rv;
    if (dwAdminPinRetryCount == 0 || dwAdminPinRetryCount > MAX_RETRIES ||
        dwUserPinRetryCount == 0 || dwUserPinRetryCount > MAX_RETRIES)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_room(d, 512)) != SAR_OK)
        return rv;
    if ((a = calloc(1, sizeof(*a))) == NULL)
        return SAR_MEMORYERR;
    a->magic = SKS_MAGIC_APP;
    a->dev = d;
    snprintf(a->name, sizeof(a->name), "%s", szAppName);
    if ((rv = sks_path(a->path, sizeof(a->path), d->path, "apps", szAppName)) != SAR_OK)
        goto fail;
    if (sks_exists(a->path)) {
        rv = SAR_APPLICATION_EXISTS;
        goto fail;
    }
    memset(&p, 0, sizeof(p));
    sks_hash_pin(szAdminPin, p.hash[ADMIN_TYPE]);
    sks_hash_pin(szUserPin, p.hash[USER_TYPE]);
    p.max[ADMIN_TYPE] = p.left[ADMIN_TYPE] = dwAdminPinRetryCount;
    p.max[USER_TYPE] = p.left[USER_TYPE] = dwUserPinRetryCount;
    p.rights = dwCreateFileRights;
    /* Built beside the final name and renamed, so a crash leaves no half application. */
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s/apps/.new-%s", d->path, szAppName) >= (int)sizeof(tmp)) {
        rv = SAR_NAMELENERR;
        goto fail;
    }
    sks_rmtree(tmp);
    rv = SAR_FILEERR;
    if (mkdir(tmp, 0700) != 0)
        goto fail;
    if (sks_path(sub, sizeof(sub), tmp, "files", NULL) != SAR_OK || mkdir(sub, 0700) != 0 ||
        sks_path(sub, sizeof(sub), tmp, "con", NULL) != SAR_OK || mkdir(sub, 0700) != 0 ||
        (rv = pins_save(tmp, &p)) != SAR_OK || rename(tmp, a->path) != 0) {
        sks_rmtree(tmp);
        rv = rv == SAR_OK ? SAR_FILEERR : rv;
        goto fail;
    }
    *phApplication = a;
    return SAR_OK;
fail:
    free(a);
    return rv;
}

ULONG DEVAPI SKF_EnumApplication(DEVHANDLE hDev, LPSTR szAppName, ULONG *pulSize)
{
    sks_dev *d;
    char p[PATH_MAX];
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (pulSize == NULL)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_path(p, sizeof(p), d->path, "apps", NULL)) != SAR_OK)
        return rv;
    return sks_list(p, NULL, true, szAppName, pulSize);
}

ULONG DEVAPI SKF_DeleteApplication(DEVHANDLE hDev, LPSTR szAppName)
{
    sks_dev *d;
    char p[PATH_MAX];
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (!d->authed)
        return SAR_USER_NOT_LOGGED_IN;
    if (sks_name_ok(szAppName) != SAR_OK)
        return SAR_APPLICATION_NAME_INVALID;
    if ((rv = sks_path(p, sizeof(p), d->path, "apps", szAppName)) != SAR_OK)
        return rv;
    if (!sks_exists(p))
        return SAR_APPLICATION_NOT_EXISTS;
    return sks_rmtree(p);
}

ULONG DEVAPI SKF_OpenApplication(DEVHANDLE hDev, LPSTR szAppName, HAPPLICATION *phApplication)
{
    sks_dev *d;
    sks_app *a;
    ULONG rv = sks_dev_check(hDev, &d);
    if (rv != SAR_OK)
        return rv;
    if (phApplication == NULL)
        return SAR_INVALIDPARAMERR;
    if (sks_name_ok(szAppName) != SAR_OK)
        return SAR_APPLICATION_NAME_INVALID;
    if ((a = calloc(1, sizeof(*a))) == NULL)
        return SAR_MEMORYERR;
    a->magic = SKS_MAGIC_APP;
    a->dev = d;
    snprintf(a->name, sizeof(a->name), "%s", szAppName);
    if ((rv = sks_path(a->path, sizeof(a->path), d->path, "apps", szAppName)) != SAR_OK ||
        (!sks_exists(a->path) && (rv = SAR_APPLICATION_NOT_EXISTS) != SAR_OK)) {
        free(a);
        return rv;
    }
    *phApplication = a;
    return SAR_OK;
}

ULONG DEVAPI SKF_CloseApplication(HAPPLICATION hApplication)
{
    sks_app *a = hApplication;
    if (a == NULL || a->magic != SKS_MAGIC_APP)
        return SAR_INVALIDHANDLEERR;
    a->magic = 0;
    free(a);
    return SAR_OK;
}

/* Check pin against the stored hash of type, counting down on a mismatch. */
static ULONG verify(sks_app *a, pins *p, ULONG type, const char *pin, ULONG *retry)
{
    char h[65];
    ULONG rv;
    if (type != ADMIN_TYPE && type != USER_TYPE)
        return SAR_USER_TYPE_INVALID;
    if (pin == NULL)
        return SAR_INVALIDPARAMERR;
    if (p->left[type] == 0) {
        if (retry != NULL)
            *retry = 0;
        return SAR_PIN_LOCKED;
    }
    sks_hash_pin(pin, h);
    if (CRYPTO_memcmp(h, p->hash[type], 64) != 0) {
        p->left[type]--;
        if ((rv = pins_save(a->path, p)) != SAR_OK)
            return rv;
        if (retry != NULL)
            *retry = p->left[type];
        if (type == USER_TYPE)
            a->user = false;
        else
            a->admin = false;
        return p->left[type] == 0 ? SAR_PIN_LOCKED : SAR_PIN_INCORRECT;
    }
    if (p->left[type] != p->max[type]) {
        p->left[type] = p->max[type];
        if ((rv = pins_save(a->path, p)) != SAR_OK)
            return rv;
    }
    if (retry != NULL)
        *retry = p->left[type];
    if (type == USER_TYPE)
        a->user = true;
    else
        a->admin = true;
    return SAR_OK;
}

ULONG DEVAPI SKF_VerifyPIN(HAPPLICATION hApplication, ULONG ulPINType, LPSTR szPIN,
                           ULONG *pulRetryCount)
{
    sks_app *a;
    pins p;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv == SAR_OK)
        rv = pins_load(a, &p);
    if (rv == SAR_OK)
        rv = verify(a, &p, ulPINType, szPIN, pulRetryCount);
    OPENSSL_cleanse(&p, sizeof(p));
    return rv;
}

ULONG DEVAPI SKF_ChangePIN(HAPPLICATION hApplication, ULONG ulPINType, LPSTR szOldPin,
                           LPSTR szNewPin, ULONG *pulRetryCount)
{
    sks_app *a;
    pins p;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv == SAR_OK)
        rv = pins_load(a, &p);
    if (rv == SAR_OK)
        rv = pin_len_ok(szNewPin);
    if (rv == SAR_OK)
        rv = verify(a, &p, ulPINType, szOldPin, pulRetryCount);
    if (rv == SAR_OK) {
        sks_hash_pin(szNewPin, p.hash[ulPINType]);
        rv = pins_save(a->path, &p);
    }
    OPENSSL_cleanse(&p, sizeof(p));
    return rv;
}

ULONG DEVAPI SKF_GetPINInfo(HAPPLICATION hApplication, ULONG ulPINType, ULONG *pulMaxRetryCount,
                            ULONG *pulRemainRetryCount, BOOL *pbDefaultPin)
{
    sks_app *a;
    pins p;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv != SAR_OK)
        return rv;
    if (ulPINType != ADMIN_TYPE && ulPINType != USER_TYPE)
        return SAR_USER_TYPE_INVALID;
    if (pulMaxRetryCount == NULL || pulRemainRetryCount == NULL || pbDefaultPin == NULL)
        return SAR_INVALIDPARAMERR;
    if ((rv = pins_load(a, &p)) != SAR_OK)
        return rv;
    *pulMaxRetryCount = p.max[ulPINType];
    *pulRemainRetryCount = p.left[ulPINType];
    *pbDefaultPin = FALSE;
    return SAR_OK;
}

ULONG DEVAPI SKF_UnblockPIN(HAPPLICATION hApplication, LPSTR szAdminPIN, LPSTR szNewUserPIN,
                            ULONG *pulRetryCount)
{
    sks_app *a;
    pins p;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv == SAR_OK)
        rv = pins_load(a, &p);
    if (rv == SAR_OK)
        rv = pin_len_ok(szNewUserPIN);
    if (rv == SAR_OK)
        rv = verify(a, &p, ADMIN_TYPE, szAdminPIN, pulRetryCount);
    if (rv == SAR_OK) {
        sks_hash_pin(szNewUserPIN, p.hash[USER_TYPE]);
        p.left[USER_TYPE] = p.max[USER_TYPE];
        rv = pins_save(a->path, &p);
    }
    OPENSSL_cleanse(&p, sizeof(p));
    return rv;
}

ULONG DEVAPI SKF_ClearSecureState(HAPPLICATION hApplication)
{
    sks_app *a;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv != SAR_OK)
        return rv;
    a->user = a->admin = false;
    return SAR_OK;
}

static bool allowed(const sks_app *a, ULONG rights)
{
    if (rights == SECURE_ANYONE_ACCOUNT)
        return true;
    return ((rights & SECURE_USER_ACCOUNT) && a->user) ||
           ((rights & SECURE_ADM_ACCOUNT) && a->admin);
}

typedef struct fattr {
    ULONG size, read, write;
} fattr;

static ULONG file_paths(sks_app *a, const char *name, char data[PATH_MAX], char attr[PATH_MAX])
{
    char an[SKS_NAME_MAX + 8];
    if (sks_name_ok(name) != SAR_OK)
        return SAR_INVALIDPARAMERR;
    snprintf(an, sizeof(an), "%s.attr", name);
    if (sks_path(data, PATH_MAX, a->path, "files", name) != SAR_OK ||
        sks_path(attr, PATH_MAX, a->path, "files", an) != SAR_OK)
        return SAR_NAMELENERR;
    return SAR_OK;
}

static ULONG attr_load(const char *attr, fattr *f)
{
    unsigned char *buf = NULL;
    size_t len;
    ULONG rv = sks_read(attr, &buf, &len);
    if (rv != SAR_OK)
        return rv;
    if (sscanf((char *)buf, "size=%u\nread=%u\nwrite=%u\n", &f->size, &f->read, &f->write) != 3)
        rv = SAR_FILEERR;
    free(buf);
    return rv;
}

ULONG DEVAPI SKF_CreateFile(HAPPLICATION hApplication, LPSTR szFileName, ULONG ulFileSize,
                            ULONG ulReadRights, ULONG ulWriteRights)
{
    sks_app *a;
    pins p;
    char data[PATH_MAX], attr[PATH_MAX], text[96];
    unsigned char *zero = NULL;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv != SAR_OK)
        return rv;
    if ((rv = file_paths(a, szFileName, data, attr)) != SAR_OK)
        return rv;
    if ((rv = pins_load(a, &p)) != SAR_OK)
        return rv;
    if (!allowed(a, p.rights))
        return SAR_USER_NOT_LOGGED_IN;
    if (sks_exists(data))
        return SAR_FILE_ALREADY_EXIST;
    if ((rv = sks_room(a->dev, (size_t)ulFileSize + 64)) != SAR_OK)
        return rv;
    int n = snprintf(text, sizeof(text), "size=%u\nread=%u\nwrite=%u\n", ulFileSize,
                     ulReadRights, ulWriteRights);
    if ((zero = calloc(1, ulFileSize ? ulFileSize : 1)) == NULL)
        return SAR_MEMORYERR;
    /* Attributes first: a data file without them is never listed as a file. */
    rv = sks_write(attr, (const unsigned char *)text, (size_t)n);
    if (rv == SAR_OK)
        rv = sks_write(data, zero, ulFileSize);
    free(zero);
    return rv;
}

ULONG DEVAPI SKF_DeleteFile(HAPPLICATION hApplication, LPSTR szFileName)
{
    sks_app *a;
    fattr f;
    char data[PATH_MAX], attr[PATH_MAX];
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv == SAR_OK)
        rv = file_paths(a, szFileName, data, attr);
    if (rv == SAR_OK)
        rv = attr_load(attr, &f);
    if (rv != SAR_OK)
        return rv;
    if (!allowed(a, f.write))
        return SAR_USER_NOT_LOGGED_IN;
    if (remove(data) != 0 || remove(attr) != 0)
        return SAR_FILEERR;
    return SAR_OK;
}

ULONG DEVAPI SKF_EnumFiles(HAPPLICATION hApplication, LPSTR szFileList, ULONG *pulSize)
{
    sks_app *a;
    char p[PATH_MAX];
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv != SAR_OK)
        return rv;
    if (pulSize == NULL)
        return SAR_INVALIDPARAMERR;
    if ((rv = sks_path(p, sizeof(p), a->path, "files", NULL)) != SAR_OK)
        return rv;
    return sks_list(p, ".attr", false, szFileList, pulSize);
}

ULONG DEVAPI SKF_GetFileInfo(HAPPLICATION hApplication, LPSTR szFileName,
                             FILEATTRIBUTE *pFileInfo)
{
    sks_app *a;
    fattr f;
    char data[PATH_MAX], attr[PATH_MAX];
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv == SAR_OK)
        rv = file_paths(a, szFileName, data, attr);
    if (rv == SAR_OK && pFileInfo == NULL)
        rv = SAR_INVALIDPARAMERR;
    if (rv == SAR_OK)
        rv = attr_load(attr, &f);
    if (rv != SAR_OK)
        return rv;
    memset(pFileInfo, 0, sizeof(*pFileInfo));
    snprintf(pFileInfo->FileName, sizeof(pFileInfo->FileName), "%s", szFileName);
    pFileInfo->FileSize = f.size;
    pFileInfo->ReadRights = f.read;
    pFileInfo->WriteRights = f.write;
    return SAR_OK;
}

ULONG DEVAPI SKF_ReadFile(HAPPLICATION hApplication, LPSTR szFileName, ULONG ulOffset,
                          ULONG ulSize, BYTE *pbOutData, ULONG *pulOutLen)
{
    sks_app *a;
    fattr f;
    char data[PATH_MAX], attr[PATH_MAX];
    unsigned char *buf = NULL;
    size_t len = 0;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv == SAR_OK)
        rv = file_paths(a, szFileName, data, attr);
    if (rv == SAR_OK && pulOutLen == NULL)
        rv = SAR_INVALIDPARAMERR;
    if (rv == SAR_OK)
        rv = attr_load(attr, &f);
    if (rv != SAR_OK)
        return rv;
    if (!allowed(a, f.read))
        return SAR_USER_NOT_LOGGED_IN;
    if ((rv = sks_read(data, &buf, &len)) != SAR_OK)
        return rv;
    if (ulOffset > len) {
        rv = SAR_INDATALENERR;
        goto out;
    }
    ULONG n = (ULONG)(len - ulOffset) < ulSize ? (ULONG)(len - ulOffset) : ulSize;
    if (pbOutData == NULL) {
        *pulOutLen = n;
        goto out;
    }
    if (*pulOutLen < n) {
        *pulOutLen = n;
        rv = SAR_BUFFER_TOO_SMALL;
        goto out;
    }
    memcpy(pbOutData, buf + ulOffset, n);
    *pulOutLen = n;
out:
    free(buf);
    return rv;
}

ULONG DEVAPI SKF_WriteFile(HAPPLICATION hApplication, LPSTR szFileName, ULONG ulOffset,
                           BYTE *pbData, ULONG ulSize)
{
    sks_app *a;
    fattr f;
    char data[PATH_MAX], attr[PATH_MAX];
    unsigned char *buf = NULL;
    size_t len = 0;
    ULONG rv = sks_app_check(hApplication, &a);
    if (rv == SAR_OK)
        rv = file_paths(a, szFileName, data, attr);
    if (rv == SAR_OK && pbData == NULL && ulSize > 0)
        rv = SAR_INVALIDPARAMERR;
    if (rv == SAR_OK)
        rv = attr_load(attr, &f);
    if (rv != SAR_OK)
        return rv;
    if (!allowed(a, f.write))
        return SAR_USER_NOT_LOGGED_IN;
    if ((uint64_t)ulOffset + ulSize > f.size)
        return SAR_INDATALENERR; /* files keep the size they were created with */
    if ((rv = sks_read(data, &buf, &len)) != SAR_OK)
        return rv;
    if (len != f.size) {
        rv = SAR_FILEERR;
        goto out;
    }
    if (ulSize > 0)
        memcpy(buf + ulOffset, pbData, ulSize);
    rv = sks_write(data, buf, len);
out:
    free(buf);
    return rv;
}
