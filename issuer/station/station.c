/* station.json: the issuing station's configuration (docs/station.md). Strict: a typo in a
 * field name or a value out of range stops the station before it issues anything. */
#include "issuer/station/station.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pkcs11/tok.h"
#include "util/sk_file.h"
#include "util/sk_name.h"
#include "util/sk_secret.h"
#include "util/sk_syslog.h"
#include "util/sk_trust.h"

#define STATION_MAX_BYTES (1024u * 1024)
#define STATION_MAX_PROJECTS 256
#define STATION_STR_MAX 1024
#define STATION_MAX_READERS 64
#define STATION_READER_NAME_MAX 127 /* pcsc-lite's MAX_READERNAME less the NUL */

/* What every helper needs to name the field: the config file and the error. */
typedef struct ctx {
    const char *file;
    sk_err *e;
} ctx;

static int bad(const ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(const ctx *c, const char *field, const char *fmt, ...)
{
    char why[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return sk_err_set(c->e, SK_EINPUT, "%s: %s: %s", c->file, field, why);
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* "ca" + "name" -> "ca.name"; prefix "" -> "name". */
static void field_path(char *buf, size_t buflen, const char *prefix, const char *key)
{
    if (prefix[0] == '\0')
        snprintf(buf, buflen, "%s", key);
    else
        snprintf(buf, buflen, "%s.%s", prefix, key);
}

static int check_keys(const ctx *c, const json_t *obj, const char *prefix,
                      const char *const *allowed)
{
    const char *key;
    json_t *v;
    char path[256];

    json_object_foreach((json_t *)obj, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++)
            ok = strcmp(key, allowed[i]) == 0;
        if (!ok) {
            field_path(path, sizeof(path), prefix, key);
            return bad(c, path, "unknown field");
        }
    }
    return SK_OK;
}

static int get_object(const ctx *c, const json_t *parent, const char *prefix, const char *key,
                      bool required, json_t **out)
{
    json_t *v = json_object_get(parent, key);
    char path[256];

    *out = NULL;
    field_path(path, sizeof(path), prefix, key);
    if (v == NULL)
        return required ? bad(c, path, "missing") : SK_OK;
    if (!json_is_object(v))
        return bad(c, path, "is %s, expected an object", json_kind(v));
    *out = v;
    return SK_OK;
}

/* A non-empty string without control characters, copied to *out; def when absent (NULL def
 * and required false leaves *out NULL). */
static int get_string(const ctx *c, const json_t *obj, const char *prefix, const char *key,
                      bool required, const char *def, char **out)
{
    json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;
    const char *s;
    char path[256];

    field_path(path, sizeof(path), prefix, key);
    if (v == NULL) {
        if (required)
            return bad(c, path, "missing");
        s = def;
    } else {
        if (!json_is_string(v))
            return bad(c, path, "is %s, expected a string", json_kind(v));
        s = json_string_value(v);
        if (s[0] == '\0')
            return bad(c, path, "is empty");
        if (strlen(s) > STATION_STR_MAX)
            return bad(c, path, "is longer than %u bytes", STATION_STR_MAX);
        for (const char *p = s; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return bad(c, path, "contains a control character");
    }
    if (s == NULL)
        return SK_OK;
    free(*out);
    *out = strdup(s);
    if (*out == NULL)
        return sk_err_set(c->e, SK_EINTERNAL, "%s: out of memory", c->file);
    return SK_OK;
}

/* A name that goes into certificates, seals or forms (the CA's, a project's, a subject's
 * province and locality): get_string's rules, then those of util/sk_name.h. */
static int get_name(const ctx *c, const json_t *obj, const char *prefix, const char *key,
                    bool required, const char *def, char **out)
{
    char path[256], why[256];
    int ret = get_string(c, obj, prefix, key, required, def, out);

    if (ret != SK_OK || *out == NULL || sk_name_valid(*out, why, sizeof(why)))
        return ret;
    field_path(path, sizeof(path), prefix, key);
    return bad(c, path, "%s", why);
}

static int get_int(const ctx *c, const json_t *obj, const char *prefix, const char *key, int lo,
                   int hi, int def, int *out)
{
    json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;
    json_int_t n;
    char path[256];

    field_path(path, sizeof(path), prefix, key);
    *out = def;
    if (v == NULL)
        return SK_OK;
    if (!json_is_integer(v))
        return bad(c, path, "is %s, expected an integer", json_kind(v));
    n = json_integer_value(v);
    if (n < lo || n > hi)
        return bad(c, path, "%lld is out of range %d..%d", (long long)n, lo, hi);
    *out = (int)n;
    return SK_OK;
}

static int get_bool(const ctx *c, const json_t *obj, const char *prefix, const char *key,
                    bool def, bool *out)
{
    json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;
    char path[256];

    field_path(path, sizeof(path), prefix, key);
    *out = def;
    if (v == NULL)
        return SK_OK;
    if (!json_is_boolean(v))
        return bad(c, path, "is %s, expected true or false", json_kind(v));
    *out = json_is_true(v);
    return SK_OK;
}

static int get_keyalg(const ctx *c, const json_t *obj, const char *prefix, sk_keyalg *out)
{
    char *s = NULL;
    char path[256];
    int ret;

    *out = SK_KEY_EC_P256;
    ret = get_string(c, obj, prefix, "key_algorithm", false, NULL, &s);
    if (ret != SK_OK || s == NULL)
        goto out;
    ret = sk_keyalg_parse(s, out, c->e);
    if (ret != SK_OK) {
        field_path(path, sizeof(path), prefix, "key_algorithm");
        sk_err_wrap(c->e, "%s: %s", c->file, path);
    }
out:
    free(s);
    return ret;
}

/* Secret sources only: a secret written here in clear would be refused by the parser, which
 * does not echo it either. */
static int get_secret_src(const ctx *c, const json_t *obj, const char *prefix, const char *key,
                          bool required, const char *def, char **out)
{
    sk_secret_src src;
    char what[512];
    int ret;

    ret = get_string(c, obj, prefix, key, required, def, out);
    if (ret != SK_OK || *out == NULL)
        return ret;
    snprintf(what, sizeof(what), "%s: %s%s%s", c->file, prefix, prefix[0] ? "." : "", key);
    return sk_secret_src_parse(*out, what, &src, c->e);
}

static int get_url(const ctx *c, const json_t *obj, const char *prefix, const char *key,
                   char **out)
{
    char path[256];
    const char *host;
    int ret = get_string(c, obj, prefix, key, false, NULL, out);

    if (ret != SK_OK || *out == NULL)
        return ret;
    field_path(path, sizeof(path), prefix, key);
    if (strncmp(*out, "http://", 7) == 0)
        host = *out + 7;
    else if (strncmp(*out, "https://", 8) == 0)
        host = *out + 8;
    else
        return bad(c, path, "'%s' is not an http:// or https:// URL", *out);
    if (host[0] == '\0' || host[0] == '/')
        return bad(c, path, "'%s' has no host", *out);
    for (const char *p = *out; *p != '\0'; p++)
        if (*p == ' ' || (unsigned char)*p >= 0x80)
            return bad(c, path, "'%s' has a space or non-ASCII character; percent-encode it",
                       *out);
    return SK_OK;
}

static void project_clear(station_project *p)
{
    free(p->code);
    free(p->name);
    free(p->crl_url);
    free(p->ca_issuers_url);
    free(p->ocsp_url);
    free(p->province);
    free(p->locality);
}

static int load_project(const ctx *c, const json_t *v, size_t i, station_project *p)
{
    static const char *const keys[] = {"code", "name", "key_algorithm", "validity_days",
                                       "crl_url", "ca_issuers_url", "ocsp_url", "province",
                                       "locality", "official_seal_mm", "legal_rep_seal_mm",
                                       NULL};
    char pre[64];
    char path[128];
    int ret;

    snprintf(pre, sizeof(pre), "projects[%zu]", i);
    if (!json_is_object(v))
        return bad(c, pre, "is %s, expected an object", json_kind(v));
    if ((ret = check_keys(c, v, pre, keys)) != SK_OK ||
        (ret = get_string(c, v, pre, "code", true, NULL, &p->code)) != SK_OK)
        return ret;
    /* Orders name the project by this code, so it keeps to the characters orders allow. */
    for (const char *s = p->code; *s != '\0'; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')) || s - p->code >= 16) {
            field_path(path, sizeof(path), pre, "code");
            return bad(c, path, "'%s' is not 1-16 characters of A-Z and 0-9", p->code);
        }
    if ((ret = get_name(c, v, pre, "name", false, p->code, &p->name)) != SK_OK ||
        (ret = get_keyalg(c, v, pre, &p->key_alg)) != SK_OK ||
        (ret = get_int(c, v, pre, "validity_days", 1, 3650, 365, &p->validity_days)) != SK_OK ||
        (ret = get_url(c, v, pre, "crl_url", &p->crl_url)) != SK_OK ||
        (ret = get_url(c, v, pre, "ca_issuers_url", &p->ca_issuers_url)) != SK_OK ||
        (ret = get_url(c, v, pre, "ocsp_url", &p->ocsp_url)) != SK_OK ||
        (ret = get_name(c, v, pre, "province", false, NULL, &p->province)) != SK_OK ||
        (ret = get_name(c, v, pre, "locality", false, NULL, &p->locality)) != SK_OK ||
        (ret = get_int(c, v, pre, "official_seal_mm", 38, 45, 40, &p->official_seal_mm)) !=
            SK_OK ||
        (ret = get_int(c, v, pre, "legal_rep_seal_mm", 18, 22, 20, &p->legal_rep_seal_mm)) !=
            SK_OK)
        return ret;
    return SK_OK;
}

static int load_projects(const ctx *c, const json_t *root, station_config *st)
{
    json_t *arr = json_object_get(root, "projects");
    size_t n;

    if (arr == NULL)
        return bad(c, "projects", "missing; a station produces for at least one project");
    if (!json_is_array(arr))
        return bad(c, "projects", "is %s, expected an array", json_kind(arr));
    n = json_array_size(arr);
    if (n == 0)
        return bad(c, "projects", "is empty; a station produces for at least one project");
    if (n > STATION_MAX_PROJECTS)
        return bad(c, "projects", "has %zu entries, at most %d", n, STATION_MAX_PROJECTS);
    st->projects = calloc(n, sizeof(*st->projects));
    if (st->projects == NULL)
        return sk_err_set(c->e, SK_EINTERNAL, "%s: out of memory", c->file);
    for (size_t i = 0; i < n; i++) {
        int ret;
        st->n_projects = i + 1;
        ret = load_project(c, json_array_get(arr, i), i, &st->projects[i]);
        if (ret != SK_OK)
            return ret;
        for (size_t k = 0; k < i; k++)
            if (strcmp(st->projects[k].code, st->projects[i].code) == 0) {
                char path[64];
                snprintf(path, sizeof(path), "projects[%zu].code", i);
                return bad(c, path, "'%s' is also the code of projects[%zu]",
                           st->projects[i].code, k);
            }
    }
    return SK_OK;
}

/* "readers": {"reader name or prefix": "pkcs11:..." | "blank"}. The URI is parsed here so a
 * typo stops the station at start rather than at the first insertion. */
static int load_readers(const ctx *c, const json_t *root, station_config *st)
{
    json_t *obj = NULL, *v;
    const char *key;
    char path[256];
    size_t i = 0;
    int ret;

    if ((ret = get_object(c, root, "", "readers", false, &obj)) != SK_OK || obj == NULL)
        return ret;
    if (json_object_size(obj) > STATION_MAX_READERS)
        return bad(c, "readers", "has %zu entries, at most %d", json_object_size(obj),
                   STATION_MAX_READERS);
    st->readers = calloc(json_object_size(obj) + 1, sizeof(*st->readers));
    if (st->readers == NULL)
        return sk_err_set(c->e, SK_EINTERNAL, "%s: out of memory", c->file);
    json_object_foreach(obj, key, v) {
        station_reader *r = &st->readers[i];
        tok_uri uri;

        snprintf(path, sizeof(path), "readers.%s", key);
        if (key[0] == '\0' || strlen(key) > STATION_READER_NAME_MAX)
            return bad(c, "readers", "a reader name must have 1-%d bytes",
                       STATION_READER_NAME_MAX);
        for (const char *p = key; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return bad(c, "readers", "a reader name contains a control character");
        st->n_readers = ++i;
        if ((r->name = strdup(key)) == NULL)
            return sk_err_set(c->e, SK_EINTERNAL, "%s: out of memory", c->file);
        if ((ret = get_string(c, obj, "readers", key, true, NULL, &r->token)) != SK_OK)
            return ret;
        if (strcmp(r->token, "blank") == 0 || strcmp(r->token, "reader") == 0)
            continue;
        if (strncmp(r->token, "pkcs11:", 7) != 0)
            return bad(c, path, "'%s' is neither a pkcs11: URI (RFC 7512), \"reader\" nor "
                       "\"blank\"", r->token);
        if ((ret = tok_uri_parse(r->token, &uri, c->e)) != SK_OK ||
            (ret = tok_uri_token_only(r->token, c->e)) != SK_OK)
            return sk_err_wrap(c->e, "%s: %s", c->file, path);
        /* A slot ID names a position in the module's list, which changes as tokens and
         * readers come and go (SoftHSM renumbers on C_InitToken). */
        if (uri.has_slot_id)
            return bad(c, path, "'%s': slot-id is refused: slot IDs change as tokens come and "
                       "go; map the reader by its name (\"reader\": the slot described by "
                       "the reader's name) or the token by serial=", r->token);
    }
    return SK_OK;
}

int station_reader_uri(const station_reader *r, const char *reader_name, char *buf,
                       size_t buflen, const char **uri, sk_err *e)
{
    char name[65], enc[64 * 3 + 1];
    size_t n = strlen(reader_name);
    int ret;

    *uri = NULL;
    if (strcmp(r->token, "blank") == 0)
        return SK_OK;
    if (strcmp(r->token, "reader") != 0) {
        *uri = r->token;
        return SK_OK;
    }
    /* CK_SLOT_INFO.slotDescription is 64 blank-padded bytes: the reader's name cut there,
     * trailing blanks trimmed as tok_select trims the description. */
    if (n > 64)
        n = 64;
    memcpy(name, reader_name, n);
    while (n > 0 && name[n - 1] == ' ')
        n--;
    name[n] = '\0';
    if ((ret = tok_uri_encode(name, enc, sizeof(enc), e)) != SK_OK)
        return sk_err_wrap(e, "reader %s", reader_name);
    if (snprintf(buf, buflen, "pkcs11:slot-description=%s", enc) >= (int)buflen)
        return sk_err_set(e, SK_EINPUT, "reader %s: URI too long", reader_name);
    *uri = buf;
    return SK_OK;
}

/* "timeouts": {"order": S, "<step>": S, ...}; step names as the ledger writes them. */
static int load_timeouts(const ctx *c, const json_t *root, station_config *st)
{
    static const char *const keys[] = {"order",   "reserved",   "token_initialised",
                                       "key_generated", "cert_issued", "seals_made",
                                       "written", "verified",   NULL};
    json_t *obj = NULL;
    int ret;

    if ((ret = get_object(c, root, "", "timeouts", false, &obj)) != SK_OK ||
        (obj != NULL && (ret = check_keys(c, obj, "timeouts", keys)) != SK_OK) ||
        (ret = get_int(c, obj, "timeouts", "order", 1, 86400, 600, &st->timeouts.order)) != SK_OK)
        return ret;
    for (int s = 0; s < STATION_STEPS; s++)
        if ((ret = get_int(c, obj, "timeouts", keys[s + 1], 1, 86400, 0,
                           &st->timeouts.step[s])) != SK_OK)
            return ret;
    return SK_OK;
}

/* "log": {"facility": NAME, "ident": IDENT, "socket": PATH}: where batch and station runs
 * report each order's outcome and each fault (docs/operations.md). The identity's rules are
 * the sender's (util/sk_syslog.h), checked here so that a bad one is named at load. */
static int load_log(const ctx *c, const json_t *root, station_config *st)
{
    static const char *const keys[] = {"facility", "ident", "socket", NULL};
    json_t *obj = NULL;
    char *facility = NULL;
    int ret;

    if ((ret = get_object(c, root, "", "log", false, &obj)) != SK_OK ||
        (obj != NULL && (ret = check_keys(c, obj, "log", keys)) != SK_OK) ||
        (ret = get_string(c, obj, "log", "facility", false, "daemon", &facility)) != SK_OK ||
        (ret = get_string(c, obj, "log", "ident", false, "sealkey", &st->log_ident)) != SK_OK ||
        (ret = get_string(c, obj, "log", "socket", false, "/dev/log", &st->log_socket)) != SK_OK)
        goto out;
    st->log_socket_set = obj != NULL && json_object_get(obj, "socket") != NULL;
    if ((st->log_facility = sk_syslog_facility(facility)) < 0) {
        ret = bad(c, "log.facility", "'%s' is not user, daemon, auth, authpriv or local0-local7",
                  facility);
        goto out;
    }
    if (strlen(st->log_ident) > 32 || strpbrk(st->log_ident, " []:") != NULL) {
        ret = bad(c, "log.ident", "'%s' is not 1-32 characters without space, '[', ']' or ':'",
                  st->log_ident);
        goto out;
    }
    for (const char *p = st->log_ident; *p != '\0'; p++)
        if ((unsigned char)*p > '~') {
            ret = bad(c, "log.ident", "'%s' is not printable ASCII", st->log_ident);
            goto out;
        }
    if (st->log_socket[0] != '/' || strlen(st->log_socket) >= 108)
        ret = bad(c, "log.socket", "'%s' is not an absolute path of at most 107 bytes",
                  st->log_socket);
out:
    free(facility);
    return ret;
}

/* ca.signing: "station" (default: the station's issuing CA signs) or "external" (the CA's
 * own system signs the requests the station exports; docs/pki.md). */
static int get_signing(const ctx *c, const json_t *ca, station_config *st)
{
    char *v = NULL;
    int ret = get_string(c, ca, "ca", "signing", false, "station", &v);

    if (ret == SK_OK && strcmp(v, "external") != 0 && strcmp(v, "station") != 0)
        ret = bad(c, "ca.signing", "'%s' is not station or external", v);
    if (ret == SK_OK)
        st->ca_external = strcmp(v, "external") == 0;
    free(v);
    return ret;
}

static int load_root(const ctx *c, const json_t *root, station_config *st)
{
    static const char *const top[] = {"station_id", "pkcs11_module", "ledger", "out_dir", "ca",
                                      "pin_policy", "projects", "readers", "timeouts", "log",
                                      /* SKF tokens (issue 15) */ "token_api", "skf_library",
                                      "skf_auth_key", "kmc", NULL};
    static const char *const kmc_keys[] = {"escrow_dir", "escrow_secret", NULL};
    static const char *const ca_keys[] = {"name", "key_algorithm", "passphrase", "key_uri",
                                          "pkcs11_module", "root_crl_url", "signing",
                                          /* forms (issue 17) */ "name_zh", NULL};
    static const char *const pin_keys[] = {"so_pin", "user_pin_min_digits",
                                           "user_pin_max_digits", "print_user_pin",
                                           "so_pin_retries", "user_pin_retries", NULL};
    json_t *ca = NULL, *pin = NULL, *kmc = NULL;
    char *api = NULL;
    int ret;

    if (!json_is_object(root))
        return sk_err_set(c->e, SK_EINPUT, "%s: top level is %s, expected an object", c->file,
                          json_kind(root));
    if ((ret = check_keys(c, root, "", top)) != SK_OK ||
        (ret = get_string(c, root, "", "station_id", true, NULL, &st->station_id)) != SK_OK)
        return ret;
    for (const char *s = st->station_id; *s != '\0'; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_') ||
            s - st->station_id >= 32)
            return bad(c, "station_id", "'%s' is not 1-32 characters of A-Z a-z 0-9 - _",
                       st->station_id);
    /* Absent: p11-kit's default module, found when the module is loaded (pkcs11/tok.h). */
    if ((ret = get_string(c, root, "", "pkcs11_module", false, NULL, &st->pkcs11_module)) !=
            SK_OK ||
        (ret = get_string(c, root, "", "ledger", false, "ledger.sqlite", &st->ledger)) != SK_OK ||
        (ret = get_string(c, root, "", "out_dir", false, "out", &st->out_dir)) != SK_OK ||
        (ret = get_object(c, root, "", "ca", false, &ca)) != SK_OK ||
        (ret = get_object(c, root, "", "pin_policy", true, &pin)) != SK_OK)
        return ret;

    if (ca != NULL && (ret = check_keys(c, ca, "ca", ca_keys)) != SK_OK)
        return ret;
    if ((ret = get_name(c, ca, "ca", "name", false, "sealkey Demo CA", &st->ca_name)) != SK_OK ||
        (ret = get_name(c, ca, "ca", "name_zh", false, NULL, &st->ca_name_zh)) != SK_OK ||
        (ret = get_keyalg(c, ca, "ca", &st->ca_key_alg)) != SK_OK ||
        (ret = get_secret_src(c, ca, "ca", "passphrase", false, "prompt", &st->ca_passphrase)) !=
            SK_OK ||
        (ret = get_string(c, ca, "ca", "key_uri", false, NULL, &st->ca_key_uri)) != SK_OK ||
        (ret = get_string(c, ca, "ca", "pkcs11_module", false, st->pkcs11_module,
                          &st->ca_pkcs11_module)) != SK_OK ||
        (ret = get_url(c, ca, "ca", "root_crl_url", &st->ca_root_crl_url)) != SK_OK)
        return ret;
    if (st->ca_key_uri != NULL && strncmp(st->ca_key_uri, "pkcs11:", 7) != 0)
        return bad(c, "ca.key_uri", "'%s' is not a pkcs11: URI (RFC 7512)", st->ca_key_uri);
    if (st->ca_key_uri != NULL) {
        tok_uri u;

        if ((ret = tok_uri_parse(st->ca_key_uri, &u, c->e)) != SK_OK)
            return sk_err_wrap(c->e, "%s: ca.key_uri", c->file);
        if (u.pin_source[0] != '\0')
            return bad(c, "ca.key_uri", "pin-source= is not honoured: the HSM PIN comes from "
                       "ca.passphrase; remove it");
    }
    if ((ret = get_signing(c, ca, st)) != SK_OK)
        return ret;

    if ((ret = check_keys(c, pin, "pin_policy", pin_keys)) != SK_OK ||
        (ret = get_secret_src(c, pin, "pin_policy", "so_pin", true, NULL, &st->so_pin)) != SK_OK ||
        (ret = get_int(c, pin, "pin_policy", "user_pin_min_digits", 4, 16, 6, &st->user_pin_min)) !=
            SK_OK ||
        (ret = get_int(c, pin, "pin_policy", "user_pin_max_digits", 4, 16, 8, &st->user_pin_max)) !=
            SK_OK ||
        (ret = get_bool(c, pin, "pin_policy", "print_user_pin", false, &st->print_user_pin)) !=
            SK_OK)
        return ret;
    if (st->user_pin_min > st->user_pin_max)
        return bad(c, "pin_policy", "user_pin_min_digits %d is above user_pin_max_digits %d",
                   st->user_pin_min, st->user_pin_max);
    if ((ret = get_int(c, pin, "pin_policy", "so_pin_retries", 1, 15, 10, &st->so_pin_retries)) !=
            SK_OK ||
        (ret = get_int(c, pin, "pin_policy", "user_pin_retries", 1, 15, 6,
                       &st->user_pin_retries)) != SK_OK)
        return ret;
    /* The token API: which devices the station issues onto. */
    if ((ret = get_string(c, root, "", "token_api", false, "pkcs11", &api)) != SK_OK)
        return ret;
    st->token_skf = strcmp(api, "skf") == 0;
    if (!st->token_skf && strcmp(api, "pkcs11") != 0) {
        ret = bad(c, "token_api", "'%s' is neither \"pkcs11\" nor \"skf\"", api);
        free(api);
        return ret;
    }
    free(api);
    if ((ret = get_string(c, root, "", "skf_library", false, NULL, &st->skf_library)) != SK_OK ||
        (ret = get_secret_src(c, root, "", "skf_auth_key", false, NULL, &st->skf_auth_key)) !=
            SK_OK ||
        (ret = get_object(c, root, "", "kmc", false, &kmc)) != SK_OK)
        return ret;
    if (kmc != NULL &&
        ((ret = check_keys(c, kmc, "kmc", kmc_keys)) != SK_OK ||
         (ret = get_string(c, kmc, "kmc", "escrow_dir", true, NULL, &st->kmc_dir)) != SK_OK ||
         (ret = get_secret_src(c, kmc, "kmc", "escrow_secret", true, NULL, &st->kmc_secret)) !=
             SK_OK))
        return ret;
    if (st->token_skf && st->skf_library == NULL)
        return bad(c, "skf_library", "token_api \"skf\" needs the path of the vendor's SKF "
                   "library");
    if (st->token_skf && st->skf_library[0] != '/')
        return bad(c, "skf_library", "'%s' is not an absolute path", st->skf_library);
    if (st->token_skf && st->skf_auth_key == NULL)
        return bad(c, "skf_auth_key", "token_api \"skf\" needs the source of the device "
                   "authentication key (env:, file:, fd:), to create applications");
    if (!st->token_skf && st->skf_library != NULL)
        return bad(c, "skf_library", "is only for token_api \"skf\"");
    if (!st->token_skf && st->skf_auth_key != NULL)
        return bad(c, "skf_auth_key", "is only for token_api \"skf\"");
    if (!st->token_skf && kmc != NULL)
        return bad(c, "kmc", "dual certificates need SKF tokens (token_api \"skf\")");
    if (st->token_skf && st->pkcs11_module != NULL && st->ca_key_uri == NULL)
        return bad(c, "pkcs11_module", "names the tokens' PKCS#11 module, but token_api is "
                   "\"skf\" (set ca.pkcs11_module for an HSM CA key)");
    if ((ret = load_projects(c, root, st)) != SK_OK || (ret = load_timeouts(c, root, st)) != SK_OK ||
        (ret = load_log(c, root, st)) != SK_OK)
        return ret;
    if ((ret = load_readers(c, root, st)) != SK_OK)
        return ret;
    /* On an SKF station a "reader" is an SKF device name (SKF_WaitForDevEvent's). */
    for (size_t i = 0; st->token_skf && i < st->n_readers; i++)
        if (strcmp(st->readers[i].token, "reader") != 0 &&
            strcmp(st->readers[i].token, "blank") != 0) {
            char path[300];
            snprintf(path, sizeof(path), "readers.%s", st->readers[i].name);
            return bad(c, path, "'%s': on an SKF station (token_api \"skf\") a device name "
                       "maps to \"reader\" (that device) or \"blank\"", st->readers[i].token);
        }
    return SK_OK;
}

int station_load(const char *dir, station_config **out, sk_err *e)
{
    int ret;
    char file[4096];
    unsigned char *data = NULL;
    size_t len = 0;
    json_t *root = NULL;
    json_error_t jerr;
    station_config *st = NULL;
    ctx c = {file, e};
    struct stat fst;

    *out = NULL;
    ret = sk_path_join(file, sizeof(file), dir, "station.json", e);
    if (ret != SK_OK)
        goto out;
    /* Whoever may write the directory or the config decides what runs here (the module) and
     * what is trusted, so both are checked before a byte of the config is believed. A
     * missing directory is left to the open below to report. */
    if ((ret = sk_trust_path(dir, "station directory", SK_TRUST_MAY_BE_ABSENT, NULL, e)) !=
            SK_OK ||
        (ret = sk_file_read_ex(file, STATION_MAX_BYTES, SK_FILE_NOFOLLOW, &data, &len, &fst,
                               e)) != SK_OK ||
        (ret = sk_trust_opened(file, &fst, "station config", 0, NULL, e)) != SK_OK)
        goto out;
    root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: line %d column %d: %s", file, jerr.line, jerr.column,
                         jerr.text);
        goto out;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL || (st->dir = strdup(dir)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", file);
        goto out;
    }
    ret = load_root(&c, root, st);
    if (ret != SK_OK || (ret = station_check_trust(st, e)) != SK_OK)
        goto out;
    *out = st;
    st = NULL;
out:
    station_free(st);
    json_decref(root);
    free(data);
    return ret;
}

void station_free(station_config *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->n_projects; i++)
        project_clear(&st->projects[i]);
    free(st->projects);
    for (size_t i = 0; i < st->n_readers; i++) {
        free(st->readers[i].name);
        free(st->readers[i].token);
    }
    free(st->readers);
    free(st->dir);
    free(st->station_id);
    free(st->pkcs11_module);
    free(st->ledger);
    free(st->out_dir);
    free(st->ca_name);
    free(st->ca_name_zh);
    free(st->ca_key_uri);
    free(st->ca_pkcs11_module);
    free(st->ca_passphrase);
    free(st->ca_root_crl_url);
    free(st->so_pin);
    free(st->skf_library);
    free(st->skf_auth_key);
    free(st->kmc_dir);
    free(st->kmc_secret);
    free(st->log_ident);
    free(st->log_socket);
    free(st);
}

const station_project *station_project_find(const station_config *st, const char *code)
{
    if (st == NULL || code == NULL)
        return NULL;
    for (size_t i = 0; i < st->n_projects; i++)
        if (strcmp(st->projects[i].code, code) == 0)
            return &st->projects[i];
    return NULL;
}

const station_reader *station_reader_find(const station_config *st, const char *reader)
{
    const station_reader *best = NULL;
    size_t best_len = 0;

    if (st == NULL || reader == NULL)
        return NULL;
    for (size_t i = 0; i < st->n_readers; i++) {
        size_t n = strlen(st->readers[i].name);
        if (strcmp(st->readers[i].name, reader) == 0)
            return &st->readers[i];
        if (n > best_len && strncmp(st->readers[i].name, reader, n) == 0) {
            best = &st->readers[i];
            best_len = n;
        }
    }
    return best;
}

int station_path(const station_config *st, const char *rel, char *buf, size_t buflen, sk_err *e)
{
    /* A URI (the shared ledger's postgresql://...) is a location, not a relative path. */
    if (strstr(rel, "://") != NULL)
        return sk_path_join(buf, buflen, NULL, rel, e);
    return sk_path_join(buf, buflen, st->dir, rel, e);
}

int station_order_dir(const station_config *st, const char *order_number, char *buf,
                      size_t buflen, sk_err *e)
{
    char outs[4096];
    int ret;

    if (order_number[0] == '\0' || order_number[0] == '.' || strchr(order_number, '/') != NULL)
        return sk_err_set(e, SK_EINPUT, "order '%s': not usable as a directory name",
                          order_number);
    if ((ret = station_path(st, st->out_dir, outs, sizeof(outs), e)) != SK_OK ||
        (ret = sk_path_join(buf, buflen, outs, order_number, e)) != SK_OK)
        return ret;
    /* Above out_dir, links are the operator's business (sk_mkdir_p follows them); out_dir
     * itself and the order's directory are not reached through one, like the station's
     * other files. */
    if ((ret = sk_mkdir_p(outs, 0755, e)) != SK_OK ||
        (ret = sk_mkdir_nofollow(outs, 0755, e)) != SK_OK)
        return ret;
    return sk_mkdir_nofollow(buf, 0755, e);
}
