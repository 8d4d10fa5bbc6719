/* Identifier checks for orders: GB 32100-2015 credit codes, GB 11643-1999 resident ID
 * numbers, mainland mobiles, e-mail, tax and order numbers. Each explains a refusal in
 * words an operator can act on, because the usual cause is a typing mistake. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "issuer/orders/order.h"
#include "issuer/orders/order_fields.h"

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
static const int id_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};

/* The checks below return SK_PROB_NONE for a valid value, else the kind of problem (most
 * often a bad format, see refuse_as for the others), with why explained in words. */
typedef enum sk_problem_code verdict;

static verdict vrefuse(verdict code, char *why, size_t whylen, const char *fmt, va_list ap)
{
    if (why != NULL && whylen > 0)
        vsnprintf(why, whylen, fmt, ap);
    return code;
}

static verdict refuse(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static verdict refuse_as(verdict code, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static verdict refuse(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    verdict v;

    va_start(ap, fmt);
    v = vrefuse(SK_PROB_BAD_FORMAT, why, whylen, fmt, ap);
    va_end(ap);
    return v;
}

static verdict refuse_as(verdict code, char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    verdict v;

    va_start(ap, fmt);
    v = vrefuse(code, why, whylen, fmt, ap);
    va_end(ap);
    return v;
}

/* Position (1-based, in characters) of the first non-ASCII character, or 0. */
static size_t first_non_ascii(const char *s)
{
    size_t pos = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xC0) != 0x80)
            pos++;
        if ((unsigned char)*s >= 0x80)
            return pos;
    }
    return 0;
}

static int uscc_index(char c)
{
    const char *p = c != '\0' ? strchr(uscc_alphabet, c) : NULL;
    return p != NULL ? (int)(p - uscc_alphabet) : -1;
}

char order_uscc_check_char(const char *first17)
{
    int sum = 0;

    if (strlen(first17) < 17)
        return '\0';
    for (int i = 0; i < 17; i++) {
        int v = uscc_index(first17[i]);
        if (v < 0)
            return '\0';
        sum += v * uscc_weights[i];
    }
    return uscc_alphabet[(31 - sum % 31) % 31];
}

char order_resident_id_check_char(const char *first17)
{
    int sum = 0;
    int c;

    if (strlen(first17) < 17)
        return '\0';
    for (int i = 0; i < 17; i++) {
        if (first17[i] < '0' || first17[i] > '9')
            return '\0';
        sum += (first17[i] - '0') * id_weights[i];
    }
    c = (12 - sum % 11) % 11;
    return c == 10 ? 'X' : (char)('0' + c);
}

static verdict ascii_only(const char *s, char *why, size_t whylen)
{
    size_t pos = first_non_ascii(s);

    if (pos == 0)
        return SK_PROB_NONE;
    return refuse(why, whylen,
                  "character %zu is not ASCII (a full-width digit or letter from an input method?)",
                  pos);
}

static verdict uscc_check(const char *s, char *why, size_t whylen)
{
    static const struct {
        char bad;
        const char *meant;
    } confusions[] = {{'I', "1"}, {'O', "0"}, {'Z', "2"}, {'S', "5"}, {'V', "U or Y"}};
    size_t n;
    char want;
    verdict v;

    if ((v = ascii_only(s, why, whylen)) != SK_PROB_NONE)
        return v;
    n = strlen(s);
    if (n != 18)
        return refuse(why, whylen, "%zu characters, expected 18", n);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            return refuse(why, whylen, "character %zu '%c' is lower case; credit codes use A-Z",
                          i + 1, c);
        for (size_t k = 0; k < sizeof(confusions) / sizeof(confusions[0]); k++)
            if (c == confusions[k].bad)
                return refuse(why, whylen,
                              "character %zu is the letter '%c', which credit codes never use "
                              "(no I, O, Z, S, V): a mistyped %s?",
                              i + 1, c, confusions[k].meant);
        if (uscc_index(c) < 0)
            return refuse(why, whylen,
                          "character %zu '%c' is not allowed (0-9 and A-Y without I O Z S V)",
                          i + 1, c);
    }
    want = order_uscc_check_char(s);
    if (want != s[17])
        return refuse_as(SK_PROB_CHECK_DIGIT, why, whylen, "check character is %c, expected %c",
                         s[17], want);
    return SK_PROB_NONE;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The birth date of an ID (positions 7-14) must be a real day, not in the future. */
static verdict birth_date_check(const char *d, char *why, size_t whylen)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 0, m, dd, today;
    time_t now = time(NULL);
    struct tm tm;

    for (int i = 0; i < 4; i++)
        y = y * 10 + (d[i] - '0');
    m = (d[4] - '0') * 10 + (d[5] - '0');
    dd = (d[6] - '0') * 10 + (d[7] - '0');
    if (y < 1900 || m < 1 || m > 12 || dd < 1 ||
        dd > mdays[m - 1] + (m == 2 && leap(y) ? 1 : 0))
        return refuse(why, whylen, "birth date %.8s is not a real date", d);
    if (localtime_r(&now, &tm) != NULL) {
        today = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
        if (y * 10000 + m * 100 + dd > today)
            return refuse(why, whylen, "birth date %.8s is in the future", d);
    }
    return SK_PROB_NONE;
}

/* GB/T 2260 province-level codes: the first two digits of every resident ID. */
static bool province_known(int p)
{
    static const int codes[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
                                42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71,
                                81, 82, 83};

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (codes[i] == p)
            return true;
    return false;
}

static verdict resident_id_check(const char *s, char *why, size_t whylen)
{
    size_t n;
    char want;
    verdict v;

    if ((v = ascii_only(s, why, whylen)) != SK_PROB_NONE)
        return v;
    n = strlen(s);
    if (n == 15)
        return refuse(why, whylen, "15 characters: first-generation IDs are no longer valid, "
                                   "expected the 18-character number");
    if (n != 18)
        return refuse(why, whylen, "%zu characters, expected 18", n);
    for (size_t i = 0; i < 17; i++)
        if (s[i] < '0' || s[i] > '9')
            return refuse(why, whylen, "character %zu '%c' is not a digit", i + 1, s[i]);
    if (s[17] == 'x')
        return refuse(why, whylen, "check character must be upper-case X");
    if ((s[17] < '0' || s[17] > '9') && s[17] != 'X')
        return refuse(why, whylen, "character 18 '%c' is not a digit or X", s[17]);
    if (!province_known((s[0] - '0') * 10 + (s[1] - '0')))
        return refuse(why, whylen, "region code %.6s names no province", s);
    if ((v = birth_date_check(s + 6, why, whylen)) != SK_PROB_NONE)
        return v;
    want = order_resident_id_check_char(s);
    if (want != s[17])
        return refuse_as(SK_PROB_CHECK_DIGIT, why, whylen, "check digit is %c, expected %c", s[17],
                         want);
    return SK_PROB_NONE;
}

static verdict mobile_check(const char *s, char *why, size_t whylen)
{
    size_t n;
    verdict v;

    if ((v = ascii_only(s, why, whylen)) != SK_PROB_NONE)
        return v;
    n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return refuse(why, whylen, "character %zu '%c' is not a digit (write the 11 digits "
                                       "only, no +86, spaces or dashes)", i + 1, s[i]);
    if (n != 11)
        return refuse(why, whylen, "%zu digits, expected 11", n);
    if (s[0] != '1')
        return refuse(why, whylen, "starts with %c; mainland mobile numbers start with 1", s[0]);
    return SK_PROB_NONE;
}

static bool email_atext(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A deliberately plain subset of RFC 5321: dot-atom local part, DNS host name with a
 * letter-only top-level label. Quoted local parts and address literals are refused: the
 * invoice system that mails to it would not take them either. */
static verdict email_check(const char *s, char *why, size_t whylen)
{
    const char *at = strchr(s, '@');
    const char *dom, *label, *last = NULL;
    size_t local_len, n = strlen(s);
    int labels = 0;
    verdict v;

    if ((v = ascii_only(s, why, whylen)) != SK_PROB_NONE)
        return v;
    if (n > 254)
        return refuse(why, whylen, "%zu characters, at most 254", n);
    if (at == NULL)
        return refuse(why, whylen, "has no '@'");
    if (strchr(at + 1, '@') != NULL)
        return refuse(why, whylen, "has more than one '@'");
    local_len = (size_t)(at - s);
    if (local_len == 0 || local_len > 64)
        return refuse(why, whylen, "the part before '@' must be 1-64 characters");
    for (size_t i = 0; i < local_len; i++) {
        if (s[i] == '.') {
            if (i == 0 || i + 1 == local_len || s[i + 1] == '.')
                return refuse(why, whylen, "misplaced '.' before the '@'");
        } else if (!email_atext(s[i])) {
            return refuse(why, whylen, "character %zu '%c' is not allowed", i + 1, s[i]);
        }
    }
    dom = at + 1;
    if (*dom == '\0')
        return refuse(why, whylen, "no domain after '@'");
    for (label = dom;; label++) {
        const char *end = label;
        while (*end != '\0' && *end != '.')
            end++;
        if (end == label || end - label > 63)
            return refuse(why, whylen, "domain '%s' has an empty or over-long part", dom);
        for (const char *p = label; p < end; p++)
            if (!alnum(*p) && *p != '-')
                return refuse(why, whylen, "domain '%s' has the character '%c'", dom, *p);
        if (*label == '-' || end[-1] == '-')
            return refuse(why, whylen, "a part of domain '%s' starts or ends with '-'", dom);
        labels++;
        last = label;
        label = end;
        if (*label == '\0')
            break;
    }
    if (labels < 2)
        return refuse(why, whylen, "domain '%s' has no top-level part (like .cn)", dom);
    for (const char *p = last; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return refuse(why, whylen, "domain '%s' does not end in a top-level name", dom);
    if (strlen(last) < 2)
        return refuse(why, whylen, "domain '%s' does not end in a top-level name", dom);
    return SK_PROB_NONE;
}

static verdict tax_number_check(const char *s, char *why, size_t whylen)
{
    size_t n;
    verdict v;

    if ((v = ascii_only(s, why, whylen)) != SK_PROB_NONE)
        return v;
    n = strlen(s);
    if (n == 18) {
        char sub[160];
        if ((v = uscc_check(s, sub, sizeof(sub))) == SK_PROB_NONE)
            return SK_PROB_NONE;
        return refuse_as(v, why, whylen, "an 18-character tax number is a credit code: %s", sub);
    }
    if (n != 15 && n != 20)
        return refuse(why, whylen, "%zu characters, expected 18 (credit code) or a legacy 15 or 20",
                      n);
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
            return refuse(why, whylen, "character %zu '%c' is not a digit or A-Z", i + 1, s[i]);
    return SK_PROB_NONE;
}

static verdict number_check(const char *s, char *why, size_t whylen)
{
    size_t n = order_utf8_chars(s);

    if (n == 0 || n > 32)
        return refuse(why, whylen, "%zu characters, expected 1-32", n);
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
        return refuse(why, whylen, "must start with A-Z or 0-9");
    for (size_t i = 0; s[i] != '\0'; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return refuse(why, whylen, "has a character other than A-Z, 0-9 and '-' "
                                       "(it names files and token labels)");
    return SK_PROB_NONE;
}

bool order_uscc_valid(const char *s, char *why, size_t whylen)
{
    return uscc_check(s, why, whylen) == SK_PROB_NONE;
}

bool order_resident_id_valid(const char *s, char *why, size_t whylen)
{
    return resident_id_check(s, why, whylen) == SK_PROB_NONE;
}

bool order_mobile_valid(const char *s, char *why, size_t whylen)
{
    return mobile_check(s, why, whylen) == SK_PROB_NONE;
}

bool order_email_valid(const char *s, char *why, size_t whylen)
{
    return email_check(s, why, whylen) == SK_PROB_NONE;
}

bool order_tax_number_valid(const char *s, char *why, size_t whylen)
{
    return tax_number_check(s, why, whylen) == SK_PROB_NONE;
}

bool order_number_valid(const char *s, char *why, size_t whylen)
{
    return number_check(s, why, whylen) == SK_PROB_NONE;
}

enum sk_problem_code order_id_check(enum order_kind kind, const char *s, char *why,
                                    size_t whylen)
{
    switch (kind) {
    case OK_NUMBER: return number_check(s, why, whylen);
    case OK_USCC: return uscc_check(s, why, whylen);
    case OK_RESID: return resident_id_check(s, why, whylen);
    case OK_MOBILE: return mobile_check(s, why, whylen);
    case OK_EMAIL: return email_check(s, why, whylen);
    case OK_TAXNO: return tax_number_check(s, why, whylen);
    default: return SK_PROB_NONE;
    }
}
