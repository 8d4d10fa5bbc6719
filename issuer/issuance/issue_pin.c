/* The user PIN: drawn at random by the station policy or chosen and checked against it, and
 * the PIN mailer that carries it. */
#include <errno.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer/issuance/issue_int.h"
#include "util/sk_file.h"
#include "util/sk_secmem.h"

int issue_random_pin(int min_digits, int max_digits, char *pin, size_t pinlen, sk_err *e)
{
    unsigned char b;
    int len = min_digits;

    if (min_digits < 1 || max_digits < min_digits || (size_t)max_digits >= pinlen)
        return sk_err_set(e, SK_EINPUT, "PIN policy %d..%d digits is not usable", min_digits,
                          max_digits);
    /* Rejection sampling keeps every length and digit equally likely. */
    if (max_digits > min_digits) {
        unsigned span = (unsigned)(max_digits - min_digits + 1);
        do {
            if (RAND_bytes(&b, 1) != 1)
                return sk_err_ossl(e, SK_ECRYPTO, "random PIN");
        } while (b >= 256 - 256 % span);
        len = min_digits + (int)(b % span);
    }
    for (int i = 0; i < len; i++) {
        do {
            if (RAND_bytes(&b, 1) != 1) {
                OPENSSL_cleanse(pin, pinlen);
                return sk_err_ossl(e, SK_ECRYPTO, "random PIN");
            }
        } while (b >= 250);
        pin[i] = (char)('0' + b % 10);
    }
    pin[len] = '\0';
    OPENSSL_cleanse(&b, sizeof(b));
    return SK_OK;
}

enum { MAILER_MAX = 2048 };

/* The mailer's text; its length, or -1 when it does not fit in len. */
static int mailer_text(char *buf, size_t len, const order *o, const char *token_label,
                       const char *token_serial, const char *pin)
{
    int n = snprintf(buf, len,
                     "sealkey PIN mailer - CONFIDENTIAL / 密码函 - 机密\n"
                     "order:        %s\n"
                     "unit:         %s\n"
                     "recipient:    %s\n"
                     "token label:  %s\n"
                     "token serial: %s\n"
                     "user PIN:     %s\n"
                     "Change the PIN when you first use the token. / 首次使用请修改密码。\n",
                     o->number, o->unit_name, o->recipient_name ? o->recipient_name : "",
                     token_label, token_serial, pin);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

/* replace: an issuance's mailer replaces one its earlier attempt left; an unblock's never
 * replaces anything (sk_file_create_atomic). */
static int write_mailer(const char *path, const order *o, const char *token_label,
                        const char *token_serial, const char *pin, bool replace, sk_err *e)
{
    char *buf = NULL; /* the mailer's text carries the PIN: locked memory */
    int n;
    int ret;

    if ((ret = sk_secmem_alloc(MAILER_MAX, (void **)&buf, e)) != SK_OK)
        goto out;
    if ((n = mailer_text(buf, MAILER_MAX, o, token_label, token_serial, pin)) < 0) {
        ret = sk_err_set(e, SK_EINPUT, "order %s: PIN mailer text too long", o->number);
        goto out;
    }
    ret = replace ? sk_file_write_atomic(path, buf, (size_t)n, 0600, e)
                  : sk_file_create_atomic(path, buf, (size_t)n, 0600, e);
out:
    sk_secmem_free(buf, MAILER_MAX);
    return ret;
}

int issue_write_pin_mailer(const char *path, const order *o, const char *token_label,
                           const char *token_serial, const char *pin, sk_err *e)
{
    return write_mailer(path, o, token_label, token_serial, pin, true, e);
}

int issue_create_pin_mailer(const char *path, const order *o, const char *token_label,
                            const char *token_serial, const char *pin, sk_err *e)
{
    return write_mailer(path, o, token_label, token_serial, pin, false, e);
}

int issue_check_user_pin(const station_config *st, const char *pin, sk_err *e)
{
    size_t len = strlen(pin);

    for (size_t i = 0; i < len; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return sk_err_set(e, SK_EPIN, "the chosen user PIN has a character that is not a "
                              "digit; pin_policy takes %d to %d digits", st->user_pin_min,
                              st->user_pin_max);
    if (len < (size_t)st->user_pin_min || len > (size_t)st->user_pin_max)
        return sk_err_set(e, SK_EPIN, "the chosen user PIN has %zu digits; pin_policy takes %d "
                          "to %d", len, st->user_pin_min, st->user_pin_max);
    return SK_OK;
}

int issue_check_pin_mailer(const char *path, const order *o, size_t pin_len, sk_err *e)
{
    char text[MAILER_MAX], pin[SK_SECRET_MAX], probe[PATH_MAX];
    const char *slash = strrchr(path, '/');
    struct stat sb;
    int fd;

    /* The longest label and serial a token reports, and a stand-in PIN of the real length. */
    if (pin_len >= sizeof(pin))
        return sk_err_set(e, SK_EPIN, "the user PIN is too long");
    memset(pin, '0', pin_len);
    pin[pin_len] = '\0';
    if (mailer_text(text, sizeof(text), o, "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL", "SSSSSSSSSSSSSSSS",
                    pin) < 0)
        return sk_err_set(e, SK_EINPUT, "order %s: PIN mailer text too long", o->number);
    if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return sk_err_set(e, SK_EIO, "%s: exists and is not a regular file; the PIN mailer "
                          "cannot be written there", path);
    /* The mailer is written as a temporary file in its directory, then renamed. */
    if (slash == NULL ||
        snprintf(probe, sizeof(probe), "%.*s/.pin-mailer-probe.XXXXXX", (int)(slash - path),
                 path) >= (int)sizeof(probe))
        return sk_err_set(e, SK_EINPUT, "%s: path too long", path);
    if ((fd = mkstemp(probe)) < 0)
        return sk_err_set(e, SK_EIO, "%.*s: the PIN mailer cannot be written there: %s",
                          (int)(slash - path), path, strerror(errno));
    close(fd);
    unlink(probe);
    return SK_OK;
}
