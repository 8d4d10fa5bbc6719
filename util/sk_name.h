/* Names and other text that go into certificates, seals, forms, the ledger and the audit
 * log (docs/orders.md, "Names and Unicode"). Every code point must be one a reader can see
 * on the line it is printed on, and the text must already be in Unicode normalisation form C:
 * a name is never rewritten silently, since it must match the business licence.
 *
 * Character properties and NFC come from libutf8proc, so they follow the Unicode version
 * it was built with (sk_name_unicode_version); a character newer than that is refused as
 * unassigned. */
#ifndef SK_NAME_H
#define SK_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a code point is refused in a name. */
typedef enum sk_name_class {
    SK_NAME_CP_OK = 0,
    SK_NAME_CP_CONTROL,      /* Cc: C0, DEL and C1 (U+0085 NEXT LINE) */
    SK_NAME_CP_SEPARATOR,    /* Zl, Zp: U+2028, U+2029 */
    SK_NAME_CP_FORMAT,       /* Cf: bidi controls (U+202E, U+200E...), U+200B, U+FEFF, U+00AD */
    SK_NAME_CP_INVISIBLE,    /* other Default_Ignorable_Code_Point: variation selectors,
                                Hangul fillers, combining grapheme joiner */
    SK_NAME_CP_NONCHARACTER, /* U+FDD0..U+FDEF and the last two of every plane */
    SK_NAME_CP_PRIVATE_USE,  /* Co: U+E000..U+F8FF, planes 15 and 16 */
    SK_NAME_CP_SURROGATE,    /* Cs: never valid in UTF-8 */
    SK_NAME_CP_UNASSIGNED,   /* Cn in libutf8proc's Unicode version */
    SK_NAME_CP_INVALID,      /* above U+10FFFF */
} sk_name_class;

/* The class of one code point; SK_NAME_CP_OK for those a name may hold. */
sk_name_class sk_name_codepoint(uint32_t cp);

/* "a control character", "a format character (invisible: bidi control, zero-width, byte
 * order mark)", ... for messages. */
const char *sk_name_class_text(sk_name_class c);

/* The Unicode version the checks follow, e.g. "15.0.0". */
const char *sk_name_unicode_version(void);

/* Check a NUL-terminated UTF-8 string: valid UTF-8, every code point SK_NAME_CP_OK, and in
 * NFC. true when it passes; on false, why (if not NULL) receives a message that never
 * quotes the text itself (it may be what the check refuses), for example
 *   "character 3 is U+202E (a format character: ...), which is not allowed"
 *   "characters 4-5 (U+0065 U+0301) are not in Unicode normalisation form C: NFC would
 *    write U+00E9, and names are not changed silently: correct it at its source" */
bool sk_name_valid(const char *s, char *why, size_t whylen);

/* s made safe to print on one line of a terminal or log: a backslash is doubled, and every
 * byte or code point that sk_name_valid would refuse is written as an escape: \n \r \t,
 * \xHH for other control bytes and bytes that are not UTF-8, \uXXXX or \UXXXXXXXX for the
 * rest (U+202E becomes \u202e). Returns a malloc'd string, or NULL when out of memory. */
char *sk_name_escape(const char *s);

#endif
