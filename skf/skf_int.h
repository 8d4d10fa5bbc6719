/* Internals of the skf/ library: the handle structures and the one error helper. */
#ifndef SK_SKF_INT_H
#define SK_SKF_INT_H

#include "skf/skf.h"

struct skf_lib {
    void *dl;
    char path[1024];
#define SKF_FN_FIELD_(name, params) ULONG(DEVAPI *name) params;
    SKF_FUNCTIONS(SKF_FN_FIELD_)
#undef SKF_FN_FIELD_
};

struct skf_dev {
    skf_lib *lib;
    DEVHANDLE h;
    char name[256];
};

struct skf_app {
    skf_dev *dev;
    HAPPLICATION h;
    char name[33];
};

struct skf_con {
    skf_app *app;
    HCONTAINER h;
    char name[65];
};

/* Fill e for a failed SKF call: "device NAME: FN: SAR_X (0x0A0000NN)". PIN, removal and
 * space codes map to SK_EPIN / SK_ETOKEN, the rest to SK_ETOKEN. */
int skf_fail(sk_err *e, const char *dev, const char *fn, ULONG sar);

/* Split a GM/T 0016 multi-string ("a\0b\0\0") of size bytes into a malloc'd array. */
int skf_split_names(const char *list, size_t size, char ***names, size_t *n, sk_err *e);

#endif
