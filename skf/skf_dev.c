/* Devices: enumeration, selection by name or serial, information, device authentication
 * and insertion/removal events. */
#include "skf/skf_int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The present devices' names. */
static int enum_names(skf_lib *lib, char ***names, size_t *n, sk_err *e)
{
    ULONG size = 0, rv;
    char *buf = NULL;
    int ret;
    rv = lib->SKF_EnumDev(TRUE, NULL, &size);
    if (rv != SAR_OK)
        return skf_fail(e, NULL, "SKF_EnumDev", rv);
    if (size < 2 || size > 1024 * 1024)
        return sk_err_set(e, SK_ETOKEN, "SKF: SKF_EnumDev: implausible list size %u",
                          (unsigned)size);
    if ((buf = calloc(1, (size_t)size + 2)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory listing SKF devices");
    rv = lib->SKF_EnumDev(TRUE, buf, &size);
    if (rv != SAR_OK) {
        ret = skf_fail(e, NULL, "SKF_EnumDev", rv);
        goto out;
    }
    ret = skf_split_names(buf, size, names, n, e);
out:
    free(buf);
    return ret;
}

static int connect_dev(skf_lib *lib, const char *name, skf_dev **out, sk_err *e)
{
    skf_dev *d = calloc(1, sizeof(*d));
    ULONG rv;
    if (d == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory connecting SKF device");
    d->lib = lib;
    if (snprintf(d->name, sizeof(d->name), "%s", name) >= (int)sizeof(d->name)) {
        free(d);
        return sk_err_set(e, SK_ETOKEN, "SKF device name longer than %zu bytes",
                          sizeof(d->name) - 1);
    }
    rv = lib->SKF_ConnectDev(d->name, &d->h);
    if (rv != SAR_OK) {
        int ret = skf_fail(e, name, "SKF_ConnectDev", rv);
        free(d);
        return ret;
    }
    *out = d;
    return SK_OK;
}

void skf_dev_free(skf_dev *d)
{
    if (d == NULL)
        return;
    if (d->h != NULL)
        d->lib->SKF_DisConnectDev(d->h);
    free(d);
}

static void copy_field(char *dst, size_t cap, const char *src, size_t src_len)
{
    size_t n = strnlen(src, src_len);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    while (n > 0 && dst[n - 1] == ' ')
        dst[--n] = '\0'; /* some vendors pad with blanks */
}

int skf_dev_get_info(skf_dev *d, skf_dev_info *out, sk_err *e)
{
    DEVINFO di;
    ULONG rv, size = 0;
    memset(&di, 0, sizeof(di));
    rv = d->lib->SKF_GetDevInfo(d->h, &di);
    if (rv != SAR_OK)
        return skf_fail(e, d->name, "SKF_GetDevInfo", rv);
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", d->name);
    copy_field(out->label, sizeof(out->label), di.Label, sizeof(di.Label));
    copy_field(out->serial, sizeof(out->serial), di.SerialNumber, sizeof(di.SerialNumber));
    copy_field(out->manufacturer, sizeof(out->manufacturer), di.Manufacturer,
               sizeof(di.Manufacturer));
    copy_field(out->issuer, sizeof(out->issuer), di.Issuer, sizeof(di.Issuer));
    out->total_space = di.TotalSpace;
    out->free_space = di.FreeSpace;
    rv = d->lib->SKF_EnumApplication(d->h, NULL, &size);
    if (rv != SAR_OK)
        return skf_fail(e, d->name, "SKF_EnumApplication", rv);
    if (size > 2) {
        char **names = NULL;
        char *buf = calloc(1, (size_t)size + 2);
        int ret;
        if (buf == NULL)
            return sk_err_set(e, SK_EINTERNAL, "out of memory");
        rv = d->lib->SKF_EnumApplication(d->h, buf, &size);
        if (rv != SAR_OK) {
            free(buf);
            return skf_fail(e, d->name, "SKF_EnumApplication", rv);
        }
        ret = skf_split_names(buf, size, &names, &out->n_apps, e);
        skf_names_free(names, out->n_apps);
        free(buf);
        if (ret != SK_OK)
            return ret;
    }
    return SK_OK;
}

int skf_list_devices(skf_lib *lib, skf_dev_info **out, size_t *n, sk_err *e)
{
    char **names = NULL;
    size_t count = 0, i;
    skf_dev_info *infos = NULL;
    int ret = enum_names(lib, &names, &count, e);
    if (ret != SK_OK)
        return ret;
    if ((infos = calloc(count ? count : 1, sizeof(*infos))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory listing SKF devices");
        goto out;
    }
    size_t got = 0;
    for (i = 0; i < count; i++) {
        skf_dev *d = NULL;
        ULONG state = DEV_PRESENT_STATE;
        ret = connect_dev(lib, names[i], &d, e);
        if (ret == SK_OK) {
            ret = skf_dev_get_info(d, &infos[got], e);
            skf_dev_free(d);
        }
        if (ret != SK_OK) {
            /* Pulled out between SKF_EnumDev and now: not present, not an error. */
            if (lib->SKF_GetDevState(names[i], &state) == SAR_OK && state == DEV_ABSENT_STATE)
                continue;
            goto out;
        }
        got++;
    }
    *out = infos;
    *n = got;
    infos = NULL;
    ret = SK_OK;
out:
    free(infos);
    skf_names_free(names, count);
    return ret;
}

int skf_select(skf_lib *lib, const char *name, const char *serial, skf_dev **out, sk_err *e)
{
    skf_dev_info *infos = NULL;
    size_t n = 0, match = 0, found = 0;
    char what[512];
    int ret;
    if (name != NULL && serial != NULL)
        snprintf(what, sizeof(what), "name '%s' and serial '%s'", name, serial);
    else if (name != NULL)
        snprintf(what, sizeof(what), "name '%s'", name);
    else if (serial != NULL)
        snprintf(what, sizeof(what), "serial '%s'", serial);
    else
        what[0] = '\0';
    if ((ret = skf_list_devices(lib, &infos, &n, e)) != SK_OK)
        return ret;
    for (size_t i = 0; i < n; i++) {
        bool ok = (name == NULL || strcmp(infos[i].name, name) == 0) &&
                  (serial == NULL || strcmp(infos[i].serial, serial) == 0) &&
                  (name != NULL || serial != NULL || infos[i].n_apps == 0);
        if (!ok)
            continue;
        if (match++ == 0)
            found = i;
        if (name == NULL && serial == NULL)
            break; /* the first blank device */
    }
    if (match == 0 && what[0] == '\0')
        ret = sk_err_set(e, SK_ETOKEN, "SKF: no blank device (no application) among %zu "
                                       "present", n);
    else if (match == 0)
        ret = sk_err_set(e, SK_ETOKEN, "SKF: no device with %s among %zu present", what, n);
    else if (match > 1)
        ret = sk_err_set(e, SK_ETOKEN, "SKF: %zu devices match %s; name one by its name",
                         match, what);
    else
        ret = connect_dev(lib, infos[found].name, out, e);
    free(infos);
    return ret;
}

int skf_dev_set_label(skf_dev *d, const char *label, sk_err *e)
{
    char buf[32];
    ULONG rv;
    if (snprintf(buf, sizeof(buf), "%s", label) >= (int)sizeof(buf))
        return sk_err_set(e, SK_EINPUT, "SKF device label '%s' is 32 bytes or longer", label);
    rv = d->lib->SKF_SetLabel(d->h, buf);
    return rv == SAR_OK ? SK_OK : skf_fail(e, d->name, "SKF_SetLabel", rv);
}

int skf_dev_auth(skf_dev *d, const unsigned char *key, size_t key_len, sk_err *e)
{
    BYTE challenge[16] = {0}, answer[16];
    EVP_CIPHER_CTX *ctx = NULL;
    int outl = 0, ret;
    ULONG rv;
    if (key_len != 16)
        return sk_err_set(e, SK_EINPUT, "SKF device authentication key is %zu bytes, not 16",
                          key_len);
    rv = d->lib->SKF_GenRandom(d->h, challenge, 8);
    if (rv != SAR_OK)
        return skf_fail(e, d->name, "SKF_GenRandom", rv);
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || !EVP_EncryptInit_ex(ctx, EVP_sm4_ecb(), NULL, key, NULL) ||
        !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
        !EVP_EncryptUpdate(ctx, answer, &outl, challenge, 16) || outl != 16) {
        ret = sk_err_ossl(e, SK_ECRYPTO, "SKF device '%s': SM4 of the device challenge",
                          d->name);
        goto out;
    }
    rv = d->lib->SKF_DevAuth(d->h, answer, 16);
    if (rv != SAR_OK) {
        ret = skf_fail(e, d->name, "SKF_DevAuth", rv);
        sk_err_wrap(e, "device authentication refused (wrong device key?)");
        goto out;
    }
    ret = SK_OK;
out:
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(answer, sizeof(answer));
    return ret;
}

int skf_dev_change_auth_key(skf_dev *d, const unsigned char *key, size_t key_len, sk_err *e)
{
    ULONG rv;
    if (key_len != 16)
        return sk_err_set(e, SK_EINPUT, "SKF device authentication key is %zu bytes, not 16",
                          key_len);
    rv = d->lib->SKF_ChangeDevAuthKey(d->h, (BYTE *)key, 16);
    return rv == SAR_OK ? SK_OK : skf_fail(e, d->name, "SKF_ChangeDevAuthKey", rv);
}

int skf_wait_event(skf_lib *lib, char *name, size_t cap, int *event, sk_err *e)
{
    ULONG len = cap > 0xffffffffu ? 0xffffffffu : (ULONG)cap, ev = 0;
    ULONG rv = lib->SKF_WaitForDevEvent(name, &len, &ev);
    if (rv == SAR_NOT_EVENTERR) {
        *event = SKF_EVENT_NONE; /* cancelled */
        if (cap > 0)
            name[0] = '\0';
        return SK_OK;
    }
    if (rv != SAR_OK)
        return skf_fail(e, NULL, "SKF_WaitForDevEvent", rv);
    if (len == 0 || len > cap || name[len - 1] != '\0')
        return sk_err_set(e, SK_ETOKEN, "SKF: SKF_WaitForDevEvent: device name not terminated");
    if (ev != SKF_DEV_EVENT_INSERTED && ev != SKF_DEV_EVENT_REMOVED)
        return sk_err_set(e, SK_ETOKEN, "SKF: SKF_WaitForDevEvent: unknown event %u",
                          (unsigned)ev);
    *event = ev == SKF_DEV_EVENT_INSERTED ? SKF_EVENT_INSERTED : SKF_EVENT_REMOVED;
    return SK_OK;
}

int skf_cancel_wait(skf_lib *lib, sk_err *e)
{
    ULONG rv = lib->SKF_CancelWaitForDevEvent();
    return rv == SAR_OK ? SK_OK : skf_fail(e, NULL, "SKF_CancelWaitForDevEvent", rv);
}
