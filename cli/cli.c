#include "cli/cli.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

int cli_report(const sk_err *e)
{
    fprintf(stderr, "sealkey: %s\n", e->msg[0] ? e->msg : sk_status_name(e->code));
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

const char *cli_operator(const char *opt)
{
    const char *env = getenv("SEALKEY_OPERATOR");
    struct passwd *pw;

    if (opt != NULL)
        return opt;
    if (env != NULL && env[0] != '\0')
        return env;
    pw = getpwuid(getuid());
    return pw != NULL ? pw->pw_name : "unknown";
}
