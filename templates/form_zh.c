/* Chinese paper conventions for what the forms print: the applicant reads 2026年12月1日 in
 * Beijing time, ¥220.00 and "ECC P-256", not the ledger's UTC ISO timestamps, a bare number
 * or the station's "ec-p256". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "templates/form_int.h"
#include "util/sk_time.h"

/* China Standard Time: UTC+8 all year, no daylight saving since 1991. A fixed offset rather
 * than TZ=Asia/Shanghai, so the forms do not depend on the station's tzdata or TZ. */
#define BEIJING_OFFSET_S (8 * 3600)

int form_zh_date(long long t, char *out, size_t out_len, sk_err *e)
{
    time_t bj = (time_t)(t + BEIJING_OFFSET_S);
    struct tm tm;
    int n;

    if (gmtime_r(&bj, &tm) == NULL)
        return sk_err_set(e, SK_EINPUT, "date %lld out of range", t);
    n = snprintf(out, out_len, "%d年%d月%d日", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    if (n < 0 || (size_t)n >= out_len)
        return sk_err_set(e, SK_EINTERNAL, "date buffer too small");
    return SK_OK;
}

int form_zh_date_iso(const char *iso, char *out, size_t out_len, sk_err *e)
{
    time_t t;

    /* The ledger's own YYYY-MM-DDTHH:MM:SSZ, through the program's one date parser, so an
     * impossible date is refused rather than rolled into the next month. */
    if (strlen(iso) != SK_TIME_TEXT - 1 || iso[SK_TIME_TEXT - 2] != 'Z' ||
        sk_time_parse("date", iso, &t, e) != SK_OK)
        return sk_err_set(e, SK_EINPUT, "'%s' is not a UTC time YYYY-MM-DDTHH:MM:SSZ", iso);
    return form_zh_date((long long)t, out, out_len, e);
}

int form_zh_amount(long long fen, char *out, size_t out_len, sk_err *e)
{
    char digits[32], grouped[48];
    size_t n, g = 0;
    int k;

    if (fen < 0)
        return sk_err_set(e, SK_EINPUT, "amount %lld fen is negative", fen);
    k = snprintf(digits, sizeof(digits), "%lld", fen / 100);
    if (k < 0 || (size_t)k >= sizeof(digits))
        return sk_err_set(e, SK_EINTERNAL, "amount buffer too small");
    n = (size_t)k;
    /* Thousands grouped with commas, as on Chinese invoices and receipts. */
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = digits[i];
    }
    grouped[g] = '\0';
    k = snprintf(out, out_len, "¥%s.%02lld", grouped, fen % 100);
    if (k < 0 || (size_t)k >= out_len)
        return sk_err_set(e, SK_EINTERNAL, "amount buffer too small");
    return SK_OK;
}

const char *form_zh_keyalg(const char *name, char *buf, size_t buf_len)
{
    static const struct {
        const char *name, *words;
    } words[] = {
        {"ec-p256", "ECC P-256"},
        {"ec-p384", "ECC P-384"},
        {"sm2", "SM2 国密算法"},
    };
    int n;

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(name, words[i].name) == 0)
            return words[i].words;
    /* "rsa-2048" -> "RSA 2048", whatever the key size. */
    if (strncmp(name, "rsa-", 4) == 0 && name[4] != '\0' &&
        strspn(name + 4, "0123456789") == strlen(name + 4)) {
        n = snprintf(buf, buf_len, "RSA %s", name + 4);
        if (n > 0 && (size_t)n < buf_len)
            return buf;
    }
    return name;
}
