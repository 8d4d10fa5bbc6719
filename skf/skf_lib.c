/* Loading a vendor's SKF library, SAR_* names and the error every failed call produces. */
#include "skf/skf_int.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAR(x) {x, #x}

static const struct {
    ULONG sar;
    const char *name;
} sar_names[] = {
    SAR(SAR_OK), SAR(SAR_FAIL), SAR(SAR_UNKNOWNERR), SAR(SAR_NOTSUPPORTYETERR),
    SAR(SAR_FILEERR), SAR(SAR_INVALIDHANDLEERR), SAR(SAR_INVALIDPARAMERR),
    SAR(SAR_READFILEERR), SAR(SAR_WRITEFILEERR), SAR(SAR_NAMELENERR), SAR(SAR_KEYUSAGEERR),
    SAR(SAR_MODULUSLENERR), SAR(SAR_NOTINITIALIZEERR), SAR(SAR_OBJERR), SAR(SAR_MEMORYERR),
    SAR(SAR_TIMEOUTERR), SAR(SAR_INDATALENERR), SAR(SAR_INDATAERR), SAR(SAR_GENRANDERR),
    SAR(SAR_HASHOBJERR), SAR(SAR_HASHERR), SAR(SAR_GENRSAKEYERR), SAR(SAR_RSAMODULUSLENERR),
    SAR(SAR_CSPIMPRTPUBKEYERR), SAR(SAR_RSAENCERR), SAR(SAR_RSADECERR),
    SAR(SAR_HASHNOTEQUALERR), SAR(SAR_KEYNOTFOUNTERR), SAR(SAR_CERTNOTFOUNTERR),
    SAR(SAR_NOTEXPORTERR), SAR(SAR_DECRYPTPADERR), SAR(SAR_MACLENERR),
    SAR(SAR_BUFFER_TOO_SMALL), SAR(SAR_KEYINFOTYPEERR), SAR(SAR_NOT_EVENTERR),
    SAR(SAR_DEVICE_REMOVED), SAR(SAR_PIN_INCORRECT), SAR(SAR_PIN_LOCKED), SAR(SAR_PIN_INVALID),
    SAR(SAR_PIN_LEN_RANGE), SAR(SAR_USER_ALREADY_LOGGED_IN), SAR(SAR_USER_PIN_NOT_INITIALIZED),
    SAR(SAR_USER_TYPE_INVALID), SAR(SAR_APPLICATION_NAME_INVALID),
    SAR(SAR_APPLICATION_EXISTS), SAR(SAR_USER_NOT_LOGGED_IN), SAR(SAR_APPLICATION_NOT_EXISTS),
    SAR(SAR_FILE_ALREADY_EXIST), SAR(SAR_NO_ROOM), SAR(SAR_FILE_NOT_EXIST),
    SAR(SAR_REACH_MAX_CONTAINER_COUNT),
};

const char *skf_sar_name(unsigned long sar)
{
    for (size_t i = 0; i < sizeof(sar_names) / sizeof(sar_names[0]); i++)
        if (sar_names[i].sar == sar)
            return sar_names[i].name;
    return "SAR_?";
}

int skf_fail(sk_err *e, const char *dev, const char *fn, ULONG sar)
{
    int code = SK_ETOKEN;
    switch (sar) {
    case SAR_PIN_INCORRECT:
    case SAR_PIN_LOCKED:
    case SAR_PIN_INVALID:
    case SAR_PIN_LEN_RANGE:
    case SAR_USER_PIN_NOT_INITIALIZED:
        code = SK_EPIN;
        break;
    case SAR_APPLICATION_EXISTS:
    case SAR_FILE_ALREADY_EXIST:
        code = SK_ESTATE;
        break;
    default:
        /* SAR_USER_NOT_LOGGED_IN included: a call made before the login or device
         * authentication it needs is our ordering mistake or the device's refusal, never a
         * wrong PIN the operator could fix. */
        break;
    }
    if (dev != NULL)
        return sk_err_set(e, code, "SKF device '%s': %s: %s (0x%08X)", dev, fn,
                          skf_sar_name(sar), (unsigned)sar);
    return sk_err_set(e, code, "SKF: %s: %s (0x%08X)", fn, skf_sar_name(sar), (unsigned)sar);
}

int skf_split_names(const char *list, size_t size, char ***names, size_t *n, sk_err *e)
{
    char **v = NULL;
    size_t count = 0, i = 0;
    int ret = SK_EINTERNAL;
    /* Count within size: a library that forgets the final NUL must not make us overrun. */
    for (size_t off = 0; off < size && list[off] != '\0';) {
        size_t l = strnlen(list + off, size - off);
        count++;
        off += l + 1;
    }
    v = calloc(count ? count : 1, sizeof(*v));
    if (v == NULL)
        goto out;
    for (size_t off = 0; off < size && list[off] != '\0' && i < count; i++) {
        size_t l = strnlen(list + off, size - off);
        if ((v[i] = strndup(list + off, l)) == NULL)
            goto out;
        off += l + 1;
    }
    *names = v;
    *n = count;
    v = NULL;
    ret = SK_OK;
out:
    if (v != NULL)
        skf_names_free(v, i);
    if (ret != SK_OK)
        sk_err_set(e, ret, "out of memory reading an SKF name list");
    return ret;
}

void skf_names_free(char **names, size_t n)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int skf_lib_open(const char *path, skf_lib **out, sk_err *e)
{
    skf_lib *lib = NULL;
    int ret = SK_ETOKEN;
    if (path == NULL || path[0] == '\0')
        return sk_err_set(e, SK_EINPUT, "SKF library path is empty");
    if ((lib = calloc(1, sizeof(*lib))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory loading SKF library %s", path);
    if (snprintf(lib->path, sizeof(lib->path), "%s", path) >= (int)sizeof(lib->path)) {
        ret = sk_err_set(e, SK_EINPUT, "SKF library path is longer than %zu bytes",
                         sizeof(lib->path) - 1);
        goto out;
    }
    /* RTLD_LOCAL: vendor libraries often carry their own crypto with clashing symbols. */
    lib->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib->dl == NULL) {
        ret = sk_err_set(e, SK_ETOKEN, "SKF library %s: cannot load: %s", path, dlerror());
        goto out;
    }
    /* Every function sealkey calls must be there, found now rather than mid-issuance.
     * dlsym returns void *; POSIX guarantees the conversion to a function pointer. */
#define SKF_RESOLVE_(name, params)                                                           \
    *(void **)(&lib->name) = dlsym(lib->dl, #name);                                          \
    if (lib->name == NULL) {                                                                 \
        ret = sk_err_set(e, SK_ETOKEN, "SKF library %s: no function %s (not GM/T 0016?)",    \
                         path, #name);                                                       \
        goto out;                                                                            \
    }
    SKF_FUNCTIONS(SKF_RESOLVE_)
#undef SKF_RESOLVE_
    *out = lib;
    lib = NULL;
    ret = SK_OK;
out:
    skf_lib_free(lib);
    return ret;
}

void skf_lib_free(skf_lib *lib)
{
    if (lib == NULL)
        return;
    if (lib->dl != NULL)
        dlclose(lib->dl);
    free(lib);
}
