/* Parsing the wrapper's environment: fault rules, delays, CKR_* names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11fault_int.h"

#define RV(x) {x, #x}

static const struct {
    CK_RV rv;
    const char *name;
} rv_names[] = {
    RV(CKR_OK),
    RV(CKR_HOST_MEMORY),
    RV(CKR_SLOT_ID_INVALID),
    RV(CKR_GENERAL_ERROR),
    RV(CKR_FUNCTION_FAILED),
    RV(CKR_ARGUMENTS_BAD),
    RV(CKR_ATTRIBUTE_TYPE_INVALID),
    RV(CKR_ATTRIBUTE_VALUE_INVALID),
    RV(CKR_DATA_LEN_RANGE),
    RV(CKR_DEVICE_ERROR),
    RV(CKR_DEVICE_MEMORY),
    RV(CKR_DEVICE_REMOVED),
    RV(CKR_FUNCTION_CANCELED),
    RV(CKR_FUNCTION_NOT_SUPPORTED),
    RV(CKR_KEY_HANDLE_INVALID),
    RV(CKR_MECHANISM_INVALID),
    RV(CKR_OBJECT_HANDLE_INVALID),
    RV(CKR_OPERATION_ACTIVE),
    RV(CKR_OPERATION_NOT_INITIALIZED),
    RV(CKR_PIN_INCORRECT),
    RV(CKR_PIN_INVALID),
    RV(CKR_PIN_LEN_RANGE),
    RV(CKR_PIN_LOCKED),
    RV(CKR_SESSION_CLOSED),
    RV(CKR_SESSION_COUNT),
    RV(CKR_SESSION_HANDLE_INVALID),
    RV(CKR_SESSION_READ_ONLY),
    RV(CKR_SESSION_EXISTS),
    RV(CKR_SIGNATURE_INVALID),
    RV(CKR_TEMPLATE_INCOMPLETE),
    RV(CKR_TEMPLATE_INCONSISTENT),
    RV(CKR_TOKEN_NOT_PRESENT),
    RV(CKR_TOKEN_NOT_RECOGNIZED),
    RV(CKR_TOKEN_WRITE_PROTECTED),
    RV(CKR_USER_ALREADY_LOGGED_IN),
    RV(CKR_USER_NOT_LOGGED_IN),
    RV(CKR_USER_PIN_NOT_INITIALIZED),
    RV(CKR_USER_TYPE_INVALID),
    RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
    RV(CKR_BUFFER_TOO_SMALL),
    RV(CKR_CRYPTOKI_NOT_INITIALIZED),
    RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
};

const char *const pf_fn_names[PF_NFUNCS] = {
#define PF_NAME(name, params, args) #name,
    P11FAULT_FUNCS(PF_NAME)
#undef PF_NAME
};

const char *pf_rv_name(CK_RV rv, char *buf, size_t buflen)
{
    for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
        if (rv_names[i].rv == rv)
            return rv_names[i].name;
    snprintf(buf, buflen, "CKR_0x%lx", (unsigned long)rv);
    return buf;
}

/* A CKR_* name from the table, or a number ("0x30", "48") for anything else. */
static int parse_rv(const char *s, CK_RV *rv)
{
    char *end;
    unsigned long v;

    for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
        if (strcmp(rv_names[i].name, s) == 0) {
            *rv = rv_names[i].rv;
            return 0;
        }
    if (strncmp(s, "CKR_0x", 6) == 0)
        s += 4;
    errno = 0;
    v = strtoul(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return -1;
    *rv = v;
    return 0;
}

static int parse_fn(const char *s, int *fn)
{
    if (strcmp(s, "*") == 0) {
        *fn = PF_ANY;
        return 0;
    }
    for (int i = 0; i < PF_NFUNCS; i++)
        if (strcmp(pf_fn_names[i], s) == 0) {
            *fn = i;
            return 0;
        }
    return -1;
}

static int parse_count(const char *s, unsigned long min, unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > 100000000UL)
        return -1;
    *out = v;
    return 0;
}

/* Split spec on ',' and each item on ':' into at most nf fields; calls item() per item.
 * Works on a bounded copy so the environment string is never modified. */
static int each_item(const char *spec, const char *what, pf_config *c, char *err, size_t errlen,
                     int (*item)(char **f, int nf, pf_config *c, char *err, size_t errlen))
{
    char buf[2048];
    char *p, *next;

    if (spec == NULL || spec[0] == '\0')
        return 0;
    if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf)) {
        snprintf(err, errlen, "%s: longer than %zu characters", what, sizeof(buf) - 1);
        return -1;
    }
    for (p = buf; p != NULL; p = next) {
        char *f[5] = {NULL};
        int nf = 0;

        next = strchr(p, ',');
        if (next != NULL)
            *next++ = '\0';
        if (*p == '\0')
            continue;
        for (char *q = p; q != NULL && nf < 5; nf++) {
            f[nf] = q;
            q = strchr(q, ':');
            if (q != NULL)
                *q++ = '\0';
        }
        if (item(f, nf, c, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int fail_item(char **f, int nf, pf_config *c, char *err, size_t errlen)
{
    pf_rule r = {0};

    if (nf < 3 || nf > 4) {
        snprintf(err, errlen, "P11FAULT_FAIL: '%s': want FUNCTION:N:CKR_NAME[:sticky]", f[0]);
        return -1;
    }
    if (parse_fn(f[0], &r.fn) != 0) {
        snprintf(err, errlen, "P11FAULT_FAIL: '%s' is not a PKCS#11 function or '*'", f[0]);
        return -1;
    }
    if (parse_count(f[1], 1, &r.n) != 0) {
        snprintf(err, errlen, "P11FAULT_FAIL: %s: call number '%s' is not 1..100000000", f[0],
                 f[1]);
        return -1;
    }
    if (parse_rv(f[2], &r.rv) != 0 || r.rv == CKR_OK) {
        snprintf(err, errlen, "P11FAULT_FAIL: %s: '%s' is not a CKR_* error name or number",
                 f[0], f[2]);
        return -1;
    }
    if (nf == 4) {
        if (strcmp(f[3], "sticky") != 0) {
            snprintf(err, errlen, "P11FAULT_FAIL: %s: '%s' is not 'sticky'", f[0], f[3]);
            return -1;
        }
        r.sticky = true;
    }
    if (c->nrules == PF_MAX_RULES) {
        snprintf(err, errlen, "P11FAULT_FAIL: more than %d rules", PF_MAX_RULES);
        return -1;
    }
    c->rules[c->nrules++] = r;
    return 0;
}

static int delay_item(char **f, int nf, pf_config *c, char *err, size_t errlen)
{
    pf_delay d = {0};

    if (nf != 2) {
        snprintf(err, errlen, "P11FAULT_DELAY_MS: '%s': want FUNCTION:MILLISECONDS", f[0]);
        return -1;
    }
    if (parse_fn(f[0], &d.fn) != 0) {
        snprintf(err, errlen, "P11FAULT_DELAY_MS: '%s' is not a PKCS#11 function or '*'", f[0]);
        return -1;
    }
    if (parse_count(f[1], 0, &d.ms) != 0 || d.ms > 600000) {
        snprintf(err, errlen, "P11FAULT_DELAY_MS: %s: '%s' is not 0..600000 ms", f[0], f[1]);
        return -1;
    }
    if (c->ndelays == PF_MAX_RULES) {
        snprintf(err, errlen, "P11FAULT_DELAY_MS: more than %d entries", PF_MAX_RULES);
        return -1;
    }
    c->delays[c->ndelays++] = d;
    return 0;
}

int pf_parse_fail(const char *spec, pf_config *c, char *err, size_t errlen)
{
    return each_item(spec, "P11FAULT_FAIL", c, err, errlen, fail_item);
}

int pf_parse_delay(const char *spec, pf_config *c, char *err, size_t errlen)
{
    return each_item(spec, "P11FAULT_DELAY_MS", c, err, errlen, delay_item);
}
