#include "cli/cli.h"

#include "issuer/records/audit.h"
#include "util/sk_name.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* Messages quote what came from outside (a token's label, an order's field, a file name):
 * escaped, so a label holding a terminal escape sequence cannot reach the operator's screen. */
int cli_report(const sk_err *e)
{
    const char *msg = e->msg[0] ? e->msg : sk_status_name(e->code);
    char *safe = sk_name_escape(msg);

    fprintf(stderr, "sealkey: %s\n", safe != NULL ? safe : msg);
    free(safe);
    return e->code != SK_OK ? e->code : SK_EINTERNAL;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;

    fputs("sealkey: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", usage);
    return SK_EUSAGE;
}

const char *cli_station_dir(const char *opt)
{
    const char *env = getenv("SEALKEY_STATION");

    if (opt != NULL)
        return opt;
    return env != NULL && env[0] != '\0' ? env : ".";
}

/* The operator's name and where it came from, for messages. */
static const char *operator_from(const char *opt, const char **what)
{
    const char *env = getenv("SEALKEY_OPERATOR");
    struct passwd *pw;

    *what = "--operator";
    if (opt != NULL)
        return opt;
    *what = "SEALKEY_OPERATOR";
    if (env != NULL && env[0] != '\0')
        return env;
    *what = "the login name";
    pw = getpwuid(getuid());
    return pw != NULL ? pw->pw_name : "unknown";
}

const char *cli_operator(const char *opt)
{
    const char *what;

    return operator_from(opt, &what);
}

int cli_operator_check(const char *opt, sk_err *e)
{
    const char *what, *name = operator_from(opt, &what);
    int ret = audit_operator_check(name, what, e);

    /* A bad --operator is a bad command line; the environment and the login are input. */
    if (ret != SK_OK && opt != NULL)
        e->code = ret = SK_EUSAGE;
    return ret;
}
