/* Finding a module the way the rest of the system does: through p11-kit's configuration
 * (p11-kit list-modules), read with libp11-kit's API, never by parsing its files. */
#include "pkcs11/tok_int.h"

#include <p11-kit/p11-kit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* p11-kit marks the modules that hold trust policy (p11-kit-trust: the system's CA
 * anchors); they hold no tokens to issue onto, so the default never is one. */
static bool is_trust_policy(CK_FUNCTION_LIST *mod)
{
    char *tp = p11_kit_config_option(mod, "trust-policy");
    bool yes = tp != NULL && (strcmp(tp, "yes") == 0 || strcmp(tp, "true") == 0);

    free(tp);
    return yes;
}

static void append_name(char *list, size_t cap, const char *name)
{
    size_t used = strlen(list);

    if (used < cap)
        snprintf(list + used, cap - used, "%s%s", used ? ", " : "", name);
}

/* A spec without a '/' that p11-kit does not know is a file name for the loader's search
 * path, as station.json always allowed ("libsofthsm2.so"). */
int tok_module_resolve(const char *spec, char *path, size_t pathlen, sk_err *e)
{
    CK_FUNCTION_LIST **mods = NULL;
    char names[512] = "";
    char *name = NULL, *file = NULL;
    bool found = false;
    int ret = SK_OK;

    if (spec != NULL && strchr(spec, '/') != NULL) {
        if (snprintf(path, pathlen, "%s", spec) >= (int)pathlen)
            return sk_err_set(e, SK_EINPUT, "PKCS#11 module path %.64s...: too long", spec);
        return SK_OK;
    }
    if (spec != NULL && spec[0] == '\0')
        return sk_err_set(e, SK_EINPUT, "PKCS#11 module: empty name");
    /* Unmanaged: only loaded to be named, never initialised by p11-kit, so releasing them
     * cannot finalise a module this process already uses through libp11. */
    mods = p11_kit_modules_load(NULL, P11_KIT_MODULE_UNMANAGED);
    if (mods == NULL) {
        const char *msg = p11_kit_message();
        ret = sk_err_set(e, SK_ETOKEN, "p11-kit: loading the configured modules: %s",
                         msg != NULL ? msg : "failed");
        goto out;
    }
    /* p11-kit's own order: by "priority" in the module's config, then by name. */
    for (size_t i = 0; mods[i] != NULL && !found; i++) {
        free(name);
        name = p11_kit_module_get_name(mods[i]);
        if (name == NULL)
            continue;
        append_name(names, sizeof(names), name);
        if (spec != NULL ? strcmp(spec, name) == 0 : !is_trust_policy(mods[i])) {
            file = p11_kit_module_get_filename(mods[i]);
            found = file != NULL;
        }
    }
    if (!found && spec == NULL) {
        ret = sk_err_set(e, SK_ETOKEN, "no PKCS#11 module configured in p11-kit that holds "
                         "tokens (p11-kit list-modules: %s); name one in station.json "
                         "pkcs11_module", names[0] ? names : "none");
        goto out;
    }
    if (!found) {
        if (snprintf(path, pathlen, "%s", spec) >= (int)pathlen)
            ret = sk_err_set(e, SK_EINPUT, "PKCS#11 module %.64s...: name too long", spec);
        goto out;
    }
    if (snprintf(path, pathlen, "%s", file) >= (int)pathlen)
        ret = sk_err_set(e, SK_EINPUT, "p11-kit module %s: file name too long", name);
out:
    free(name);
    free(file);
    if (mods != NULL)
        p11_kit_modules_release(mods);
    return ret;
}

int tok_module_names(char *list, size_t cap, sk_err *e)
{
    CK_FUNCTION_LIST **mods = p11_kit_modules_load(NULL, P11_KIT_MODULE_UNMANAGED);

    list[0] = '\0';
    if (mods == NULL)
        return sk_err_set(e, SK_ETOKEN, "p11-kit: loading the configured modules failed");
    for (size_t i = 0; mods[i] != NULL; i++) {
        char *name = p11_kit_module_get_name(mods[i]);

        if (name != NULL)
            append_name(list, cap, name);
        free(name);
    }
    p11_kit_modules_release(mods);
    return SK_OK;
}
