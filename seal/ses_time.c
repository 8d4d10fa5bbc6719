/* Check times for `--at` and the text form used in every seal message and report. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "seal/ses.h"

static int digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int ses_time_parse(const char *text, time_t *out, sk_err *e)
{
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    size_t n = strlen(text);

    memset(&tm, 0, sizeof(tm));
    /* Fixed positions: YYYY-MM-DD[THH:MM:SS[Z]]. Anything else is refused rather than guessed. */
    if (!((n == 10) || (n == 19 || (n == 20 && text[19] == 'Z'))) || text[4] != '-' ||
        text[7] != '-' || digits(text, 4, &y) != 0 || digits(text + 5, 2, &mo) != 0 ||
        digits(text + 8, 2, &d) != 0 ||
        (n > 10 && (text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
                    digits(text + 11, 2, &h) != 0 || digits(text + 14, 2, &mi) != 0 ||
                    digits(text + 17, 2, &sec) != 0)))
        return sk_err_set(e, SK_EUSAGE,
                          "time '%s': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)", text);
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return sk_err_set(e, SK_EUSAGE, "time '%s': out of range", text);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = timegm(&tm);
    /* timegm normalises 2021-02-30 to March; refuse instead. */
    struct tm back;
    if (gmtime_r(out, &back) == NULL || back.tm_mday != d || back.tm_mon != mo - 1)
        return sk_err_set(e, SK_EUSAGE, "time '%s': no such date", text);
    return SK_OK;
}

void ses_time_format(time_t t, char *buf, size_t buflen)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, buflen, "?");
}
