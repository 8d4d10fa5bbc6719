/* util/sk_time.h: RFC 3339 by fixed positions and explicit checks, so that nothing is
 * normalised behind the operator's back (timegm would take 2026-02-30 for March 2nd). */
#include "util/sk_time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char expected[] = "expected an RFC 3339 date or time: YYYY-MM-DD (midnight UTC), "
                               "or YYYY-MM-DDTHH:MM[:SS] with Z or an offset such as +08:00";

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), without the C library's time zone. */
static long long days_from_epoch(int y, int m, int d)
{
    long long yy = m <= 2 ? y - 1 : y;
    long long era = yy / 400, yoe = yy - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}

static const char *const months[] = {"January", "February", "March",     "April",
                                     "May",     "June",     "July",      "August",
                                     "September", "October", "November", "December"};

/* The zone at s: Z, or an offset in seconds east of UTC; the characters it took in *used. */
static int parse_zone(const char *what, const char *text, const char *s, long *offset,
                      sk_err *e)
{
    int sign, oh, om = 0;
    size_t n = strlen(s);

    *offset = 0;
    if (n == 0)
        return sk_err_set(e, SK_EUSAGE, "%s '%s': a time needs a zone: Z (UTC) or an offset "
                          "such as +08:00", what, text);
    if ((s[0] == 'Z' || s[0] == 'z') && n == 1)
        return SK_OK;
    if (s[0] != '+' && s[0] != '-')
        return sk_err_set(e, SK_EUSAGE, "%s '%s': %s", what, text, expected);
    sign = s[0] == '-' ? -1 : 1;
    if ((oh = digits(s + 1, 2)) < 0 ||
        !(n == 3 || (n == 6 && s[3] == ':' && (om = digits(s + 4, 2)) >= 0) ||
          (n == 5 && (om = digits(s + 3, 2)) >= 0)))
        return sk_err_set(e, SK_EUSAGE, "%s '%s': the offset '%s' is not +HH:MM", what, text,
                          s);
    if (oh > 23 || om > 59)
        return sk_err_set(e, SK_EUSAGE, "%s '%s': no such offset '%s' (hours 00 to 23, "
                          "minutes 00 to 59)", what, text, s);
    *offset = sign * (oh * 3600L + om * 60L);
    return SK_OK;
}

int sk_time_parse(const char *what, const char *text, time_t *out, sk_err *e)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, ret;
    long offset = 0;
    size_t n = strlen(text);
    const char *p;
    long long t;

    *out = 0;
    if (n < 10 || text[4] != '-' || text[7] != '-' || (y = digits(text, 4)) < 0 ||
        (mo = digits(text + 5, 2)) < 0 || (d = digits(text + 8, 2)) < 0 ||
        (n > 10 && text[10] != 'T' && text[10] != 't' && text[10] != ' '))
        return sk_err_set(e, SK_EUSAGE, "%s '%s': %s", what, text, expected);
    if (y < 1970)
        return sk_err_set(e, SK_EUSAGE, "%s '%s': year %d is before 1970", what, text, y);
    if (mo < 1 || mo > 12)
        return sk_err_set(e, SK_EUSAGE, "%s '%s': no month %d (01 to 12)", what, text, mo);
    if (d < 1 || d > days_in(y, mo))
        return sk_err_set(e, SK_EUSAGE, "%s '%s': no day %d in %s %d (it has %d)", what, text,
                          d, months[mo - 1], y, days_in(y, mo));
    if (n > 10) {
        /* HH:MM, then :SS, then .fraction, then the zone. */
        p = text + 11;
        if ((h = digits(p, 2)) < 0 || p[2] != ':' || (mi = digits(p + 3, 2)) < 0)
            return sk_err_set(e, SK_EUSAGE, "%s '%s': %s", what, text, expected);
        p += 5;
        if (p[0] == ':') {
            if ((sec = digits(p + 1, 2)) < 0)
                return sk_err_set(e, SK_EUSAGE, "%s '%s': %s", what, text, expected);
            p += 3;
            if (p[0] == '.' || p[0] == ',') {
                if (p[1] < '0' || p[1] > '9')
                    return sk_err_set(e, SK_EUSAGE, "%s '%s': %s", what, text, expected);
                for (p++; *p >= '0' && *p <= '9'; p++)
                    ;
            }
        }
        /* 60: RFC 3339's leap second, counted as the next second. */
        if (h > 23 || mi > 59 || sec > 60)
            return sk_err_set(e, SK_EUSAGE, "%s '%s': no such time of day %02d:%02d:%02d", what,
                              text, h, mi, sec);
        if ((ret = parse_zone(what, text, p, &offset, e)) != SK_OK)
            return ret;
    }
    t = days_from_epoch(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec - offset;
    if (t < 0 || (sizeof(time_t) < 8 && t > 0x7fffffffLL))
        return sk_err_set(e, SK_EUSAGE, "%s '%s': out of range", what, text);
    *out = (time_t)t;
    return SK_OK;
}

void sk_time_format(time_t t, char *buf, size_t buflen)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
        strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, buflen, "?");
}
