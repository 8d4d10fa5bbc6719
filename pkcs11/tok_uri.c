/* RFC 7512 PKCS#11 URIs: "pkcs11:" path-attr *(";" path-attr) ["?" query-attr *("&" ...)].
 * The choices the RFC leaves open are documented at tok_uri in tok.h. */
#include "pkcs11/tok.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define URI_MAX 4096

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Characters allowed unencoded in a value (RFC 7512 pk11-pchar / pk11-qchar: unreserved
 * plus a few sub-delims; "/" and "?" only in the query). Space and controls must be
 * percent-encoded. */
static bool raw_ok(int c, bool query)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    if (strchr("-._~:[]@!$'()*+,=", c) != NULL)
        return true;
    if (query && (c == '/' || c == '?' || c == '|'))
        return true;
    return !query && c == '&';
}

/* Decode v[0..n) into out (capacity cap, including room for a NUL when text). */
static int pct_decode(const char *attr, const char *v, size_t n, bool query, bool text,
                      unsigned char *out, size_t cap, size_t *outlen, sk_err *e)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)v[i];

        if (c == '%') {
            if (i + 2 >= n || hexval(v[i + 1]) < 0 || hexval(v[i + 2]) < 0)
                return sk_err_set(e, SK_EINPUT,
                                  "PKCS#11 URI: %s: '%%' must be followed by two hex digits",
                                  attr);
            c = hexval(v[i + 1]) * 16 + hexval(v[i + 2]);
            i += 2;
            if (text && c == 0)
                return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: %s: %%00 in a text value", attr);
        } else if (!raw_ok(c, query)) {
            return sk_err_set(e, SK_EINPUT,
                              "PKCS#11 URI: %s: character '%c' (0x%02x) must be percent-encoded",
                              attr, c >= 0x20 && c < 0x7f ? c : '?', c);
        }
        if (o + (text ? 1 : 0) >= cap)
            return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: %s: value longer than %zu bytes", attr,
                              text ? cap - 1 : cap);
        out[o++] = (unsigned char)c;
    }
    if (text)
        out[o] = '\0';
    *outlen = o;
    return SK_OK;
}

static int set_text(const char *attr, const char *v, size_t n, bool query, bool *has, char *out,
                    size_t cap, sk_err *e)
{
    size_t len;

    if (has != NULL && *has)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: %s given twice", attr);
    int ret = pct_decode(attr, v, n, query, true, (unsigned char *)out, cap, &len, e);
    if (ret == SK_OK && has != NULL)
        *has = true;
    return ret;
}

/* library-version = 1*DIGIT [ "." 1*DIGIT ] (RFC 7512), each part a CK_BYTE. */
static int library_version(tok_uri *u, const char *v, size_t n, sk_err *e)
{
    char num[16];
    char *end;
    unsigned long major, minor = 0;

    if (u->has_library_version)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: library-version given twice");
    if (n == 0 || n >= sizeof(num) || strspn(v, "0123456789.") < n)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: library-version must be M or M.N");
    memcpy(num, v, n);
    num[n] = '\0';
    errno = 0;
    major = strtoul(num, &end, 10);
    if (end == num || (*end != '\0' && *end != '.'))
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: library-version '%s' is not M or M.N", num);
    if (*end == '.') {
        const char *m = end + 1;
        minor = strtoul(m, &end, 10);
        if (end == m || *end != '\0')
            return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: library-version '%s' is not M or M.N",
                              num);
    }
    if (errno != 0 || major > 255 || minor > 255)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: library-version '%s' out of range", num);
    u->library_major = (unsigned int)major;
    u->library_minor = (unsigned int)minor;
    u->has_library_version = true;
    return SK_OK;
}

static int path_attr(tok_uri *u, const char *name, size_t nlen, const char *v, size_t n, sk_err *e)
{
    char attr[64];
    size_t len;

    if (nlen == 0 || nlen >= sizeof(attr))
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: bad attribute name");
    memcpy(attr, name, nlen);
    attr[nlen] = '\0';
    if (strcmp(attr, "token") == 0)
        return set_text(attr, v, n, false, &u->has_token, u->token, sizeof(u->token), e);
    if (strcmp(attr, "serial") == 0)
        return set_text(attr, v, n, false, &u->has_serial, u->serial, sizeof(u->serial), e);
    if (strcmp(attr, "manufacturer") == 0)
        return set_text(attr, v, n, false, &u->has_manufacturer, u->manufacturer,
                        sizeof(u->manufacturer), e);
    if (strcmp(attr, "model") == 0)
        return set_text(attr, v, n, false, &u->has_model, u->model, sizeof(u->model), e);
    if (strcmp(attr, "object") == 0)
        return set_text(attr, v, n, false, &u->has_object, u->object, sizeof(u->object), e);
    if (strcmp(attr, "type") == 0) {
        int ret = set_text(attr, v, n, false, &u->has_type, u->type, sizeof(u->type), e);

        if (ret != SK_OK)
            return ret;
        if (strcmp(u->type, "private") != 0 && strcmp(u->type, "public") != 0 &&
            strcmp(u->type, "cert") != 0 && strcmp(u->type, "data") != 0 &&
            strcmp(u->type, "secret-key") != 0)
            return sk_err_set(e, SK_EINPUT,
                              "PKCS#11 URI: type '%s' is not private, public, cert, data or "
                              "secret-key",
                              u->type);
        return SK_OK;
    }
    if (strcmp(attr, "id") == 0) {
        if (u->has_id)
            return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: id given twice");
        int ret = pct_decode(attr, v, n, false, false, u->id, sizeof(u->id), &len, e);
        if (ret != SK_OK)
            return ret;
        u->id_len = len;
        u->has_id = true;
        return SK_OK;
    }
    if (strcmp(attr, "slot-id") == 0) {
        char num[32];
        char *end;
        unsigned long val;

        if (u->has_slot_id)
            return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: slot-id given twice");
        if (n == 0 || n >= sizeof(num) || strspn(v, "0123456789") < n)
            return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: slot-id must be a decimal number");
        memcpy(num, v, n);
        num[n] = '\0';
        errno = 0;
        val = strtoul(num, &end, 10);
        if (errno != 0 || *end != '\0')
            return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: slot-id '%s' out of range", num);
        u->slot_id = val;
        u->has_slot_id = true;
        return SK_OK;
    }
    if (strcmp(attr, "slot-description") == 0)
        return set_text(attr, v, n, false, &u->has_slot_description, u->slot_description,
                        sizeof(u->slot_description), e);
    if (strcmp(attr, "slot-manufacturer") == 0)
        return set_text(attr, v, n, false, &u->has_slot_manufacturer, u->slot_manufacturer,
                        sizeof(u->slot_manufacturer), e);
    if (strcmp(attr, "library-description") == 0)
        return set_text(attr, v, n, false, &u->has_library_description, u->library_description,
                        sizeof(u->library_description), e);
    if (strcmp(attr, "library-manufacturer") == 0)
        return set_text(attr, v, n, false, &u->has_library_manufacturer,
                        u->library_manufacturer, sizeof(u->library_manufacturer), e);
    if (strcmp(attr, "library-version") == 0)
        return library_version(u, v, n, e);
    return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: unknown attribute '%s'", attr);
}

static int query_attr(tok_uri *u, const char *name, size_t nlen, const char *v, size_t n,
                      sk_err *e)
{
    if (nlen == 9 && memcmp(name, "pin-value", 9) == 0)
        return sk_err_set(e, SK_EINPUT,
                          "PKCS#11 URI: pin-value refused: PINs do not go in URIs (use "
                          "pin-source or the station's PIN settings)");
    if (nlen == 10 && memcmp(name, "pin-source", 10) == 0) {
        bool has = u->pin_source[0] != '\0';

        return set_text("pin-source", v, n, true, &has, u->pin_source, sizeof(u->pin_source), e);
    }
    if (nlen == 11 && memcmp(name, "module-path", 11) == 0) {
        bool has = u->module_path[0] != '\0';

        return set_text("module-path", v, n, true, &has, u->module_path, sizeof(u->module_path),
                        e);
    }
    if (nlen == 11 && memcmp(name, "module-name", 11) == 0) {
        bool has = u->module_name[0] != '\0';

        return set_text("module-name", v, n, true, &has, u->module_name, sizeof(u->module_name),
                        e);
    }
    return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: unknown query attribute '%.*s'",
                      (int)(nlen < 64 ? nlen : 64), name);
}

/* Split s[0..len) on sep and feed each name=value to fn. */
static int each_attr(tok_uri *u, const char *s, size_t len, char sep,
                     int (*fn)(tok_uri *, const char *, size_t, const char *, size_t, sk_err *),
                     sk_err *e)
{
    size_t i = 0;

    if (len == 0)
        return SK_OK;
    for (;;) {
        const char *part = s + i;
        const char *end = memchr(part, sep, len - i);
        size_t plen = end ? (size_t)(end - part) : len - i;
        const char *eq = memchr(part, '=', plen);

        if (eq == NULL)
            return sk_err_set(e, SK_EINPUT, "PKCS#11 URI: '%.*s' is not name=value",
                              (int)(plen < 64 ? plen : 64), part);
        int ret = fn(u, part, (size_t)(eq - part), eq + 1, plen - (size_t)(eq - part) - 1, e);
        if (ret != SK_OK)
            return ret;
        if (end == NULL)
            return SK_OK;
        i += plen + 1;
    }
}

int tok_uri_parse(const char *uri, tok_uri *out, sk_err *e)
{
    size_t len;
    const char *q;
    int ret;

    memset(out, 0, sizeof(*out));
    if (uri == NULL || strncmp(uri, "pkcs11:", 7) != 0)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI must start with 'pkcs11:'");
    len = strnlen(uri, URI_MAX + 1);
    if (len > URI_MAX)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI longer than %d characters", URI_MAX);
    uri += 7;
    len -= 7;
    q = memchr(uri, '?', len);
    ret = each_attr(out, uri, q ? (size_t)(q - uri) : len, ';', path_attr, e);
    if (ret == SK_OK && q != NULL)
        ret = each_attr(out, q + 1, len - (size_t)(q - uri) - 1, '&', query_attr, e);
    if (ret != SK_OK)
        memset(out, 0, sizeof(*out));
    return ret;
}

int tok_uri_token_only(const char *uri, sk_err *e)
{
    tok_uri u;
    const char *attr = NULL;
    int ret = tok_uri_parse(uri, &u, e);

    if (ret != SK_OK)
        return ret;
    if (u.has_object)
        attr = "object";
    else if (u.has_id)
        attr = "id";
    else if (u.has_type)
        attr = "type";
    if (attr != NULL)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI %s: %s= names an object on a token; here "
                          "the URI picks only the token: remove it", uri, attr);
    if (u.pin_source[0] != '\0')
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI %s: pin-source= is not honoured: sealkey "
                          "takes the SO PIN from station.json pin_policy.so_pin and sets a new "
                          "user PIN; remove it", uri);
    return SK_OK;
}

int tok_uri_encode(const char *in, char *out, size_t cap, sk_err *e)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL;

        if (o + (plain ? 1 : 3) >= cap)
            return sk_err_set(e, SK_EINPUT, "PKCS#11 URI value too long to encode");
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (cap == 0)
        return sk_err_set(e, SK_EINPUT, "PKCS#11 URI value too long to encode");
    out[o] = '\0';
    return SK_OK;
}
