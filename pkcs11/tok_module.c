/* Loading a module: libp11 context plus the raw function list of the same instance. */
#include "pkcs11/tok_int.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libp11 reports failures through OpenSSL's error queue; the CKR code is the reason. */
static unsigned long p11_last_rv(void)
{
    unsigned long err, last = 0;

    while ((err = ERR_get_error()) != 0)
        last = err;
    return last ? (unsigned long)ERR_GET_REASON(last) : CKR_GENERAL_ERROR;
}

/* How often a slot listing that failed with a general or device error is tried again.
 * SoftHSM reads every token's files from its store when the slots are listed, and answers
 * CKR_GENERAL_ERROR when it meets a token another process is initialising at that moment
 * (two batches on one station hit it); a reader can do the same while a token settles. */
#define LOAD_SLOTS_TRIES 5

int tok_p11_load_slots(tok_module *m, sk_err *e)
{
    unsigned long rv = CKR_OK;

    for (int attempt = 1; attempt <= LOAD_SLOTS_TRIES; attempt++) {
        m->slots = NULL;
        m->nslots = 0;
        if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) == 0)
            return SK_OK;
        rv = p11_last_rv();
        m->slots = NULL;
        m->nslots = 0;
        if (rv != CKR_GENERAL_ERROR && rv != CKR_DEVICE_ERROR)
            break;
        struct timespec pause = {0, 50L * 1000 * 1000 * attempt};
        nanosleep(&pause, NULL);
    }
    return sk_err_set(e, SK_ETOKEN, "module %s: listing slots (libp11): %s", m->path,
                      tok_rv_name(rv));
}

int tok_module_open(const char *spec, tok_module **out, sk_err *e)
{
    tok_module *m = NULL;
    CK_C_GetFunctionList getfl;
    CK_RV rv;
    char resolved[4096];
    const char *module_path = resolved;
    int ret = SK_ETOKEN;

    *out = NULL;
    if ((ret = tok_module_resolve(spec, resolved, sizeof(resolved), e)) != SK_OK)
        goto out;
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->path = strdup(module_path)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    m->ctx = PKCS11_CTX_new();
    if (m->ctx == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "PKCS11_CTX_new failed");
        goto out;
    }
    if (PKCS11_CTX_load(m->ctx, module_path) != 0) {
        char names[512];
        sk_err ne;

        ERR_clear_error();
        if (spec == NULL)
            ret = sk_err_set(e, SK_ETOKEN, "cannot load PKCS#11 module %s (p11-kit's default)",
                             module_path);
        else if (strcmp(spec, module_path) != 0)
            ret = sk_err_set(e, SK_ETOKEN, "cannot load PKCS#11 module %s (p11-kit: %s)", spec,
                             module_path);
        else if (strchr(spec, '/') == NULL && tok_module_names(names, sizeof(names), &ne) == SK_OK)
            ret = sk_err_set(e, SK_ETOKEN, "cannot load PKCS#11 module %s: neither a p11-kit "
                             "module (p11-kit list-modules: %s) nor a library the loader finds",
                             spec, names[0] ? names : "none");
        else
            ret = sk_err_set(e, SK_ETOKEN, "cannot load PKCS#11 module %s", module_path);
        goto out;
    }
    m->loaded = true;
    /* Same file, same process: dlopen hands back the instance libp11 initialised. */
    m->dl = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
    if (m->dl == NULL) {
        ret = sk_err_set(e, SK_ETOKEN, "module %s: dlopen: %s", module_path, dlerror());
        goto out;
    }
    *(void **)&getfl = dlsym(m->dl, "C_GetFunctionList");
    if (getfl == NULL) {
        ret = sk_err_set(e, SK_ETOKEN, "module %s has no C_GetFunctionList", module_path);
        goto out;
    }
    rv = getfl(&m->f);
    if (rv != CKR_OK) {
        ret = sk_err_set(e, SK_ETOKEN, "module %s: C_GetFunctionList: %s", module_path,
                         tok_rv_name(rv));
        goto out;
    }
    /* A check that both sides share one instance, not an initialisation: if this returned
     * CKR_OK we would hold a second copy whose logins libp11 cannot see. */
    rv = m->f->C_Initialize(NULL);
    if (rv == CKR_OK) {
        m->f->C_Finalize(NULL);
        m->f = NULL;
        ret = sk_err_set(e, SK_ETOKEN,
                         "module %s: raw C_Initialize succeeded after libp11's: the module was "
                         "loaded twice and would not share sessions",
                         module_path);
        goto out;
    }
    if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        ret = sk_err_set(e, SK_ETOKEN, "module %s: C_Initialize: %s", module_path,
                         tok_rv_name(rv));
        goto out;
    }
    ret = tok_p11_load_slots(m, e);
    if (ret != SK_OK)
        goto out;
    *out = m;
    m = NULL;
out:
    tok_module_free(m);
    return ret;
}

const char *tok_module_path(const tok_module *m)
{
    return m->path;
}

void tok_module_free(tok_module *m)
{
    if (m == NULL)
        return;
    if (m->ctx != NULL) {
        if (m->slots != NULL)
            PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
        /* PKCS11_CTX_unload finalises the module (the only C_Finalize we ever make). On a
         * context whose load failed it crashes (libp11 0.4.12), hence the flag. */
        if (m->loaded)
            PKCS11_CTX_unload(m->ctx);
        PKCS11_CTX_free(m->ctx);
    }
    if (m->dl != NULL)
        dlclose(m->dl);
    free(m->path);
    free(m);
}

int tok_module_reload(tok_module *m, sk_err *e)
{
    if (m->slots != NULL)
        PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
    m->slots = NULL;
    m->nslots = 0;
    /* C_Finalize + C_Initialize through libp11, with a fresh context: PKCS11_CTX_load on a
     * reused context leaks the previous module strings. Our dlopen reference keeps the
     * library mapped, so m->f stays valid and sees the re-initialised instance. */
    if (m->loaded)
        PKCS11_CTX_unload(m->ctx);
    m->loaded = false;
    PKCS11_CTX_free(m->ctx);
    m->ctx = PKCS11_CTX_new();
    if (m->ctx == NULL)
        return sk_err_set(e, SK_EINTERNAL, "PKCS11_CTX_new failed");
    if (PKCS11_CTX_load(m->ctx, m->path) != 0) {
        ERR_clear_error();
        return sk_err_set(e, SK_ETOKEN, "module %s: reload failed", m->path);
    }
    m->loaded = true;
    return tok_p11_load_slots(m, e);
}
