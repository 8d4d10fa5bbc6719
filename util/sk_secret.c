#include "util/sk_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "util/sk_file.h"

void sk_secret_wipe(void *buf, size_t len)
{
    if (buf != NULL)
        OPENSSL_cleanse(buf, len);
}

/* noinline, so that its frame is a fresh one below the caller's. The 32 KiB cover the
 * decoder's frames (about 7 KiB deep) several times over. */
__attribute__((noinline)) void sk_secret_wipe_stack(void)
{
    unsigned char below[32 * 1024];

    OPENSSL_cleanse(below, sizeof(below));
}

int sk_secret_src_parse(const char *spec, const char *what, sk_secret_src *src, sk_err *e)
{
    static const struct {
        const char *prefix;
        enum sk_secret_kind kind;
    } kinds[] = {{"env:", SK_SECRET_ENV}, {"file:", SK_SECRET_FILE}, {"fd:", SK_SECRET_FD}};

    memset(src, 0, sizeof(*src));
    if (spec == NULL || strcmp(spec, "prompt") == 0) {
        src->kind = SK_SECRET_PROMPT;
        return SK_OK;
    }
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t pl = strlen(kinds[i].prefix);
        if (strncmp(spec, kinds[i].prefix, pl) != 0)
            continue;
        if (spec[pl] == '\0')
            return sk_err_set(e, SK_EINPUT, "%s: '%s' names nothing after the colon", what, spec);
        if (snprintf(src->arg, sizeof(src->arg), "%s", spec + pl) >= (int)sizeof(src->arg))
            return sk_err_set(e, SK_EINPUT, "%s: source is too long", what);
        src->kind = kinds[i].kind;
        return SK_OK;
    }
    /* Do not echo the value: somebody may have put the secret itself here. */
    return sk_err_set(e, SK_EINPUT,
                      "%s: not a secret source; use env:NAME, file:PATH, fd:N or prompt", what);
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

static int read_line_fd(int fd, const char *what, char *buf, size_t buflen, sk_err *e)
{
    size_t got = 0;

    while (got + 1 < buflen) {
        char c;
        ssize_t n = read(fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sk_err_set(e, SK_EIO, "%s: read failed: %s", what, strerror(errno));
        if (n == 0 || c == '\n')
            break;
        buf[got++] = c;
    }
    buf[got] = '\0';
    chomp(buf);
    return SK_OK;
}

static int read_prompt(const char *prompt, char *buf, size_t buflen, sk_err *e)
{
    int ret = SK_EPIN;
    int fd = -1;
    struct termios old, quiet;
    int restore = 0;

    fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        ret = sk_err_set(e, SK_EPIN, "%s: no terminal to prompt on; name a source (env:, file:)",
                         prompt);
        goto out;
    }
    if (tcgetattr(fd, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0)
            restore = 1;
    }
    if (write(fd, prompt, strlen(prompt)) < 0 || write(fd, ": ", 2) < 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot write prompt", prompt);
        goto out;
    }
    ret = read_line_fd(fd, prompt, buf, buflen, e);
    if (write(fd, "\n", 1) < 0) {
        /* The newline is cosmetic. */
    }
out:
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (fd >= 0)
        close(fd);
    return ret;
}

int sk_secret_read(const sk_secret_src *src, const char *base_dir, const char *what, bool confirm,
                   char *buf, size_t buflen, sk_err *e)
{
    int ret = SK_EPIN;
    unsigned char *data = NULL;
    size_t len = 0;
    char again[SK_SECRET_MAX];
    char path[PATH_MAX];

    buf[0] = '\0';
    switch (src->kind) {
    case SK_SECRET_ENV: {
        const char *v = getenv(src->arg);
        if (v == NULL) {
            ret = sk_err_set(e, SK_EPIN, "%s: environment variable %s is not set", what, src->arg);
            goto out;
        }
        if (strlen(v) >= buflen) {
            ret = sk_err_set(e, SK_EPIN, "%s: value of %s is too long", what, src->arg);
            goto out;
        }
        memcpy(buf, v, strlen(v) + 1);
        /* Consumed: wiped in place and removed, or the value would sit in the environment
         * block (the top of the stack, or a setenv copy) for the life of the process. */
        OPENSSL_cleanse((char *)v, strlen(v));
        unsetenv(src->arg);
        break;
    }
    case SK_SECRET_FILE:
        ret = sk_path_join(path, sizeof(path), base_dir, src->arg, e);
        if (ret != SK_OK)
            goto out;
        ret = sk_file_read(path, 4096, &data, &len, e);
        if (ret != SK_OK) {
            sk_err_wrap(e, "%s", what);
            e->code = ret = SK_EPIN;
            goto out;
        }
        {
            size_t line = strcspn((char *)data, "\r\n");
            if (line >= buflen) {
                ret = sk_err_set(e, SK_EPIN, "%s: first line of %s is too long", what, path);
                goto out;
            }
            memcpy(buf, data, line);
            buf[line] = '\0';
        }
        break;
    case SK_SECRET_FD: {
        char *end = NULL;
        long fd;
        errno = 0;
        fd = strtol(src->arg, &end, 10);
        if (errno != 0 || end == src->arg || *end != '\0' || fd < 0 || fd > INT_MAX) {
            ret = sk_err_set(e, SK_EINPUT, "%s: fd:%s is not a descriptor number", what, src->arg);
            goto out;
        }
        ret = read_line_fd((int)fd, what, buf, buflen, e);
        if (ret != SK_OK)
            goto out;
        break;
    }
    case SK_SECRET_PROMPT:
        ret = read_prompt(what, buf, buflen, e);
        if (ret != SK_OK)
            goto out;
        if (confirm) {
            char prompt[256];
            snprintf(prompt, sizeof(prompt), "%s (again)", what);
            ret = read_prompt(prompt, again, sizeof(again), e);
            if (ret != SK_OK)
                goto out;
            if (strlen(again) != strlen(buf) || CRYPTO_memcmp(again, buf, strlen(buf)) != 0) {
                ret = sk_err_set(e, SK_EPIN, "%s: the two entries differ", what);
                goto out;
            }
        }
        break;
    default:
        ret = sk_err_set(e, SK_EINPUT, "%s: no source given", what);
        goto out;
    }
    if (buf[0] == '\0') {
        ret = sk_err_set(e, SK_EPIN, "%s: empty", what);
        goto out;
    }
    ret = SK_OK;
out:
    if (ret != SK_OK)
        sk_secret_wipe(buf, buflen);
    sk_secret_wipe(again, sizeof(again));
    if (data != NULL) {
        sk_secret_wipe(data, len);
        free(data);
    }
    return ret;
}
