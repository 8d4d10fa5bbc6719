/* Choosing a token by URI (never by slot index: SoftHSM renumbers slots on C_InitToken),
 * the slot handle's raw session, and token information. */
#include "pkcs11/tok_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void tok_copy_padded(char *dst, size_t dstlen, const CK_UTF8CHAR *src, size_t srclen)
{
    size_t n = srclen;

    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
        n--;
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void tok_refresh_names(tok_slot *s)
{
    CK_TOKEN_INFO ti;

    if (s->m->f->C_GetTokenInfo(s->id, &ti) != CKR_OK)
        return; /* keep the last names: they only decorate messages */
    tok_copy_padded(s->label, sizeof(s->label), ti.label, sizeof(ti.label));
    tok_copy_padded(s->serial, sizeof(s->serial), ti.serialNumber, sizeof(ti.serialNumber));
}

int tok_session(tok_slot *s, CK_SESSION_HANDLE *out, sk_err *e)
{
    if (s->sess == CK_INVALID_HANDLE) {
        CK_RV rv = s->m->f->C_OpenSession(s->id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                                          &s->sess);
        if (rv != CKR_OK) {
            s->sess = CK_INVALID_HANDLE;
            return tok_fail(s, e, "C_OpenSession", rv);
        }
    }
    *out = s->sess;
    return SK_OK;
}

void tok_session_close(tok_slot *s)
{
    if (s->sess != CK_INVALID_HANDLE)
        s->m->f->C_CloseSession(s->sess);
    s->sess = CK_INVALID_HANDLE;
}

static PKCS11_SLOT *lookup(tok_module *m, CK_SLOT_ID id)
{
    for (unsigned int i = 0; i < m->nslots; i++)
        if (PKCS11_get_slotid_from_slot(&m->slots[i]) == id && m->slots[i].token != NULL)
            return &m->slots[i];
    return NULL;
}

int tok_p11_refresh(tok_module *m, sk_err *e)
{
    /* PKCS11_update_slots of libp11 0.4.12 frees slot state it keeps using (valgrind:
     * invalid read/write, then a double free), so release and enumerate again. */
    PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
    m->slots = NULL;
    m->nslots = 0;
    return tok_p11_load_slots(m, e);
}

int tok_p11_slot(tok_slot *s, PKCS11_SLOT **out, sk_err *e)
{
    /* No refresh here: that would close every session of the module (see tok_int.h). A
     * stale libp11 token struct (old label, initialized=0) does not matter because labels
     * and flags are always read through the raw function list. */
    *out = lookup(s->m, s->id);
    if (*out != NULL)
        return SK_OK;
    return sk_err_set(e, SK_ETOKEN, "token '%s' (serial %s): slot %lu unknown to libp11 "
                      "(token removed? reload the module)", s->label, s->serial,
                      (unsigned long)s->id);
}

bool tok_p11_knows(tok_module *m, CK_SLOT_ID id)
{
    return lookup(m, id) != NULL;
}

/* Does this token match the token and slot attributes of u? */
static bool matches(tok_module *m, const tok_uri *u, CK_SLOT_ID id, const CK_TOKEN_INFO *ti)
{
    char buf[65];

    if (u->has_slot_id && u->slot_id != id)
        return false;
    tok_copy_padded(buf, sizeof(buf), ti->label, sizeof(ti->label));
    if (u->has_token && strcmp(u->token, buf) != 0)
        return false;
    tok_copy_padded(buf, sizeof(buf), ti->serialNumber, sizeof(ti->serialNumber));
    if (u->has_serial && strcmp(u->serial, buf) != 0)
        return false;
    tok_copy_padded(buf, sizeof(buf), ti->manufacturerID, sizeof(ti->manufacturerID));
    if (u->has_manufacturer && strcmp(u->manufacturer, buf) != 0)
        return false;
    tok_copy_padded(buf, sizeof(buf), ti->model, sizeof(ti->model));
    if (u->has_model && strcmp(u->model, buf) != 0)
        return false;
    if (u->has_slot_description || u->has_slot_manufacturer) {
        CK_SLOT_INFO si;

        if (m->f->C_GetSlotInfo(id, &si) != CKR_OK)
            return false;
        tok_copy_padded(buf, sizeof(buf), si.slotDescription, sizeof(si.slotDescription));
        if (u->has_slot_description && strcmp(u->slot_description, buf) != 0)
            return false;
        tok_copy_padded(buf, sizeof(buf), si.manufacturerID, sizeof(si.manufacturerID));
        if (u->has_slot_manufacturer && strcmp(u->slot_manufacturer, buf) != 0)
            return false;
    }
    return true;
}

/* The library attributes describe the module itself: they match all its tokens or none.
 * *why says which one did not match, for the message. */
static int library_matches(tok_module *m, const tok_uri *u, bool *ok, char *why, size_t len,
                           sk_err *e)
{
    CK_INFO info;
    char buf[33];
    CK_RV rv;

    *ok = true;
    why[0] = '\0';
    if (!u->has_library_description && !u->has_library_manufacturer && !u->has_library_version)
        return SK_OK;
    if ((rv = m->f->C_GetInfo(&info)) != CKR_OK)
        return tok_fail(NULL, e, "C_GetInfo", rv);
    tok_copy_padded(buf, sizeof(buf), info.libraryDescription, sizeof(info.libraryDescription));
    if (u->has_library_description && strcmp(u->library_description, buf) != 0) {
        *ok = false;
        snprintf(why, len, "library-description of module %s is '%s'", m->path, buf);
        return SK_OK;
    }
    tok_copy_padded(buf, sizeof(buf), info.manufacturerID, sizeof(info.manufacturerID));
    if (u->has_library_manufacturer && strcmp(u->library_manufacturer, buf) != 0) {
        *ok = false;
        snprintf(why, len, "library-manufacturer of module %s is '%s'", m->path, buf);
        return SK_OK;
    }
    if (u->has_library_version && (info.libraryVersion.major != u->library_major ||
                                   info.libraryVersion.minor != u->library_minor)) {
        *ok = false;
        snprintf(why, len, "library-version of module %s is %u.%u", m->path,
                 info.libraryVersion.major, info.libraryVersion.minor);
    }
    return SK_OK;
}

bool tok_module_same_file(const char *a, const char *b)
{
    struct stat sa, sb;

    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return strcmp(a, b) == 0;
}

/* module-name= and module-path= pick the module; this station uses m, so they must name it. */
static int module_matches(tok_module *m, const char *uri, const tok_uri *u, sk_err *e)
{
    char path[4096];
    int ret;

    if (u->module_path[0] != '\0' && !tok_module_same_file(u->module_path, m->path))
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI %s: module-path=%s is not the station's "
                          "module %s; sealkey issues only on station.json's pkcs11_module",
                          uri, u->module_path, m->path);
    if (u->module_name[0] == '\0')
        return SK_OK;
    if ((ret = tok_module_resolve(u->module_name, path, sizeof(path), e)) != SK_OK)
        return sk_err_wrap(e, "PKCS#11 URI %s: module-name=%s", uri, u->module_name);
    if (!tok_module_same_file(path, m->path))
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI %s: module-name=%s (%s) is not the "
                          "station's module %s; sealkey issues only on station.json's "
                          "pkcs11_module",
                          uri, u->module_name, strcmp(path, u->module_name) != 0 ? path :
                          "no such p11-kit module", m->path);
    return SK_OK;
}

static void append_candidate(char *list, size_t cap, const CK_TOKEN_INFO *ti)
{
    char label[33], serial[17];
    size_t used = strlen(list);

    tok_copy_padded(label, sizeof(label), ti->label, sizeof(ti->label));
    tok_copy_padded(serial, sizeof(serial), ti->serialNumber, sizeof(ti->serialNumber));
    if (used < cap)
        snprintf(list + used, cap - used, "%s'%s' (serial %s)", used ? ", " : "", label, serial);
}

int tok_select(tok_module *m, const char *uri, tok_slot **out, sk_err *e)
{
    tok_uri u;
    CK_SLOT_ID *ids = NULL;
    CK_ULONG n = 0;
    CK_SLOT_ID found = 0;
    CK_TOKEN_INFO found_ti;
    size_t nfound = 0;
    char candidates[1024] = "";
    char why[256] = "";
    bool lib_ok = true;
    tok_slot *s = NULL;
    CK_RV rv;
    int ret;

    *out = NULL;
    if (uri != NULL && ((ret = tok_uri_parse(uri, &u, e)) != SK_OK ||
                        (ret = module_matches(m, uri, &u, e)) != SK_OK ||
                        (ret = library_matches(m, &u, &lib_ok, why, sizeof(why), e)) != SK_OK))
        goto out;
    /* The list can grow between the two calls when a reader appears. */
    for (;;) {
        rv = m->f->C_GetSlotList(CK_TRUE, NULL, &n);
        if (rv != CKR_OK)
            break;
        free(ids);
        ids = calloc(n ? n : 1, sizeof(*ids));
        if (ids == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
            goto out;
        }
        rv = m->f->C_GetSlotList(CK_TRUE, ids, &n);
        if (rv != CKR_BUFFER_TOO_SMALL)
            break;
    }
    if (rv != CKR_OK) {
        ret = tok_fail(NULL, e, "C_GetSlotList", rv);
        goto out;
    }
    for (CK_ULONG i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;

        if (m->f->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
            continue; /* removed meanwhile, or unreadable: not a candidate */
        if (uri == NULL ? (ti.flags & CKF_TOKEN_INITIALIZED) != 0
                        : !lib_ok || !matches(m, &u, ids[i], &ti))
            continue;
        if (nfound == 0) {
            found = ids[i];
            found_ti = ti;
        } else if (uri == NULL) {
            continue; /* the first blank token will do */
        }
        nfound++;
        append_candidate(candidates, sizeof(candidates), &ti);
    }
    if (nfound == 0) {
        if (uri != NULL)
            ret = sk_err_set(e, SK_ETOKEN, "no token matches %s%s%s", uri, why[0] ? ": " : "",
                             why);
        else
            ret = sk_err_set(e, SK_ETOKEN, "no blank (uninitialised) token present");
        goto out;
    }
    if (nfound > 1 && uri != NULL) {
        ret = sk_err_set(e, SK_ETOKEN, "%zu tokens match %s: %s", nfound, uri, candidates);
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    s->m = m;
    s->id = found;
    s->sess = CK_INVALID_HANDLE;
    tok_copy_padded(s->label, sizeof(s->label), found_ti.label, sizeof(found_ti.label));
    tok_copy_padded(s->serial, sizeof(s->serial), found_ti.serialNumber,
                    sizeof(found_ti.serialNumber));
    *out = s;
    s = NULL;
    ret = SK_OK;
out:
    free(ids);
    free(s);
    return ret;
}

void tok_slot_free(tok_slot *s)
{
    if (s == NULL)
        return;
    tok_session_close(s);
    free(s);
}

static unsigned long avail(CK_ULONG v)
{
    return v == CK_UNAVAILABLE_INFORMATION ? ULONG_MAX : (unsigned long)v;
}

static void fill_info(CK_SLOT_ID id, const CK_TOKEN_INFO *tip, tok_info *out)
{
    const CK_TOKEN_INFO ti = *tip;

    memset(out, 0, sizeof(*out));
    out->slot_id = id;
    tok_copy_padded(out->label, sizeof(out->label), ti.label, sizeof(ti.label));
    tok_copy_padded(out->serial, sizeof(out->serial), ti.serialNumber, sizeof(ti.serialNumber));
    tok_copy_padded(out->manufacturer, sizeof(out->manufacturer), ti.manufacturerID,
                    sizeof(ti.manufacturerID));
    tok_copy_padded(out->model, sizeof(out->model), ti.model, sizeof(ti.model));
    out->initialized = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
    out->user_pin_initialized = (ti.flags & CKF_USER_PIN_INITIALIZED) != 0;
    out->user_pin_count_low = (ti.flags & CKF_USER_PIN_COUNT_LOW) != 0;
    out->user_pin_final_try = (ti.flags & CKF_USER_PIN_FINAL_TRY) != 0;
    out->user_pin_locked = (ti.flags & CKF_USER_PIN_LOCKED) != 0;
    out->so_pin_locked = (ti.flags & CKF_SO_PIN_LOCKED) != 0;
    out->min_pin_len = ti.ulMinPinLen;
    out->max_pin_len = ti.ulMaxPinLen;
    out->free_public_memory = avail(ti.ulFreePublicMemory);
    out->free_private_memory = avail(ti.ulFreePrivateMemory);
}

int tok_get_info(tok_slot *s, tok_info *out, sk_err *e)
{
    CK_TOKEN_INFO ti;
    CK_RV rv;

    memset(out, 0, sizeof(*out));
    rv = s->m->f->C_GetTokenInfo(s->id, &ti);
    if (rv != CKR_OK)
        return tok_fail(s, e, "C_GetTokenInfo", rv);
    fill_info(s->id, &ti, out);
    memcpy(s->label, out->label, sizeof(s->label));
    memcpy(s->serial, out->serial, sizeof(s->serial));
    return SK_OK;
}

int tok_list_tokens(tok_module *m, tok_info **out, size_t *n, sk_err *e)
{
    CK_SLOT_ID *ids = NULL;
    CK_ULONG cnt = 0;
    tok_info *v = NULL;
    size_t used = 0;
    CK_RV rv;
    int ret;

    *out = NULL;
    *n = 0;
    /* The list can grow between the two calls when a reader appears. */
    for (;;) {
        rv = m->f->C_GetSlotList(CK_TRUE, NULL, &cnt);
        if (rv != CKR_OK)
            break;
        free(ids);
        ids = calloc(cnt ? cnt : 1, sizeof(*ids));
        if (ids == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
            goto out;
        }
        rv = m->f->C_GetSlotList(CK_TRUE, ids, &cnt);
        if (rv != CKR_BUFFER_TOO_SMALL)
            break;
    }
    if (rv != CKR_OK) {
        ret = tok_fail(NULL, e, "C_GetSlotList", rv);
        goto out;
    }
    if ((v = calloc(cnt ? cnt : 1, sizeof(*v))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    for (CK_ULONG i = 0; i < cnt; i++) {
        CK_TOKEN_INFO ti;

        if (m->f->C_GetTokenInfo(ids[i], &ti) != CKR_OK)
            continue; /* removed meanwhile */
        fill_info(ids[i], &ti, &v[used++]);
    }
    *out = v;
    *n = used;
    v = NULL;
    ret = SK_OK;
out:
    free(v);
    free(ids);
    return ret;
}

bool tok_blank_per_process(const tok_info *info)
{
    return !info->initialized && info->serial[0] == '\0' &&
           strcmp(info->manufacturer, "SoftHSM project") == 0;
}
