#include "util/sk_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "util/sk_file.h"
#include "util/sk_trust.h"

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

/* One byte, retrying on EINTR: 1, 0 at end of file, or -1. */
static ssize_t read_byte(int fd, char *c)
{
    ssize_t n;

    do
        n = read(fd, c, 1);
    while (n < 0 && errno == EINTR);
    return n;
}

/* The first line from fd into buf. A line that does not fit, or holds a NUL byte, is refused
 * rather than cut: a secret silently shortened would be set on a token as something else
 * than the operator typed. Messages name the source, never the secret. */
static int read_line_fd(int fd, const char *what, const char *source, char *buf, size_t buflen,
                        sk_err *e)
{
    size_t got = 0;
    char c;
    ssize_t n;

    for (;;) {
        n = read_byte(fd, &c);
        if (n < 0)
            return sk_err_set(e, SK_EIO, "%s: %s: read failed: %s", what, source,
                              strerror(errno));
        if (n == 0 || c == '\n')
            break;
        if (c == '\0')
            return sk_err_set(e, SK_EPIN, "%s: %s: the secret contains a NUL byte", what,
                              source);
        if (got + 1 >= buflen) {
            /* Full: only a line end may follow ("\r\n" included). */
            if (c == '\r' && ((n = read_byte(fd, &c)) == 0 || (n > 0 && c == '\n')))
                break;
            return sk_err_set(e, SK_EPIN, "%s: %s: the secret is longer than %zu bytes, the "
                              "limit", what, source, buflen - 1);
        }
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
    ret = read_line_fd(fd, prompt, "the terminal", buf, buflen, e);
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

/* The first line of a file: refused if a NUL sits in it (strcspn would cut the secret there)
 * or if it does not fit. */
static int first_line(const unsigned char *data, size_t len, const char *what, const char *path,
                      char *buf, size_t buflen, sk_err *e)
{
    size_t line = 0;

    while (line < len && data[line] != '\n' && data[line] != '\r') {
        if (data[line] == '\0')
            return sk_err_set(e, SK_EPIN, "%s: %s: the secret contains a NUL byte", what, path);
        line++;
    }
    if (line >= buflen)
        return sk_err_set(e, SK_EPIN, "%s: first line of %s is longer than %zu bytes, the limit",
                          what, path, buflen - 1);
    memcpy(buf, data, line);
    buf[line] = '\0';
    return SK_OK;
}

static int read_file(const sk_secret_src *src, const char *base_dir, const char *what, char *buf,
                     size_t buflen, sk_secret_notice *notice, sk_err *e)
{
    int ret;
    unsigned char *data = NULL;
    size_t len = 0;
    struct stat st;
    char path[PATH_MAX];
    char role[300];
    bool exposed = false;

    if ((ret = sk_path_join(path, sizeof(path), base_dir, src->arg, e)) != SK_OK)
        goto out;
    if ((ret = sk_file_read_ex(path, 4096, 0, &data, &len, &st, e)) != SK_OK) {
        sk_err_wrap(e, "%s", what);
        e->code = ret = SK_EPIN;
        goto out;
    }
    /* Whoever may write the file chooses the secret: the SO PIN set on every token, say. */
    snprintf(role, sizeof(role), "%s file", what);
    if ((ret = sk_trust_opened(path, &st, role, SK_TRUST_SECRET, &exposed, e)) != SK_OK)
        goto out;
    if ((ret = first_line(data, len, what, path, buf, buflen, e)) != SK_OK)
        goto out;
    if (exposed && notice != NULL) {
        notice->exposed = true;
        notice->mode = (unsigned)(st.st_mode & 07777);
        snprintf(notice->path, sizeof(notice->path), "%s", path);
    }
out:
    if (data != NULL) {
        sk_secret_wipe(data, len);
        free(data);
    }
    return ret;
}

int sk_secret_read(const sk_secret_src *src, const char *base_dir, const char *what, bool confirm,
                   char *buf, size_t buflen, sk_err *e)
{
    return sk_secret_read_notice(src, base_dir, what, confirm, buf, buflen, NULL, e);
}

int sk_secret_read_notice(const sk_secret_src *src, const char *base_dir, const char *what,
                          bool confirm, char *buf, size_t buflen, sk_secret_notice *notice,
                          sk_err *e)
{
    int ret = SK_EPIN;
    char again[SK_SECRET_MAX];
    char source[64];

    buf[0] = '\0';
    if (notice != NULL)
        memset(notice, 0, sizeof(*notice));
    switch (src->kind) {
    case SK_SECRET_ENV: {
        const char *v = getenv(src->arg);
        if (v == NULL) {
            ret = sk_err_set(e, SK_EPIN, "%s: environment variable %s is not set", what, src->arg);
            goto out;
        }
        /* A C string: a NUL cannot hide in it, only a length can be wrong. */
        if (strlen(v) >= buflen) {
            ret = sk_err_set(e, SK_EPIN, "%s: value of %s is longer than %zu bytes, the limit",
                             what, src->arg, buflen - 1);
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
        if ((ret = read_file(src, base_dir, what, buf, buflen, notice, e)) != SK_OK)
            goto out;
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
        snprintf(source, sizeof(source), "fd:%ld", fd);
        ret = read_line_fd((int)fd, what, source, buf, buflen, e);
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
    return ret;
}
