/* Applications, their PINs, and files. PINs go straight to the library (the SKF prototypes
 * take char *, the library does not write them) and are never copied or put in messages. */
#include "skf/skf_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKF_MAX_RETRIES 15

/* A name list from one of the SKF_Enum* calls (size protocol: NULL buffer first). */
static int list_names(const char *dev, const char *fn_name, ULONG (*fn)(HANDLE, LPSTR, ULONG *),
                      HANDLE h, char ***names, size_t *n, sk_err *e)
{
    ULONG size = 0, rv = fn(h, NULL, &size);
    char *buf;
    int ret;
    if (rv != SAR_OK)
        return skf_fail(e, dev, fn_name, rv);
    if (size > 1024 * 1024)
        return sk_err_set(e, SK_ETOKEN, "SKF device '%s': %s: implausible size %u", dev,
                          fn_name, (unsigned)size);
    if ((buf = calloc(1, (size_t)size + 2)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    rv = fn(h, buf, &size);
    if (rv != SAR_OK)
        ret = skf_fail(e, dev, fn_name, rv);
    else
        ret = skf_split_names(buf, size, names, n, e);
    free(buf);
    return ret;
}

static int check_name(const char *what, const char *name, size_t max, sk_err *e)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > max)
        return sk_err_set(e, SK_EINPUT, "SKF %s name '%s' must be 1 to %zu bytes", what,
                          name != NULL ? name : "", max);
    return SK_OK;
}

static int new_app(skf_dev *d, const char *name, skf_app **out, sk_err *e)
{
    skf_app *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    a->dev = d;
    snprintf(a->name, sizeof(a->name), "%s", name);
    *out = a;
    return SK_OK;
}

int skf_app_create(skf_dev *d, const char *name, const char *so_pin, unsigned so_retries,
                   const char *user_pin, unsigned user_retries, skf_app **out, sk_err *e)
{
    skf_app *a = NULL;
    ULONG rv;
    int ret;
    if ((ret = check_name("application", name, 32, e)) != SK_OK)
        return ret;
    if (so_retries == 0 || so_retries > SKF_MAX_RETRIES || user_retries == 0 ||
        user_retries > SKF_MAX_RETRIES)
        return sk_err_set(e, SK_EINPUT,
                          "SKF application '%s': PIN retry counts must be 1 to %d (SO %u, "
                          "user %u)",
                          name, SKF_MAX_RETRIES, so_retries, user_retries);
    if ((ret = new_app(d, name, &a, e)) != SK_OK)
        return ret;
    rv = d->lib->SKF_CreateApplication(d->h, a->name, (LPSTR)so_pin, so_retries,
                                       (LPSTR)user_pin, user_retries, SECURE_USER_ACCOUNT,
                                       &a->h);
    if (rv != SAR_OK) {
        ret = skf_fail(e, d->name, "SKF_CreateApplication", rv);
        sk_err_wrap(e, "application '%s'", name);
        free(a);
        return ret;
    }
    *out = a;
    return SK_OK;
}

int skf_app_open(skf_dev *d, const char *name, skf_app **out, sk_err *e)
{
    skf_app *a = NULL;
    ULONG rv;
    int ret;
    if ((ret = check_name("application", name, 32, e)) != SK_OK ||
        (ret = new_app(d, name, &a, e)) != SK_OK)
        return ret;
    rv = d->lib->SKF_OpenApplication(d->h, a->name, &a->h);
    if (rv != SAR_OK) {
        ret = skf_fail(e, d->name, "SKF_OpenApplication", rv);
        sk_err_wrap(e, "application '%s'", name);
        free(a);
        return ret;
    }
    *out = a;
    return SK_OK;
}

void skf_app_free(skf_app *a)
{
    if (a == NULL)
        return;
    if (a->h != NULL)
        a->dev->lib->SKF_CloseApplication(a->h);
    free(a);
}

int skf_app_delete(skf_dev *d, const char *name, sk_err *e)
{
    char buf[33];
    ULONG rv;
    int ret;
    if ((ret = check_name("application", name, 32, e)) != SK_OK)
        return ret;
    snprintf(buf, sizeof(buf), "%s", name);
    rv = d->lib->SKF_DeleteApplication(d->h, buf);
    return rv == SAR_OK ? SK_OK : skf_fail(e, d->name, "SKF_DeleteApplication", rv);
}

int skf_app_list(skf_dev *d, char ***names, size_t *n, sk_err *e)
{
    return list_names(d->name, "SKF_EnumApplication", d->lib->SKF_EnumApplication, d->h, names,
                      n, e);
}

int skf_get_pin_info(skf_app *a, bool so, skf_pin_info *out, sk_err *e)
{
    ULONG max = 0, left = 0;
    BOOL def = FALSE;
    ULONG rv = a->dev->lib->SKF_GetPINInfo(a->h, so ? ADMIN_TYPE : USER_TYPE, &max, &left, &def);
    if (rv != SAR_OK)
        return skf_fail(e, a->dev->name, "SKF_GetPINInfo", rv);
    out->max_retries = max;
    out->remaining = left;
    out->is_default = def != FALSE;
    return SK_OK;
}

static int login(skf_app *a, ULONG type, const char *pin, sk_err *e)
{
    const char *who = type == ADMIN_TYPE ? "SO" : "user";
    skf_pin_info pi = {0}; /* set by skf_get_pin_info; -O2 cannot see that */
    ULONG retry = 0, rv;
    int ret;
    if ((ret = skf_get_pin_info(a, type == ADMIN_TYPE, &pi, e)) != SK_OK)
        return ret;
    if (pi.remaining == 0)
        return sk_err_set(e, SK_EPIN, "SKF device '%s' application '%s': %s PIN is locked; "
                                      "not trying", a->dev->name, a->name, who);
    if (pi.remaining == 1)
        return sk_err_set(e, SK_EPIN,
                          "SKF device '%s' application '%s': %s PIN has one try left; not "
                          "risking it (unblock or check the PIN by hand)",
                          a->dev->name, a->name, who);
    rv = a->dev->lib->SKF_VerifyPIN(a->h, type, (LPSTR)pin, &retry);
    if (rv == SAR_PIN_INCORRECT || rv == SAR_PIN_LOCKED)
        return sk_err_set(e, SK_EPIN,
                          "SKF device '%s' application '%s': SKF_VerifyPIN (%s): %s: %u "
                          "tr%s left%s",
                          a->dev->name, a->name, who, skf_sar_name(rv), (unsigned)retry,
                          retry == 1 ? "y" : "ies", retry == 0 ? ", PIN locked" : "");
    if (rv != SAR_OK) {
        ret = skf_fail(e, a->dev->name, "SKF_VerifyPIN", rv);
        return sk_err_wrap(e, "application '%s' (%s PIN)", a->name, who);
    }
    return SK_OK;
}

int skf_login_user(skf_app *a, const char *pin, sk_err *e)
{
    return login(a, USER_TYPE, pin, e);
}

int skf_login_so(skf_app *a, const char *pin, sk_err *e)
{
    return login(a, ADMIN_TYPE, pin, e);
}

int skf_logout(skf_app *a, sk_err *e)
{
    ULONG rv = a->dev->lib->SKF_ClearSecureState(a->h);
    return rv == SAR_OK ? SK_OK : skf_fail(e, a->dev->name, "SKF_ClearSecureState", rv);
}

int skf_change_pin(skf_app *a, bool so, const char *old_pin, const char *new_pin, sk_err *e)
{
    ULONG retry = 0;
    ULONG rv = a->dev->lib->SKF_ChangePIN(a->h, so ? ADMIN_TYPE : USER_TYPE, (LPSTR)old_pin,
                                          (LPSTR)new_pin, &retry);
    if (rv == SAR_PIN_INCORRECT || rv == SAR_PIN_LOCKED)
        return sk_err_set(e, SK_EPIN, "SKF device '%s' application '%s': SKF_ChangePIN: %s: %u "
                                      "tries left",
                          a->dev->name, a->name, skf_sar_name(rv), (unsigned)retry);
    return rv == SAR_OK ? SK_OK : skf_fail(e, a->dev->name, "SKF_ChangePIN", rv);
}

int skf_unblock_user_pin(skf_app *a, const char *so_pin, const char *new_user_pin, sk_err *e)
{
    ULONG retry = 0;
    ULONG rv = a->dev->lib->SKF_UnblockPIN(a->h, (LPSTR)so_pin, (LPSTR)new_user_pin, &retry);
    if (rv == SAR_PIN_INCORRECT || rv == SAR_PIN_LOCKED)
        return sk_err_set(e, SK_EPIN, "SKF device '%s' application '%s': SKF_UnblockPIN: %s: "
                                      "%u SO PIN tries left",
                          a->dev->name, a->name, skf_sar_name(rv), (unsigned)retry);
    return rv == SAR_OK ? SK_OK : skf_fail(e, a->dev->name, "SKF_UnblockPIN", rv);
}

int skf_file_write(skf_app *a, const char *name, const unsigned char *data, size_t len,
                   sk_err *e)
{
    char buf[33];
    skf_lib *l = a->dev->lib;
    ULONG rv;
    int ret;
    if ((ret = check_name("file", name, 32, e)) != SK_OK)
        return ret;
    if (len > 0xffffffffu)
        return sk_err_set(e, SK_EINPUT, "SKF file '%s': %zu bytes is too large", name, len);
    snprintf(buf, sizeof(buf), "%s", name);
    const char *fn = "SKF_CreateFile";
    rv = l->SKF_CreateFile(a->h, buf, (ULONG)len, SECURE_ANYONE_ACCOUNT, SECURE_USER_ACCOUNT);
    if (rv == SAR_OK && len > 0) {
        fn = "SKF_WriteFile";
        rv = l->SKF_WriteFile(a->h, buf, 0, (BYTE *)data, (ULONG)len);
    }
    if (rv != SAR_OK) {
        skf_fail(e, a->dev->name, fn, rv);
        /* A created file that could not be written would read back as zeros: remove it,
         * so a rerun finds no half-written seal (best effort: the device may be gone). */
        if (strcmp(fn, "SKF_WriteFile") == 0)
            l->SKF_DeleteFile(a->h, buf);
        return sk_err_wrap(e, "file '%s' (%zu bytes)", name, len);
    }
    return SK_OK;
}

int skf_file_read(skf_app *a, const char *name, unsigned char **data, size_t *len, sk_err *e)
{
    char buf[33];
    FILEATTRIBUTE fa;
    skf_lib *l = a->dev->lib;
    unsigned char *out = NULL;
    ULONG rv, got;
    int ret;
    if ((ret = check_name("file", name, 32, e)) != SK_OK)
        return ret;
    snprintf(buf, sizeof(buf), "%s", name);
    memset(&fa, 0, sizeof(fa));
    rv = l->SKF_GetFileInfo(a->h, buf, &fa);
    if (rv != SAR_OK) {
        ret = skf_fail(e, a->dev->name, "SKF_GetFileInfo", rv);
        return sk_err_wrap(e, "file '%s'", name);
    }
    if ((out = malloc(fa.FileSize ? fa.FileSize : 1)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory reading SKF file '%s'", name);
    got = fa.FileSize;
    rv = fa.FileSize > 0 ? l->SKF_ReadFile(a->h, buf, 0, fa.FileSize, out, &got) : SAR_OK;
    if (rv != SAR_OK || got != fa.FileSize) {
        ret = rv != SAR_OK ? skf_fail(e, a->dev->name, "SKF_ReadFile", rv)
                           : sk_err_set(e, SK_ETOKEN, "SKF device '%s': SKF_ReadFile gave %u "
                                                      "of %u bytes",
                                        a->dev->name, (unsigned)got, (unsigned)fa.FileSize);
        free(out);
        return sk_err_wrap(e, "file '%s'", name);
    }
    *data = out;
    *len = fa.FileSize;
    return SK_OK;
}

int skf_file_list(skf_app *a, char ***names, size_t *n, sk_err *e)
{
    return list_names(a->dev->name, "SKF_EnumFiles", a->dev->lib->SKF_EnumFiles, a->h, names,
                      n, e);
}

int skf_file_delete(skf_app *a, const char *name, sk_err *e)
{
    char buf[33];
    ULONG rv;
    int ret;
    if ((ret = check_name("file", name, 32, e)) != SK_OK)
        return ret;
    snprintf(buf, sizeof(buf), "%s", name);
    rv = a->dev->lib->SKF_DeleteFile(a->h, buf);
    return rv == SAR_OK ? SK_OK : skf_fail(e, a->dev->name, "SKF_DeleteFile", rv);
}
