/* Names (util/sk_name.h, docs/orders.md "Names and Unicode"): which code points a name may
 * hold, NFC, the escaping `audit show` prints with, and the operator's name
 * (audit_operator_check). Chinese names from a GB 18030 system must all pass. */
#include <iconv.h>
#include <stdint.h>
#include <unistd.h>

#include "issuer/records/audit.h"
#include "test.h"
#include "util/sk_name.h"

/* A buffer as a pointer, for CHECK_CONTAINS's NULL test. */
static const char *text(const char *s)
{
    return s;
}

/* One code point as UTF-8 into buf (at least 5 bytes). */
static void utf8(uint32_t cp, char *buf)
{
    unsigned char *b = (unsigned char *)buf;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp, b[1] = 0;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3F)),
        b[2] = 0;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12), b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F)), b[3] = 0;
    } else {
        b[0] = (unsigned char)(0xF0 | cp >> 18), b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)), b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        b[4] = 0;
    }
}

/* "王" + cp + "明": a code point in the middle of a name. */
static bool name_with(uint32_t cp, char *why, size_t whylen)
{
    char s[32], c[8];

    utf8(cp, c);
    snprintf(s, sizeof(s), "王%s明", c);
    return sk_name_valid(s, why, whylen);
}

static void codepoints(void)
{
    /* Chinese (CJK and extensions B to H, 𠮷 U+20BB7 among them), Latin in NFC, the middle
     * dot of transliterated minority names (阿卜杜拉·买买提), the ideographic space, the
     * twelve unified ideographs that live in the compatibility block (U+FA0E...). */
    static const uint32_t ok[] = {0x4E00,  0x738B,  0x9FFF,  0x3400,  0x20BB7, 0x2A700, 0x2B740,
                                  0x2B820, 0x2CEB0, 0x30000, 0x31350, 0xFA0E,  0xFA29,  0x00E9,
                                  0x00C5,  0x0041,  0x0020,  0x3000,  0x00B7,  0x30FB,  0x2022,
                                  0xFF08,  0x2F00,  0x3007,  0x00A0};
    static const struct {
        uint32_t cp;
        sk_name_class want;
    } bad[] = {
        {0x0000, SK_NAME_CP_CONTROL},        {0x000A, SK_NAME_CP_CONTROL},
        {0x000D, SK_NAME_CP_CONTROL},        {0x0009, SK_NAME_CP_CONTROL},
        {0x001B, SK_NAME_CP_CONTROL},        {0x007F, SK_NAME_CP_CONTROL},
        {0x0085, SK_NAME_CP_CONTROL},        {0x009B, SK_NAME_CP_CONTROL},
        {0x2028, SK_NAME_CP_SEPARATOR},      {0x2029, SK_NAME_CP_SEPARATOR},
        {0x202A, SK_NAME_CP_FORMAT},         {0x202B, SK_NAME_CP_FORMAT},
        {0x202C, SK_NAME_CP_FORMAT},         {0x202D, SK_NAME_CP_FORMAT},
        {0x202E, SK_NAME_CP_FORMAT},         {0x2066, SK_NAME_CP_FORMAT},
        {0x2067, SK_NAME_CP_FORMAT},         {0x2068, SK_NAME_CP_FORMAT},
        {0x2069, SK_NAME_CP_FORMAT},         {0x200E, SK_NAME_CP_FORMAT},
        {0x200F, SK_NAME_CP_FORMAT},         {0x061C, SK_NAME_CP_FORMAT},
        {0x200B, SK_NAME_CP_FORMAT},         {0x200C, SK_NAME_CP_FORMAT},
        {0x200D, SK_NAME_CP_FORMAT},         {0x2060, SK_NAME_CP_FORMAT},
        {0xFEFF, SK_NAME_CP_FORMAT},         {0x00AD, SK_NAME_CP_FORMAT},
        {0x180E, SK_NAME_CP_FORMAT},         {0xFFF9, SK_NAME_CP_FORMAT},
        {0xE0001, SK_NAME_CP_FORMAT},        {0xE0041, SK_NAME_CP_FORMAT},
        {0xFE0F, SK_NAME_CP_INVISIBLE},      {0xE0100, SK_NAME_CP_INVISIBLE},
        {0x034F, SK_NAME_CP_INVISIBLE},      {0x3164, SK_NAME_CP_INVISIBLE},
        {0x115F, SK_NAME_CP_INVISIBLE},      {0xFFA0, SK_NAME_CP_INVISIBLE},
        {0xFDD0, SK_NAME_CP_NONCHARACTER},   {0xFDEF, SK_NAME_CP_NONCHARACTER},
        {0xFFFE, SK_NAME_CP_NONCHARACTER},   {0xFFFF, SK_NAME_CP_NONCHARACTER},
        {0x1FFFE, SK_NAME_CP_NONCHARACTER},  {0x2FFFF, SK_NAME_CP_NONCHARACTER},
        {0x10FFFF, SK_NAME_CP_NONCHARACTER}, {0xE000, SK_NAME_CP_PRIVATE_USE},
        {0xF8FF, SK_NAME_CP_PRIVATE_USE},    {0xF0000, SK_NAME_CP_PRIVATE_USE},
        {0x100000, SK_NAME_CP_PRIVATE_USE},  {0xD800, SK_NAME_CP_SURROGATE},
        {0xDFFF, SK_NAME_CP_SURROGATE},      {0x0378, SK_NAME_CP_UNASSIGNED},
        {0x110000, SK_NAME_CP_INVALID},
    };
    char why[512], hex[16];

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        CHECK_MSG(sk_name_codepoint(ok[i]) == SK_NAME_CP_OK, "U+%04X refused", (unsigned)ok[i]);
        /* NUL and surrogates cannot be written into a C string of UTF-8. */
        CHECK_MSG(name_with(ok[i], why, sizeof(why)), "王 U+%04X 明: %s", (unsigned)ok[i], why);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t cp = bad[i].cp;
        CHECK_MSG(sk_name_codepoint(cp) == bad[i].want, "U+%04X is class %d, want %d", (unsigned)cp,
                  sk_name_codepoint(cp), bad[i].want);
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            continue;
        CHECK_MSG(!name_with(cp, why, sizeof(why)), "王 U+%04X 明 accepted", (unsigned)cp);
        snprintf(hex, sizeof(hex), "U+%04X", (unsigned)cp);
        CHECK_CONTAINS(text(why), hex);
        CHECK_CONTAINS(text(why), "character 2 is");
        CHECK_CONTAINS(text(why), sk_name_class_text(bad[i].want));
    }
    /* A character newer than libutf8proc's tables is refused naming the version. */
    CHECK(!name_with(0x0378, why, sizeof(why)));
    CHECK_CONTAINS(text(why), sk_name_unicode_version());
}

static void normalisation(void)
{
    char why[512];

    CHECK(sk_name_valid("José Zhang", why, sizeof(why)));
    CHECK(sk_name_valid("阿卜杜拉·买买提", why, sizeof(why)));
    CHECK(sk_name_valid("江西赣鄱建设工程有限公司", why, sizeof(why)));
    CHECK(sk_name_valid("王𠮷", why, sizeof(why)));
    /* Decomposed é (e + U+0301), as macOS writes file names: refused, not rewritten. */
    CHECK(!sk_name_valid("Jose\xCC\x81 Zhang", why, sizeof(why)));
    CHECK_CONTAINS(text(why), "characters 4-5 (U+0065 U+0301)");
    CHECK_CONTAINS(text(why), "NFC would write U+00E9");
    /* CJK compatibility ideographs: NFC maps them to the unified ideograph, so a name holding
     * one would change under normalisation. 豈 U+F900 -> U+8C48, 兀 U+FA0C -> U+5140 (from
     * GBK's FE40), U+2F800 -> U+4E3D. */
    CHECK(!sk_name_valid("王\xEF\xA4\x80", why, sizeof(why)));
    CHECK_CONTAINS(text(why), "character 2 (U+F900)");
    CHECK_CONTAINS(text(why), "U+8C48");
    CHECK(!sk_name_valid("\xEF\xA8\x8C", why, sizeof(why)));
    CHECK_CONTAINS(text(why), "U+5140");
    CHECK(!sk_name_valid("\xF0\xAF\xA0\x80", why, sizeof(why)));
    CHECK_CONTAINS(text(why), "U+4E3D");
    /* Å as the Angstrom sign U+212B. */
    CHECK(!sk_name_valid("\xE2\x84\xAB", why, sizeof(why)));
    CHECK_CONTAINS(text(why), "U+00C5");
    /* Not UTF-8 (jansson never hands such a string over; other callers might). */
    CHECK(!sk_name_valid("ab\xFF", why, sizeof(why)));
    CHECK_CONTAINS(text(why), "byte 3");
    CHECK(!sk_name_valid("\xE7\x8E", why, sizeof(why)));
    /* The message never quotes the text: a refused name cannot garble the terminal. */
    CHECK(!sk_name_valid("ab\xE2\x80\xAE"
                         "cd",
                         why, sizeof(why)));
    CHECK(strstr(why, "\xE2\x80\xAE") == NULL);
    CHECK(sk_name_valid("", why, sizeof(why)));
    CHECK(!sk_name_valid("a\nb", NULL, 0));
}

/* Every character of GB 18030's two-byte area and the CJK blocks, read from GB 18030 by
 * iconv as a GB 18030 system would hand them over, is accepted, except the 9 CJK
 * compatibility ideographs among GBK's FD9C-FDA0 and FE40-FE4F (郎 FD9C is U+F92C, a
 * duplicate of 郎 U+90CE), which NFC changes and names therefore refuse. */
static void gb18030(void)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    size_t accepted = 0, compat = 0;
    char why[512];

    CHECK(cd != (iconv_t)-1);
    if (cd == (iconv_t)-1)
        return;
    for (unsigned lead = 0x81; lead <= 0xFE; lead++) {
        for (unsigned trail = 0x40; trail <= 0xFE; trail++) {
            char in[2] = {(char)lead, (char)trail}, out[16] = {0};
            char *ip = in, *op = out;
            size_t il = 2, ol = sizeof(out) - 1;
            uint32_t cp;

            if (trail == 0x7F || iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
                continue;
            /* Only the user-defined areas map to private use; those are refused. */
            cp = (unsigned char)out[0] >= 0xE0 && (unsigned char)out[0] < 0xF0
                     ? ((unsigned)(out[0] & 0x0F) << 12) | ((unsigned)(out[1] & 0x3F) << 6) |
                           (unsigned)(out[2] & 0x3F)
                     : 0;
            if (cp >= 0xE000 && cp <= 0xF8FF)
                continue;
            if (cp >= 0xF900 && cp <= 0xFAFF && !sk_name_valid(out, why, sizeof(why))) {
                CHECK_CONTAINS(text(why), "NFC would write U+");
                compat++;
                continue;
            }
            if (sk_name_valid(out, why, sizeof(why)))
                accepted++;
            else
                CHECK_MSG(false, "GB 18030 %02X%02X: %s", lead, trail, why);
        }
    }
    CHECK_MSG(accepted > 21000, "%zu GB 18030 two-byte characters accepted", accepted);
    CHECK_MSG(compat == 9, "%zu compatibility ideographs", compat);
    iconv_close(cd);

    /* The CJK blocks, extension B (𠮷) and beyond: four-byte GB 18030. */
    static const uint32_t blocks[][2] = {{0x3400, 0x4DBF},
                                         {0x4E00, 0x9FFF},
                                         {0x20000, 0x2A6DF},
                                         {0x2A700, 0x2EBE0},
                                         {0x30000, 0x3134A}};
    size_t n = 0, refused = 0;
    for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++)
        for (uint32_t cp = blocks[b][0]; cp <= blocks[b][1]; cp++) {
            char s[8];
            if (sk_name_codepoint(cp) == SK_NAME_CP_UNASSIGNED)
                continue;
            utf8(cp, s);
            n++;
            if (!sk_name_valid(s, why, sizeof(why)) && refused++ < 5)
                CHECK_MSG(false, "U+%04X: %s", (unsigned)cp, why);
        }
    CHECK_MSG(n > 90000 && refused == 0, "%zu CJK characters, %zu refused", n, refused);
}

static void escaping(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"王𠮷", "王𠮷"},
        {"alice\n#99 2026-01-01T00:00:00Z JX-NC-01 root verified ok",
         "alice\\n#99 2026-01-01T00:00:00Z JX-NC-01 root verified ok"},
        {"a\rb\tc\x1b[2J", "a\\rb\\tc\\x1b[2J"},
        {"back\\slash", "back\\\\slash"},
        {"x\xC2\x85y", "x\\u0085y"},
        {"\xE2\x80\xAE"
         "evil",
         "\\u202eevil"},
        {"\xE2\x80\xA8", "\\u2028"},
        {"\xEF\xBB\xBFz", "\\ufeffz"},
        {"\xF3\xA0\x84\x80", "\\U000e0100"},
        {"bad\xFF", "bad\\xff"},
        {"", ""},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = sk_name_escape(cases[i].in);
        CHECK_MSG(got != NULL && strcmp(got, cases[i].out) == 0, "escape case %zu: '%s'", i,
                  got ? got : "(null)");
        free(got);
    }
}

static void operator_name(void)
{
    char long_name[AUDIT_OPERATOR_MAX + 2];
    sk_err e;

    sk_err_clear(&e);
    CHECK(audit_operator_check("zhangsan", "--operator", &e) == SK_OK);
    CHECK(audit_operator_check("张三", "--operator", &e) == SK_OK);
    CHECK(audit_operator_check("王𠮷", "--operator", &e) == SK_OK);
    CHECK(audit_operator_check("alice\nbob", "SEALKEY_OPERATOR", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "SEALKEY_OPERATOR: the operator's name: character 6 is U+000A");
    CHECK(audit_operator_check("\xE2\x80\xAE"
                               "bob",
                               "--operator", &e) == SK_EINPUT);
    CHECK(audit_operator_check("", "--operator", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "empty");
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    CHECK(audit_operator_check(long_name, "--operator", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "64 bytes, at most 63");
    long_name[AUDIT_OPERATOR_MAX] = '\0';
    CHECK(audit_operator_check(long_name, "--operator", &e) == SK_OK);

    /* The log refuses such a name itself, before it creates or touches anything. */
    char dir[] = "/tmp/sk-names.XXXXXX", log[64];
    audit_event ev = {.event = AUDIT_EV_SHIPPED, .order = "JX2026-000101", .result = AUDIT_OK};
    audit_sink *forger = NULL, *alice = NULL;
    CHECK(mkdtemp(dir) != NULL);
    audit_place place = {.dir = dir, .station_id = "JX-NC-01"};
    CHECK(audit_sink_open(&place, NULL, "alice\n#2 forged", &forger, &e) == SK_OK);
    CHECK(audit_sink_open(&place, NULL, "alice", &alice, &e) == SK_OK);
    CHECK(audit_append(forger, &ev, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "U+000A");
    snprintf(log, sizeof(log), "%s/" AUDIT_LOG_NAME, dir);
    CHECK(access(log, F_OK) != 0);
    CHECK(audit_append(alice, &ev, &e) == SK_OK);
    CHECK(access(log, F_OK) == 0);
    audit_sink_free(forger);
    audit_sink_free(alice);
    unlink(log);
    snprintf(log, sizeof(log), "%s/" AUDIT_HEAD_NAME, dir);
    unlink(log);
    rmdir(dir);
}

int main(void)
{
    codepoints();
    normalisation();
    gb18030();
    escaping();
    operator_name();
    TEST_DONE();
}
