/* Object search, certificates and data objects with minimal raw templates, listing and
 * removal. */
#include "pkcs11/tok_int.h"

#include <stdlib.h>
#include <string.h>

int tok_find(tok_slot *s, CK_SESSION_HANDLE h, CK_ATTRIBUTE *tmpl, CK_ULONG count,
             CK_OBJECT_HANDLE **out, size_t *n, sk_err *e)
{
    CK_OBJECT_HANDLE *list = NULL;
    size_t used = 0, cap = 0;
    CK_RV rv;
    int ret;

    *out = NULL;
    *n = 0;
    rv = s->m->f->C_FindObjectsInit(h, tmpl, count);
    if (rv != CKR_OK)
        return tok_fail(s, e, "C_FindObjectsInit", rv);
    for (;;) {
        CK_ULONG got = 0;

        if (used == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            CK_OBJECT_HANDLE *nl = realloc(list, ncap * sizeof(*nl));

            if (nl == NULL) {
                ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
                goto out;
            }
            list = nl;
            cap = ncap;
        }
        rv = s->m->f->C_FindObjects(h, list + used, cap - used, &got);
        if (rv != CKR_OK) {
            ret = tok_fail(s, e, "C_FindObjects", rv);
            goto out;
        }
        if (got == 0)
            break;
        used += got;
    }
    *out = list;
    *n = used;
    list = NULL;
    ret = SK_OK;
out:
    s->m->f->C_FindObjectsFinal(h);
    free(list);
    return ret;
}

int tok_find_one(tok_slot *s, CK_OBJECT_CLASS cls, const unsigned char *id, size_t id_len,
                 CK_OBJECT_HANDLE *out, sk_err *e)
{
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)id, id_len}};
    CK_OBJECT_HANDLE *list = NULL;
    CK_SESSION_HANDLE h;
    size_t n = 0;
    char idhex[2 * TOK_ID_MAX + 1];
    int ret;

    if ((ret = tok_session(s, &h, e)) != SK_OK ||
        (ret = tok_find(s, h, t, 2, &list, &n, e)) != SK_OK)
        return ret;
    tok_hex(idhex, sizeof(idhex), id, id_len);
    if (n == 1)
        *out = list[0];
    else
        ret = sk_err_set(e, n == 0 ? SK_ETOKEN : SK_ESTATE,
                         "token '%s' (serial %s): %s %s with id %s%s", s->label, s->serial,
                         n == 0 ? "no" : "more than one",
                         cls == CKO_PRIVATE_KEY ? "private key"
                         : cls == CKO_PUBLIC_KEY ? "public key"
                         : cls == CKO_CERTIFICATE ? "certificate" : "object",
                         idhex, n == 0 && cls == CKO_PRIVATE_KEY ? " (logged in?)" : "");
    free(list);
    return ret;
}

int tok_get_attr(tok_slot *s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, unsigned char **val,
                 size_t *len, sk_err *e)
{
    CK_ATTRIBUTE a = {type, NULL, 0};
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int ret;

    *val = NULL;
    *len = 0;
    if ((ret = tok_session(s, &h, e)) != SK_OK)
        return ret;
    rv = s->m->f->C_GetAttributeValue(h, obj, &a, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
        a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
        return SK_OK;
    if (rv != CKR_OK)
        return tok_fail(s, e, "C_GetAttributeValue", rv);
    /* One spare byte so text attributes can be terminated by callers. */
    a.pValue = calloc(1, a.ulValueLen + 1);
    if (a.pValue == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    rv = s->m->f->C_GetAttributeValue(h, obj, &a, 1);
    if (rv != CKR_OK) {
        free(a.pValue);
        return tok_fail(s, e, "C_GetAttributeValue", rv);
    }
    *val = a.pValue;
    *len = a.ulValueLen;
    return SK_OK;
}

/* Check the length an i2d_* call returned. */
static int der_of(int len, sk_err *e, const char *what)
{
    if (len <= 0)
        return sk_err_ossl(e, SK_ECRYPTO, "encoding the certificate's %s", what);
    return SK_OK;
}

int tok_write_cert(tok_slot *s, X509 *cert, const unsigned char *id, size_t id_len,
                   const char *label, bool authority, sk_err *e)
{
    CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_ULONG category = authority ? 2 : 1;
    CK_BBOOL yes = CK_TRUE;
    unsigned char *value = NULL, *subject = NULL, *issuer = NULL, *serial = NULL;
    int value_len, subject_len, issuer_len, serial_len;
    CK_OBJECT_HANDLE obj;
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int ret;

    value_len = i2d_X509(cert, &value);
    subject_len = i2d_X509_NAME(X509_get_subject_name(cert), &subject);
    issuer_len = i2d_X509_NAME(X509_get_issuer_name(cert), &issuer);
    serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
    if ((ret = der_of(value_len, e, "DER")) != SK_OK ||
        (ret = der_of(subject_len, e, "subject")) != SK_OK ||
        (ret = der_of(issuer_len, e, "issuer")) != SK_OK ||
        (ret = der_of(serial_len, e, "serial number")) != SK_OK)
        goto out;
    /* The minimal template every module from PKCS#11 2.20 on accepts: libp11's
     * PKCS11_store_certificate adds 2.40 attributes that older vendor modules reject. */
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_ID, (void *)id, id_len},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_SUBJECT, subject, (CK_ULONG)subject_len},
        {CKA_ISSUER, issuer, (CK_ULONG)issuer_len},
        {CKA_SERIAL_NUMBER, serial, (CK_ULONG)serial_len},
        {CKA_VALUE, value, (CK_ULONG)value_len},
        {CKA_CERTIFICATE_CATEGORY, &category, sizeof(category)},
    };
    if ((ret = tok_session(s, &h, e)) != SK_OK)
        goto out;
    rv = s->m->f->C_CreateObject(h, t, sizeof(t) / sizeof(t[0]), &obj);
    if (rv != CKR_OK) {
        ret = tok_fail(s, e, "C_CreateObject(certificate)", rv);
        goto out;
    }
    ret = SK_OK;
out:
    OPENSSL_free(value);
    OPENSSL_free(subject);
    OPENSSL_free(issuer);
    OPENSSL_free(serial);
    return ret;
}

/* No CKA_ID: PKCS#11 does not define it for data objects, and SoftHSM 2.6.1 answers
 * CKR_ATTRIBUTE_TYPE_INVALID *and* leaves an empty data object behind, so even trying it
 * first would litter the token. */
int tok_write_data(tok_slot *s, const char *application, const char *label,
                   const unsigned char *id, size_t id_len, const unsigned char *value,
                   size_t value_len, bool is_private, sk_err *e)
{
    CK_OBJECT_CLASS cls = CKO_DATA;
    CK_BBOOL yes = CK_TRUE, priv = is_private ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE t[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &priv, sizeof(priv)},
        {CKA_APPLICATION, (void *)application, strlen(application)},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_VALUE, (void *)value, value_len},
    };
    CK_OBJECT_HANDLE obj;
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int ret;

    if ((ret = tok_session(s, &h, e)) != SK_OK)
        return ret;
    rv = s->m->f->C_CreateObject(h, t, sizeof(t) / sizeof(t[0]), &obj);
    if (rv != CKR_OK)
        return tok_fail(s, e, "C_CreateObject(data)", rv);
    return SK_OK;
}

static void copy_text(char *dst, size_t cap, const unsigned char *v, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    if (len > 0)
        memcpy(dst, v, len);
    dst[len] = '\0';
}

/* Fill one tok_object from obj. */
static int read_object(tok_slot *s, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, tok_object *o,
                       sk_err *e)
{
    CK_OBJECT_CLASS cls = 0;
    CK_BBOOL priv = CK_FALSE;
    CK_ULONG cat = 0;
    CK_ATTRIBUTE a[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_PRIVATE, &priv, sizeof(priv)}};
    unsigned char *v = NULL;
    size_t len = 0;
    CK_RV rv;
    int ret;

    rv = s->m->f->C_GetAttributeValue(h, obj, a, 2);
    if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID)
        return tok_fail(s, e, "C_GetAttributeValue(CKA_CLASS)", rv);
    o->cls = cls;
    o->is_private = a[1].ulValueLen == 1 && priv;
    if ((ret = tok_get_attr(s, obj, CKA_ID, &v, &len, e)) != SK_OK)
        return ret;
    o->id_len = len < TOK_ID_MAX ? len : TOK_ID_MAX;
    if (len > 0)
        memcpy(o->id, v, o->id_len);
    free(v);
    if ((ret = tok_get_attr(s, obj, CKA_LABEL, &v, &len, e)) != SK_OK)
        return ret;
    copy_text(o->label, sizeof(o->label), v, len);
    free(v);
    if (cls == CKO_DATA) {
        if ((ret = tok_get_attr(s, obj, CKA_APPLICATION, &v, &len, e)) != SK_OK)
            return ret;
        copy_text(o->application, sizeof(o->application), v, len);
        free(v);
    }
    if (cls == CKO_CERTIFICATE) {
        CK_ATTRIBUTE c = {CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat)};

        rv = s->m->f->C_GetAttributeValue(h, obj, &c, 1);
        o->cert_category = rv == CKR_OK && c.ulValueLen == sizeof(cat) ? cat : 0;
    }
    if (cls == CKO_CERTIFICATE || cls == CKO_DATA) {
        if ((ret = tok_get_attr(s, obj, CKA_VALUE, &o->value, &o->value_len, e)) != SK_OK)
            return ret;
    }
    return SK_OK;
}

int tok_list_objects(tok_slot *s, tok_object **objs, size_t *n, sk_err *e)
{
    CK_OBJECT_HANDLE *list = NULL;
    tok_object *res = NULL;
    CK_SESSION_HANDLE h;
    size_t count = 0;
    int ret;

    *objs = NULL;
    *n = 0;
    if ((ret = tok_session(s, &h, e)) != SK_OK ||
        (ret = tok_find(s, h, NULL, 0, &list, &count, e)) != SK_OK)
        goto out;
    res = calloc(count ? count : 1, sizeof(*res));
    if (res == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        if ((ret = read_object(s, h, list[i], &res[i], e)) != SK_OK)
            goto out;
    *objs = res;
    *n = count;
    res = NULL;
    ret = SK_OK;
out:
    tok_objects_free(res, count);
    free(list);
    return ret;
}

void tok_objects_free(tok_object *objs, size_t n)
{
    if (objs == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(objs[i].value);
    free(objs);
}

int tok_destroy_by_id(tok_slot *s, const unsigned char *id, size_t id_len, sk_err *e)
{
    CK_ATTRIBUTE t[] = {{CKA_ID, (void *)id, id_len}};
    CK_OBJECT_HANDLE *list = NULL;
    CK_SESSION_HANDLE h;
    size_t n = 0;
    CK_RV rv;
    int ret;

    if ((ret = tok_session(s, &h, e)) != SK_OK ||
        (ret = tok_find(s, h, t, 1, &list, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        rv = s->m->f->C_DestroyObject(h, list[i]);
        if (rv != CKR_OK) {
            ret = tok_fail(s, e, "C_DestroyObject", rv);
            goto out;
        }
    }
    ret = SK_OK;
out:
    free(list);
    return ret;
}
