#include "util/sk_err.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sk_err_clear(sk_err *e)
{
    e->code = SK_OK;
    e->msg[0] = '\0';
}

int sk_err_set(sk_err *e, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->code = code;
    return code;
}

int sk_err_ossl(sk_err *e, int code, const char *fmt, ...)
{
    va_list ap;
    unsigned long err;
    size_t used;

    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->code = code;
    /* The newest reasons are the least useful ("PEM lib"), so report the oldest first. */
    while ((err = ERR_get_error()) != 0) {
        char reason[256];

        used = strlen(e->msg);
        if (used + 3 >= sizeof(e->msg))
            continue;
        ERR_error_string_n(err, reason, sizeof(reason));
        const char *r = ERR_reason_error_string(err);
        snprintf(e->msg + used, sizeof(e->msg) - used, ": %s", r != NULL ? r : reason);
    }
    return code;
}

int sk_err_wrap(sk_err *e, const char *fmt, ...)
{
    char prefix[512];
    char old[sizeof(e->msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof(old));
    /* Truncating a long message at the end keeps its most useful part, the start. */
    size_t pl = strlen(prefix);
    if (pl + 2 >= sizeof(e->msg))
        pl = sizeof(e->msg) - 3;
    memcpy(e->msg, prefix, pl);
    memcpy(e->msg + pl, ": ", 2);
    size_t room = sizeof(e->msg) - pl - 3;
    size_t ol = strnlen(old, sizeof(old));
    if (ol > room)
        ol = room;
    memcpy(e->msg + pl + 2, old, ol);
    e->msg[pl + 2 + ol] = '\0';
    if (e->code == SK_OK)
        e->code = SK_EINTERNAL;
    return e->code;
}

const char *sk_status_name(int code)
{
    switch (code) {
    case SK_OK: return "ok";
    case SK_EFAIL: return "failed";
    case SK_EUSAGE: return "usage";
    case SK_EINPUT: return "input";
    case SK_ESTATE: return "state";
    case SK_ETOKEN: return "token";
    case SK_EPIN: return "pin";
    case SK_ECRYPTO: return "crypto";
    case SK_EIO: return "io";
    case SK_ELEDGER: return "ledger";
    case SK_EBUSY: return "busy";
    case SK_EUNVERIFIED: return "unverified";
    default: return "internal";
    }
}
