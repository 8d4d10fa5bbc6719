/* Name checks on libutf8proc's Unicode tables: general category, Default_Ignorable_Code_Point
 * and NFC. No table is kept here: they change with each Unicode version, and a hand-copied
 * one would go stale or miss a character (U+2028 is a separator, not a control; U+180E moved
 * from space to format in Unicode 6.3). */
#include "util/sk_name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

sk_name_class sk_name_codepoint(uint32_t cp)
{
    if (cp > 0x10FFFF)
        return SK_NAME_CP_INVALID;
    /* libutf8proc files noncharacters under Cn; they are named apart because Unicode's
     * stability policy fixes the set at these 66, and "unassigned" would suggest waiting
     * for a newer version. */
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
        return SK_NAME_CP_NONCHARACTER;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_CC: return SK_NAME_CP_CONTROL;
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: return SK_NAME_CP_SEPARATOR;
    case UTF8PROC_CATEGORY_CF: return SK_NAME_CP_FORMAT;
    case UTF8PROC_CATEGORY_CO: return SK_NAME_CP_PRIVATE_USE;
    case UTF8PROC_CATEGORY_CS: return SK_NAME_CP_SURROGATE;
    case UTF8PROC_CATEGORY_CN: return SK_NAME_CP_UNASSIGNED;
    default: break;
    }
    /* Visible categories that still draw nothing: variation selectors, Hangul fillers. */
    if (utf8proc_get_property((utf8proc_int32_t)cp)->ignorable)
        return SK_NAME_CP_INVISIBLE;
    return SK_NAME_CP_OK;
}

const char *sk_name_class_text(sk_name_class c)
{
    switch (c) {
    case SK_NAME_CP_OK: return "allowed";
    case SK_NAME_CP_CONTROL: return "a control character";
    case SK_NAME_CP_SEPARATOR: return "a line or paragraph separator";
    case SK_NAME_CP_FORMAT:
        return "a format character: invisible, such as a bidi control, zero-width space or "
               "byte order mark";
    case SK_NAME_CP_INVISIBLE:
        return "an invisible character, such as a variation selector or filler";
    case SK_NAME_CP_NONCHARACTER: return "a noncharacter";
    case SK_NAME_CP_PRIVATE_USE: return "a private-use character, whose look depends on the font";
    case SK_NAME_CP_SURROGATE: return "a surrogate";
    case SK_NAME_CP_UNASSIGNED: return "unassigned";
    case SK_NAME_CP_INVALID: return "not a Unicode code point";
    }
    return "refused";
}

const char *sk_name_unicode_version(void)
{
    return utf8proc_unicode_version();
}

/* The code points of valid UTF-8 into a malloc'd array; NULL when out of memory. */
static utf8proc_int32_t *decode(const char *s, size_t len, size_t *n)
{
    utf8proc_int32_t *cps = malloc((len + 1) * sizeof(*cps));
    size_t i = 0;

    *n = 0;
    if (cps == NULL)
        return NULL;
    while (i < len) {
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cps[*n]);
        if (k <= 0)
            break;
        i += (size_t)k;
        (*n)++;
    }
    return cps;
}

/* " U+XXXX" for up to four code points of cps[from..to), then "..." if there are more. */
static void list_cps(const utf8proc_int32_t *cps, size_t from, size_t to, char *buf,
                     size_t buflen)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = from; i < to && used < buflen; i++) {
        int k = i - from == 4 ? snprintf(buf + used, buflen - used, " ...")
                              : snprintf(buf + used, buflen - used, "%sU+%04X",
                                         i == from ? "" : " ", (unsigned)cps[i]);
        if (k < 0 || i - from == 4)
            break;
        used += (size_t)k;
    }
}

/* Where s and its NFC form part, told in code points of s, for a message that lets the
 * operator find the spot without the text being quoted. */
static void explain_nfc(const char *s, size_t len, const char *nfc, size_t nfc_len, char *why,
                        size_t whylen)
{
    size_t na = 0, nb = 0, head = 0, tail = 0;
    utf8proc_int32_t *a = decode(s, len, &na), *b = decode(nfc, nfc_len, &nb);
    char from[64], to[64];

    if (a == NULL || b == NULL) {
        snprintf(why, whylen, "is not in Unicode normalisation form C (NFC); correct it at its "
                              "source");
        goto out;
    }
    while (head < na && head < nb && a[head] == b[head])
        head++;
    while (tail < na - head && tail < nb - head && a[na - 1 - tail] == b[nb - 1 - tail])
        tail++;
    /* Name at least one character of the text: NFC never only adds code points. */
    if (head + tail == na && tail > 0)
        tail--;
    list_cps(a, head, na - tail, from, sizeof(from));
    list_cps(b, head, nb - tail, to, sizeof(to));
    if (na - tail - head == 1)
        snprintf(why, whylen, "character %zu (%s) is not in Unicode normalisation form C: NFC "
                 "would write %s, and names are not changed silently: correct it at its source",
                 head + 1, from, to[0] ? to : "nothing");
    else
        snprintf(why, whylen, "characters %zu-%zu (%s) are not in Unicode normalisation form C: "
                 "NFC would write %s, and names are not changed silently: correct it at its "
                 "source",
                 head + 1, na - tail, from, to[0] ? to : "nothing");
out:
    free(a);
    free(b);
}

bool sk_name_valid(const char *s, char *why, size_t whylen)
{
    size_t len = strlen(s), i = 0, nth = 0;
    bool ascii = true;
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t nfc_len;
    bool ok = false;
    char dummy[8];

    if (why == NULL) {
        why = dummy;
        whylen = sizeof(dummy);
    }
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        sk_name_class c;

        nth++;
        if (k <= 0) {
            snprintf(why, whylen, "byte %zu (character %zu) is not UTF-8", i + 1, nth);
            return false;
        }
        c = sk_name_codepoint((uint32_t)cp);
        if (c == SK_NAME_CP_UNASSIGNED) {
            snprintf(why, whylen, "character %zu is U+%04X (unassigned in Unicode %s, which "
                     "this station follows), which is not allowed", nth, (unsigned)cp,
                     sk_name_unicode_version());
            return false;
        }
        if (c != SK_NAME_CP_OK) {
            snprintf(why, whylen, "character %zu is U+%04X (%s), which is not allowed",
                     nth, (unsigned)cp, sk_name_class_text(c));
            return false;
        }
        ascii = ascii && cp < 0x80;
        i += (size_t)k;
    }
    /* Plain ASCII is always NFC: most fields take no normalisation pass at all. */
    if (ascii)
        return true;
    nfc_len = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &nfc,
                           UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (nfc_len < 0) {
        snprintf(why, whylen, "cannot be normalised: %s", utf8proc_errmsg(nfc_len));
        goto out;
    }
    if ((size_t)nfc_len == len && memcmp(nfc, s, len) == 0)
        ok = true;
    else
        explain_nfc(s, len, (const char *)nfc, (size_t)nfc_len, why, whylen);
out:
    free(nfc);
    return ok;
}

char *sk_name_escape(const char *s)
{
    size_t len = strlen(s), i = 0, o = 0;
    /* The widest escape is 4 bytes out per byte in (\xHH for one byte). */
    char *out = malloc(len * 4 + 1);

    if (out == NULL)
        return NULL;
    while (i < len) {
        unsigned char b = (unsigned char)s[i];
        utf8proc_int32_t cp;
        utf8proc_ssize_t k;

        if (b == '\\') {
            memcpy(out + o, "\\\\", 2);
            o += 2;
            i++;
            continue;
        }
        if (b < 0x80 && sk_name_codepoint(b) == SK_NAME_CP_OK) {
            out[o++] = (char)b;
            i++;
            continue;
        }
        if (b == '\n' || b == '\r' || b == '\t') {
            out[o++] = '\\';
            out[o++] = b == '\n' ? 'n' : b == '\r' ? 'r' : 't';
            i++;
            continue;
        }
        k = b < 0x80 ? 1
                     : utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                        (utf8proc_ssize_t)(len - i), &cp);
        if (b < 0x80 || k <= 0) {
            o += (size_t)snprintf(out + o, 5, "\\x%02x", b);
            i++;
        } else if (sk_name_codepoint((uint32_t)cp) != SK_NAME_CP_OK) {
            o += (size_t)(cp <= 0xFFFF ? snprintf(out + o, 7, "\\u%04x", (unsigned)cp)
                                       : snprintf(out + o, 11, "\\U%08x", (unsigned)cp));
            i += (size_t)k;
        } else {
            memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        }
    }
    out[o] = '\0';
    return out;
}
