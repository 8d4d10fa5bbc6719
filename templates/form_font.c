/* Which characters the forms can print: those some installed font covers. fontconfig's sorted
 * fallback list for the forms' fonts is the list pango draws from, so the union of its
 * coverage is exactly what will come out as a glyph. A character outside it would print as an
 * empty box or a hex placeholder; on a legal form that is worse than not printing it, so it is
 * refused, naming the character. */
#include <fontconfig/fontconfig.h>
#include <stdlib.h>
#include <string.h>

#include "templates/form_int.h"

struct form_fonts {
    FcCharSet *cover; /* union of every font the forms may fall back to */
};

/* The code point of the UTF-8 sequence at s, its length in *len; 0xFFFFFFFF if malformed. */
static unsigned long utf8_next(const unsigned char *s, size_t *len)
{
    unsigned long cp;
    size_t n, i;

    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        *len = 1;
        return 0xFFFFFFFFul;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return 0xFFFFFFFFul;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *len = n;
    /* Overlong forms, surrogates and code points past U+10FFFF are not characters. */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0xFFFFFFFFul;
    return cp;
}

int form_fonts_new(form_fonts **out, sk_err *e)
{
    FcPattern *pat = NULL;
    FcFontSet *set = NULL;
    FcCharSet *cs = NULL;
    FcResult res = FcResultNoMatch;
    form_fonts *f = NULL;
    int ret = SK_OK;

    *out = NULL;
    if (!FcInit()) {
        ret = sk_err_set(e, SK_EINTERNAL, "fontconfig cannot load its configuration");
        goto out;
    }
    /* The same request pango makes for a form's text: the forms' serif family, Chinese. */
    if ((f = calloc(1, sizeof(*f))) == NULL ||
        (pat = FcNameParse((const FcChar8 *)FORM_FONT_SERIF)) == NULL ||
        !FcPatternAddString(pat, FC_LANG, (const FcChar8 *)FORM_FONT_LANG)) {
        ret = sk_err_set(e, SK_EINTERNAL, "fonts: out of memory");
        goto out;
    }
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    /* trim: only fonts that add coverage; cs is the union of their character sets. */
    set = FcFontSort(NULL, pat, FcTrue, &cs, &res);
    if (set == NULL || cs == NULL || set->nfont == 0) {
        ret = sk_err_set(e, SK_EINTERNAL,
                         "fonts: fontconfig finds no font for the forms (install the packages of "
                         "scripts/packages.d/forms.txt)");
        goto out;
    }
    f->cover = cs;
    cs = NULL;
    *out = f;
    f = NULL;
out:
    if (cs != NULL)
        FcCharSetDestroy(cs);
    if (set != NULL)
        FcFontSetDestroy(set);
    if (pat != NULL)
        FcPatternDestroy(pat);
    form_fonts_free(f);
    return ret;
}

void form_fonts_free(form_fonts *f)
{
    if (f == NULL)
        return;
    if (f->cover != NULL)
        FcCharSetDestroy(f->cover);
    free(f);
}

int form_fonts_check(const form_fonts *f, const char *utf8, const char *who, const char *field,
                     sk_err *e)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t len;

    while (*s != '\0') {
        unsigned long cp = utf8_next(s, &len);
        if (cp == 0xFFFFFFFFul)
            return sk_err_set(e, SK_EINPUT, "%s: %s: not valid UTF-8", who, field);
        /* Line breaks and tabs are layout, not glyphs. */
        if (cp != '\n' && cp != '\t' && !FcCharSetHasChar(f->cover, (FcChar32)cp))
            return sk_err_set(e, SK_EINPUT,
                              "%s: %s: character U+%04lX cannot be printed: no installed font "
                              "has it (docs/forms.md, \"Fonts\"); write it by hand or install "
                              "a font that covers it",
                              who, field, cp);
        s += len;
    }
    return SK_OK;
}
