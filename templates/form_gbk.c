/* UTF-8 -> GBK for libharu's built-in Chinese fonts (GBK-EUC-H). GBK is what those fonts can
 * address; anything outside it (CJK Extension B names, emoji) is refused, naming the
 * character, because printing a wrong or missing character on a legal form is worse than
 * not printing it. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "templates/form.h"

/* The code point of the UTF-8 sequence at s (already valid: order_file_load checked it). */
static unsigned long utf8_cp(const unsigned char *s)
{
    if (s[0] < 0x80)
        return s[0];
    if ((s[0] & 0xE0) == 0xC0 && s[1] != 0)
        return ((unsigned long)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    if ((s[0] & 0xF0) == 0xE0 && s[1] != 0 && s[2] != 0)
        return ((unsigned long)(s[0] & 0x0F) << 12) | ((unsigned long)(s[1] & 0x3F) << 6) |
               (s[2] & 0x3F);
    if ((s[0] & 0xF8) == 0xF0 && s[1] != 0 && s[2] != 0 && s[3] != 0)
        return ((unsigned long)(s[0] & 0x07) << 18) | ((unsigned long)(s[1] & 0x3F) << 12) |
               ((unsigned long)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    return 0xFFFFFFFFul;
}

int form_gbk(const char *utf8, const char *who, const char *field, char **out, sk_err *e)
{
    iconv_t cd = (iconv_t)-1;
    char *buf = NULL, *in = (char *)utf8, *op;
    size_t inleft = strlen(utf8), cap = inleft * 2 + 1, outleft;
    int ret = SK_OK;

    *out = NULL;
    if ((cd = iconv_open("GBK", "UTF-8")) == (iconv_t)-1) {
        ret = sk_err_set(e, SK_EINTERNAL, "iconv cannot convert UTF-8 to GBK on this system");
        goto out;
    }
    /* GBK never takes more bytes than UTF-8 for the same text; the NUL needs one more. */
    if ((buf = malloc(cap)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", who);
        goto out;
    }
    op = buf;
    outleft = cap - 1;
    if (iconv(cd, &in, &inleft, &op, &outleft) == (size_t)-1) {
        unsigned long cp = utf8_cp((const unsigned char *)in);
        if (errno == EILSEQ && cp != 0xFFFFFFFFul)
            ret = sk_err_set(e, SK_EINPUT,
                             "%s: %s: character U+%04lX cannot be printed (outside GBK, the "
                             "encoding of the forms' Chinese font); write it by hand or use a "
                             "common variant",
                             who, field, cp);
        else
            ret = sk_err_set(e, SK_EINPUT, "%s: %s: not valid UTF-8", who, field);
        goto out;
    }
    *op = '\0';
    *out = buf;
    buf = NULL;
out:
    free(buf);
    if (cd != (iconv_t)-1)
        iconv_close(cd);
    return ret;
}
