/* util/sk_time.c: the program's one date parser (issue 16). RFC 3339 with its zones, dates
 * alone at midnight UTC, and every impossible date refused with what is wrong. */
#include <string.h>
#include <time.h>

#include "tests/test.h"
#include "util/sk_time.h"

static time_t parse_ok(const char *text)
{
    sk_err e;
    time_t t = (time_t)-1;

    sk_err_clear(&e);
    CHECK_MSG(sk_time_parse("--since", text, &t, &e) == SK_OK, "%s: %s", text, e.msg);
    return t;
}

static void refused(const char *text, const char *why)
{
    sk_err e;
    time_t t;
    char want[128];

    sk_err_clear(&e);
    CHECK_MSG(sk_time_parse("--since", text, &t, &e) == SK_EUSAGE, "%s accepted", text);
    snprintf(want, sizeof(want), "--since '%s': ", text);
    CHECK_CONTAINS(e.msg, want);
    CHECK_CONTAINS(e.msg, why);
}

int main(void)
{
    char buf[SK_TIME_TEXT];

    /* Dates alone: midnight UTC. */
    CHECK(parse_ok("2026-11-25") == 1795564800);
    CHECK(parse_ok("1970-01-01") == 0);
    CHECK(parse_ok("2024-02-29") == 1709164800); /* a leap day */
    CHECK(parse_ok("2000-02-29") == 951782400);  /* 2000 is a leap year */
    /* Zones: Z, offsets with and without the colon, hours only. */
    CHECK(parse_ok("2026-11-25T08:00:00Z") == 1795564800 + 8 * 3600);
    CHECK(parse_ok("2026-11-25t08:00:00z") == 1795564800 + 8 * 3600);
    CHECK(parse_ok("2026-11-25 08:00:00Z") == 1795564800 + 8 * 3600);
    CHECK(parse_ok("2026-11-25T08:00:00+08:00") == 1795564800);
    CHECK(parse_ok("2026-11-25T08:00+0800") == 1795564800);
    CHECK(parse_ok("2026-11-25T08:00:00+08") == 1795564800);
    CHECK(parse_ok("2026-11-25T00:00:00-05:30") == 1795564800 + 5 * 3600 + 1800);
    CHECK(parse_ok("2026-11-25T08:00:00.123456+08:00") == 1795564800);
    /* Across midnight and the year. */
    CHECK(parse_ok("2027-01-01T07:59:59+08:00") == parse_ok("2026-12-31T23:59:59Z"));
    /* RFC 3339's leap second is the next second. */
    CHECK(parse_ok("2016-12-31T23:59:60Z") == parse_ok("2017-01-01T00:00:00Z"));

    /* Impossible dates and times, each with its reason. */
    refused("2026-02-30", "no day 30 in February 2026 (it has 28)");
    refused("2026-02-29", "no day 29 in February 2026");
    refused("1900-02-29", "year 1900 is before 1970");
    refused("2100-02-29", "no day 29 in February 2100");
    refused("2026-04-31", "no day 31 in April 2026 (it has 30)");
    refused("2026-00-10", "no month 0");
    refused("2026-13-01", "no month 13");
    refused("2026-11-00", "no day 0");
    refused("2026-11-25T24:00:00Z", "no such time of day 24:00:00");
    refused("2026-11-25T12:60Z", "no such time of day 12:60:00");
    refused("2026-11-25T12:00:61Z", "no such time of day");
    refused("2026-11-25T08:00:00+24:00", "no such offset '+24:00'");
    refused("2026-11-25T08:00:00+08:60", "no such offset");
    /* Not guessed: a time without a zone, other forms, trailing text. */
    refused("2026-11-25T08:00:00", "a time needs a zone");
    refused("2026-11-25T08:00", "a time needs a zone");
    refused("2026-11-25T08:00:00 +08:00", "expected an RFC 3339");
    refused("2026-11-25T08:00:00+8:00", "is not +HH:MM");
    refused("2026-11-25T08:00:00Zulu", "expected an RFC 3339");
    refused("2026-11-25T08:00:00.Z", "expected an RFC 3339");
    refused("2026-11-25T", "expected an RFC 3339");
    refused("2026-11-25x", "expected an RFC 3339");
    refused("2026-1-25", "expected an RFC 3339");
    refused("20261125", "expected an RFC 3339");
    refused("yesterday", "expected an RFC 3339");
    refused("", "expected an RFC 3339");
    refused("1969-12-31T23:00:00Z", "before 1970");
    refused("1970-01-01T00:00:00+01:00", "out of range");

    /* The ledger's form, and back. */
    sk_time_format(parse_ok("2026-11-25T16:30:05+08:00"), buf, sizeof(buf));
    CHECK(strcmp(buf, "2026-11-25T08:30:05Z") == 0);
    CHECK(parse_ok(buf) == parse_ok("2026-11-25T08:30:05Z"));
    sk_time_format(0, buf, 5);
    CHECK(strcmp(buf, "?") == 0);
    TEST_DONE();
}
