/* Status codes and the error context every library call fills on failure.
 *
 * Library functions never print and never exit: they return SK_OK (0) or one of the
 * codes below, and leave a one-line message in an sk_err. Callers add context with
 * sk_err_wrap() as the error travels up; only cli/ prints it. The code doubles as the
 * process exit status, so each value is documented in README.md ("Exit status"). */
#ifndef SK_ERR_H
#define SK_ERR_H

#include <stddef.h>

enum sk_status {
    SK_OK = 0,
    SK_EFAIL = 1,    /* checked and found wrong: verification failed, problems reported */
    SK_EUSAGE = 2,   /* bad command line */
    SK_EINPUT = 3,   /* bad input data: order file, station config, scan, seal file */
    SK_ESTATE = 4,   /* the ledger or token state forbids it: already issued, not approved */
    SK_ETOKEN = 5,   /* PKCS#11 module or token failure: absent, full, refused */
    SK_EPIN = 6,     /* wrong, locked or unusable PIN or passphrase */
    SK_ECRYPTO = 7,  /* OpenSSL or key failure */
    SK_EIO = 8,      /* file system */
    SK_ELEDGER = 9,  /* ledger database failure */
    SK_EINTERNAL = 10,
    SK_EBUSY = 11,    /* another process or station is working on it right now */
    SK_EUNVERIFIED = 12, /* nothing failed, but trust was not established (no trust anchor) */
};

typedef struct sk_err {
    int code;
    char msg[2048];
} sk_err;

void sk_err_clear(sk_err *e);

/* Set the error and return code. */
int sk_err_set(sk_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like sk_err_set, then append ": " and the reasons from OpenSSL's error queue, which it
 * clears. */
int sk_err_ossl(sk_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the current message with context ("issue JX-1: " + msg); returns e->code. */
int sk_err_wrap(sk_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Short stable name of a status for logs and JSON ("input", "token", ...). */
const char *sk_status_name(int code);

#endif
