/* Check times for `--at` and the text form used in every seal message and report. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "seal/ses.h"
#include "util/sk_time.h"

/* The program's one date parser (util/sk_time.h); "time" names the input in messages. */
int ses_time_parse(const char *text, time_t *out, sk_err *e)
{
    return sk_time_parse("time", text, out, e);
}

void ses_time_format(time_t t, char *buf, size_t buflen)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, buflen, "?");
}
