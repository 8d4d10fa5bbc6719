/* The one parser of dates and times given to sealkey (options such as export --since and
 * seal verify --at), and the one text form of a time in the ledger and in reports. */
#ifndef SK_TIME_H
#define SK_TIME_H

#include <stddef.h>
#include <time.h>

#include "util/sk_err.h"

/* "2026-11-25T08:00:00Z" and its NUL. */
#define SK_TIME_TEXT 21

/* Parse text as RFC 3339 (the ISO 8601 profile): a date alone, YYYY-MM-DD, meaning its
 * midnight UTC; or a date and time, YYYY-MM-DDTHH:MM[:SS[.fraction]] ('T', 't' or one space
 * between them) with a zone, Z or an offset +HH:MM, -HH:MM (or +HHMM, +HH): a time without a
 * zone is refused, never guessed. Years 1970 to 9999. An impossible date or time (2026-02-30,
 * month 13, hour 24, offset +25:00) is refused with what is wrong; a fraction of a second is
 * dropped. *out: seconds since the epoch. Errors are SK_EUSAGE, reading
 * "<what> '<text>': <problem>": what names the input (an option: "--since"). */
int sk_time_parse(const char *what, const char *text, time_t *out, sk_err *e);

/* t as the ledger writes times, "YYYY-MM-DDTHH:MM:SSZ" (UTC), into buf (SK_TIME_TEXT bytes
 * at least); "?" if t is out of range or buf too small. */
void sk_time_format(time_t t, char *buf, size_t buflen);

#endif
