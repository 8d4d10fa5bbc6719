/* The user PIN: drawn at random by the station policy, and the PIN mailer that carries it. */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "issuer/issue_int.h"
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

int issue_write_pin_mailer(const char *path, const order *o, const char *token_label,
                           const char *token_serial, const char *pin, sk_err *e)
{
    enum { MAILER_MAX = 2048 };
    char *buf = NULL; /* the mailer's text carries the PIN: locked memory */
    int n;
    int ret;

    if ((ret = sk_secmem_alloc(MAILER_MAX, (void **)&buf, e)) != SK_OK)
        goto out;
    n = snprintf(buf, MAILER_MAX,
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
    if (n < 0 || n >= MAILER_MAX) {
        ret = sk_err_set(e, SK_EINPUT, "order %s: PIN mailer text too long", o->number);
        goto out;
    }
    ret = sk_file_write_atomic(path, buf, (size_t)n, 0600, e);
out:
    sk_secmem_free(buf, MAILER_MAX);
    return ret;
}
