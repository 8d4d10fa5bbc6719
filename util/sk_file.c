#include "util/sk_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISLNK(m))
        return "a symbolic link";
    return "not a regular file";
}

int sk_file_open_regular(const char *path, unsigned flags, int *fd, struct stat *st, sk_err *e)
{
    int ret = SK_EIO;
    int f = -1, fl;
    struct stat sb;

    *fd = -1;
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever. */
    f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                       ((flags & SK_FILE_NOFOLLOW) ? O_NOFOLLOW : 0));
    if (f < 0) {
        if (errno == ELOOP && (flags & SK_FILE_NOFOLLOW))
            ret = sk_err_set(e, SK_EINPUT, "%s: is a symbolic link; name the file itself",
                             path);
        else
            ret = sk_err_set(e, errno == ENOENT ? SK_EINPUT : SK_EIO, "%s: cannot open: %s",
                             path, strerror(errno));
        goto out;
    }
    if (fstat(f, &sb) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        ret = sk_err_set(e, SK_EINPUT, "%s: not a regular file (%s); name a file", path,
                         file_kind(sb.st_mode));
        goto out;
    }
    if ((fl = fcntl(f, F_GETFL)) < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot clear O_NONBLOCK: %s", path, strerror(errno));
        goto out;
    }
    if (st != NULL)
        *st = sb;
    *fd = f;
    f = -1;
    ret = SK_OK;
out:
    if (f >= 0)
        close(f);
    return ret;
}

int sk_file_read(const char *path, size_t max, unsigned char **data, size_t *len, sk_err *e)
{
    return sk_file_read_ex(path, max, 0, data, len, NULL, e);
}

int sk_file_read_ex(const char *path, size_t max, unsigned flags, unsigned char **data,
                    size_t *len, struct stat *stp, sk_err *e)
{
    int ret = SK_EIO;
    int fd = -1;
    unsigned char *buf = NULL;
    struct stat st;
    size_t got = 0;

    *data = NULL;
    *len = 0;
    if ((ret = sk_file_open_regular(path, flags, &fd, &st, e)) != SK_OK)
        goto out;
    if ((unsigned long long)st.st_size > max) {
        ret = sk_err_set(e, SK_EINPUT, "%s: file is %lld bytes, the limit is %zu", path,
                         (long long)st.st_size, max);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        ret = sk_err_set(e, SK_EIO, "%s: out of memory", path);
        goto out;
    }
    /* Read until EOF rather than trusting st_size, but never beyond max. */
    for (;;) {
        ssize_t n;

        if (got == (size_t)st.st_size) {
            char probe;
            n = read(fd, &probe, 1);
            if (n == 0)
                break;
            ret = sk_err_set(e, SK_EIO, "%s: file grew while being read", path);
            goto out;
        }
        n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = sk_err_set(e, SK_EIO, "%s: read failed: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    buf = NULL;
    if (stp != NULL)
        *stp = st;
    ret = SK_OK;
out:
    /* What was read of a file refused halfway may be a secret's (a file: source). */
    if (buf != NULL)
        OPENSSL_cleanse(buf, got);
    free(buf);
    if (fd >= 0)
        close(fd);
    return ret;
}

static int fsync_parent(const char *path)
{
    char copy[PATH_MAX];
    int fd, rc;

    if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
        return -1;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Write a temporary file beside path, fsync it, then put it in place: by rename (replacing
 * what is there) or, when exclusive, by link, which fails if path exists, so that of two
 * processes creating one file exactly one succeeds and the other never overwrites. */
static int write_file(const char *path, const void *data, size_t len, mode_t mode, int exclusive,
                      sk_err *e)
{
    int ret = SK_EIO;
    int fd = -1;
    char tmp[PATH_MAX];
    const unsigned char *p = data;
    size_t done = 0;
    int have_tmp = 0;
    unsigned char rnd[6];
    FILE *ur = NULL;

    /* A unique name from /dev/urandom; O_EXCL makes a clash fail rather than overwrite. */
    ur = fopen("/dev/urandom", "rb");
    if (ur == NULL || fread(rnd, 1, sizeof(rnd), ur) != sizeof(rnd)) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot read /dev/urandom", path);
        goto out;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-%02x%02x%02x%02x%02x%02x", path, rnd[0], rnd[1],
                 rnd[2], rnd[3], rnd[4], rnd[5]) >= (int)sizeof(tmp)) {
        ret = sk_err_set(e, SK_EINPUT, "%s: path too long", path);
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    have_tmp = 1;
    /* The umask must not widen or narrow what the caller asked for. */
    if (fchmod(fd, mode) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot set mode: %s", tmp, strerror(errno));
        goto out;
    }
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = sk_err_set(e, SK_EIO, "%s: write failed: %s", tmp, strerror(errno));
            goto out;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        ret = sk_err_set(e, SK_EIO, "%s: close failed: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (exclusive) {
        if (link(tmp, path) != 0) {
            if (errno == EEXIST)
                ret = sk_err_set(e, SK_ESTATE, "%s exists; refusing to overwrite it", path);
            else
                ret = sk_err_set(e, SK_EIO, "%s: cannot create: %s", path, strerror(errno));
            goto out;
        }
        unlink(tmp); /* path keeps the file */
        have_tmp = 0;
    } else {
        if (rename(tmp, path) != 0) {
            ret = sk_err_set(e, SK_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
            goto out;
        }
        have_tmp = 0;
    }
    if (fsync_parent(path) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot fsync directory: %s", path, strerror(errno));
        goto out;
    }
    ret = SK_OK;
out:
    if (ur != NULL)
        fclose(ur);
    if (fd >= 0)
        close(fd);
    if (have_tmp)
        unlink(tmp);
    return ret;
}

int sk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, sk_err *e)
{
    return write_file(path, data, len, mode, 0, e);
}

int sk_file_create_atomic(const char *path, const void *data, size_t len, mode_t mode, sk_err *e)
{
    return write_file(path, data, len, mode, 1, e);
}

int sk_mkdir_p(const char *path, mode_t mode, sk_err *e)
{
    char buf[PATH_MAX];
    size_t n;

    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return sk_err_set(e, SK_EINPUT, "%s: path too long", path);
    n = strlen(buf);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return sk_err_set(e, SK_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
        buf[i] = saved;
    }
    return SK_OK;
}

int sk_mkdir_nofollow(const char *path, mode_t mode, sk_err *e)
{
    int fd;
    struct stat st;

    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return sk_err_set(e, SK_EIO, "%s: cannot create directory: %s", path, strerror(errno));
    /* mkdir never follows a link in the last component (EEXIST); opening it must not
     * either. */
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            return sk_err_set(e, SK_EINPUT, "%s: is a symbolic link, not a directory; "
                              "remove the link", path);
        if (err == ENOTDIR)
            return sk_err_set(e, SK_EINPUT, "%s: exists and is not a directory", path);
        return sk_err_set(e, SK_EIO, "%s: cannot open directory: %s", path, strerror(err));
    }
    close(fd);
    return SK_OK;
}

int sk_file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

int sk_path_join(char *buf, size_t buflen, const char *dir, const char *name, sk_err *e)
{
    int n;

    if (name[0] == '/' || dir == NULL || dir[0] == '\0')
        n = snprintf(buf, buflen, "%s", name);
    else
        n = snprintf(buf, buflen, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= buflen)
        return sk_err_set(e, SK_EINPUT, "%s/%s: path too long", dir != NULL ? dir : "", name);
    return SK_OK;
}

int sk_file_copy(const char *src, const char *dst, mode_t mode, sk_err *e)
{
    char buf[65536];
    int in = -1, out = -1, ret;
    ssize_t n;

    if ((ret = sk_file_open_regular(src, SK_FILE_NOFOLLOW, &in, NULL, e)) != SK_OK)
        goto out;
    out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (out < 0) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot create: %s", dst, strerror(errno));
        goto out;
    }
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = sk_err_set(e, SK_EIO, "%s: read: %s", src, strerror(errno));
            goto out;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                ret = sk_err_set(e, SK_EIO, "%s: write: %s", dst, strerror(errno));
                goto out;
            }
            done += w;
        }
    }
    if (fsync(out) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: fsync: %s", dst, strerror(errno));
        goto out;
    }
    ret = SK_OK;
out:
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0 && ret == SK_OK)
        ret = sk_err_set(e, SK_EIO, "%s: close: %s", dst, strerror(errno));
    return ret;
}
