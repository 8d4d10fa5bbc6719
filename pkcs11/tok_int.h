/* Internals shared by the pkcs11/ sources; not for other layers.
 *
 * A tok_module holds one libp11 context and, for the calls libp11 0.4.12 lacks, the raw
 * function list of the same module (dlopen of the same file gives the same instance, so
 * sessions and login state are shared). A tok_slot names a token by slot ID and keeps
 * one raw R/W session of its own; libp11's slot array is rebuilt by PKCS11_update_slots,
 * so tok_slot never stores a PKCS11_SLOT pointer, it looks it up by ID when needed. */
#ifndef SK_TOK_INT_H
#define SK_TOK_INT_H

#include <libp11.h>
#include <p11-kit/pkcs11.h>

#include "pkcs11/tok.h"

struct tok_module {
    char *path;
    PKCS11_CTX *ctx;
    bool loaded;        /* ctx holds a loaded module: libp11 0.4.12 crashes unloading one
                           that failed to load */
    PKCS11_SLOT *slots; /* libp11's view; refreshed after C_InitToken and on reload */
    unsigned int nslots;
    void *dl;           /* our own reference keeps the function list valid across reloads */
    CK_FUNCTION_LIST_PTR f;
};

struct tok_slot {
    tok_module *m;
    CK_SLOT_ID id;
    CK_SESSION_HANDLE sess; /* CK_INVALID_HANDLE until first needed */
    char label[33];         /* as last read, for messages */
    char serial[17];
};

/* Copy a blank-padded PKCS#11 text field into a C string, trimming the padding. */
void tok_copy_padded(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen);

/* Re-read the token's label and serial into s (for messages and after C_InitToken). */
void tok_refresh_names(tok_slot *s);

/* The raw R/W session of this slot, opened on first use. */
int tok_session(tok_slot *s, CK_SESSION_HANDLE *out, sk_err *e);

/* Close the slot's raw session (C_InitToken refuses while any session is open). */
void tok_session_close(tok_slot *s);

/* libp11's slot for this slot ID (no refresh). */
int tok_p11_slot(tok_slot *s, PKCS11_SLOT **out, sk_err *e);
bool tok_p11_knows(tok_module *m, CK_SLOT_ID id);

/* List the module's slots into m->slots (libp11), trying again a few times when the module
 * answers with a general or device error (tok_module.c says why). */
int tok_p11_load_slots(tok_module *m, sk_err *e);

/* Rebuild libp11's slot list. libp11 0.4.12 closes every session of every slot when it
 * releases its list (C_CloseAllSessions), which also logs the application out, and frees
 * the EVP_PKEYs it handed out: call only when no session or key of this module is in use. */
int tok_p11_refresh(tok_module *m, sk_err *e);

/* Set e for a failed PKCS#11 call: "token 'L' (serial S): FN: CKR_X (hint)". Returns the
 * sk status matching rv (SK_EPIN for PIN problems, SK_ETOKEN otherwise). */
int tok_fail(const tok_slot *s, sk_err *e, const char *fn, CK_RV rv);

/* Status code for a CKR_* value, and a short explanation or NULL. */
int tok_rv_status(CK_RV rv);
const char *tok_rv_hint(CK_RV rv);

/* Find objects matching a template on session h; *out is malloc'd (free it), *n its count. */
int tok_find(tok_slot *s, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG count,
             CK_OBJECT_HANDLE **out, size_t *n, sk_err *e);

/* Find exactly one object of class cls with this CKA_ID. */
int tok_find_one(tok_slot *s, CK_OBJECT_CLASS cls, const unsigned char *id, size_t id_len,
                 CK_OBJECT_HANDLE *out, sk_err *e);

/* Read one variable-length attribute into a malloc'd buffer (NULL and 0 if absent). */
int tok_get_attr(tok_slot *s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
                 unsigned char **val, size_t *len, sk_err *e);

/* Hex of id for messages, truncated to fit. */
void tok_hex(char *dst, size_t dstlen, const unsigned char *id, size_t id_len);

#endif
