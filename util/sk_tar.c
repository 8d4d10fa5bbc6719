/* util/sk_tar.h: ustar (POSIX.1-1988 as extended by POSIX.1-2001's pax defaults), written by
 * hand: 512-byte headers with octal fields and a checksum, each file's bytes padded to 512,
 * two zero blocks at the end. */
#include "util/sk_tar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sk_file.h"

#define BLOCK 512

struct tar_out {
    int fd;
    const char *path; /* for messages: the temporary file */
};

static int put(struct tar_out *t, const void *buf, size_t len, sk_err *e)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t w = write(t->fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return sk_err_set(e, SK_EIO, "%s: write: %s", t->path, strerror(errno));
        p += w;
        len -= (size_t)w;
    }
    return SK_OK;
}

/* An octal field of width w: w-1 digits and a NUL; false when v does not fit. */
static int octal(char *field, size_t w, unsigned long long v)
{
    int n = snprintf(field, w, "%0*llo", (int)(w - 1), v);

    return n >= 0 && (size_t)n < w;
}

/* The header of one entry: name split into ustar's prefix (155) and name (100) at a '/'. */
static int header(struct tar_out *t, const char *name, const struct stat *sb, sk_err *e)
{
    unsigned char h[BLOCK];
    size_t len = strlen(name), split = 0;
    unsigned sum = 0;
    bool dir = S_ISDIR(sb->st_mode);

    memset(h, 0, sizeof(h));
    if (len > 100) {
        for (size_t i = len - 1; i > 0; i--)
            if (name[i] == '/' && i <= 155 && len - i - 1 <= 100) {
                split = i;
                break;
            }
        if (split == 0)
            return sk_err_set(e, SK_EINPUT, "%s: name too long for a tar archive", name);
        memcpy(h + 345, name, split);
        memcpy(h, name + split + 1, len - split - 1);
    } else {
        memcpy(h, name, len);
    }
    if (!octal((char *)h + 100, 8, sb->st_mode & 07777) || !octal((char *)h + 108, 8, 0) ||
        !octal((char *)h + 116, 8, 0) ||
        !octal((char *)h + 124, 12, dir ? 0 : (unsigned long long)sb->st_size) ||
        !octal((char *)h + 136, 12, (unsigned long long)(sb->st_mtime < 0 ? 0 : sb->st_mtime)))
        return sk_err_set(e, SK_EINPUT, "%s: too large for a tar archive", name);
    h[156] = dir ? '5' : '0';
    memcpy(h + 257, "ustar", 6); /* magic "ustar\0", version "00" */
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);     /* the checksum counts its own field as spaces */
    for (size_t i = 0; i < BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    return put(t, h, sizeof(h), e);
}

static int add_file(struct tar_out *t, const char *src, const char *name, sk_err *e)
{
    static const char zeros[BLOCK];
    char buf[65536];
    struct stat sb;
    off_t left;
    int fd = -1, ret;

    if ((ret = sk_file_open_regular(src, SK_FILE_NOFOLLOW, &fd, &sb, e)) != SK_OK ||
        (ret = header(t, name, &sb, e)) != SK_OK)
        goto out;
    /* Exactly the size the header says: a file that changes meanwhile is an error. */
    for (left = sb.st_size; left > 0;) {
        ssize_t n = read(fd, buf, (size_t)left < sizeof(buf) ? (size_t)left : sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ret = sk_err_set(e, SK_EIO, "%s: %s while archiving", src,
                             n < 0 ? strerror(errno) : "shrank");
            goto out;
        }
        if ((ret = put(t, buf, (size_t)n, e)) != SK_OK)
            goto out;
        left -= n;
    }
    if (sb.st_size % BLOCK != 0)
        ret = put(t, zeros, BLOCK - (size_t)(sb.st_size % BLOCK), e);
out:
    if (fd >= 0)
        close(fd);
    return ret;
}

static int add_dir(struct tar_out *t, const char *dir, const char *name, sk_err *e)
{
    struct dirent **list = NULL;
    struct stat sb;
    char entry[PATH_MAX];
    int n, ret = SK_OK;

    if (lstat(dir, &sb) != 0)
        return sk_err_set(e, SK_EIO, "%s: %s", dir, strerror(errno));
    if (snprintf(entry, sizeof(entry), "%s/", name) >= (int)sizeof(entry))
        return sk_err_set(e, SK_EINPUT, "%s: path too long", dir);
    if ((ret = header(t, entry, &sb, e)) != SK_OK)
        return ret;
    /* Sorted, so that the same backup makes the same archive. */
    if ((n = scandir(dir, &list, NULL, alphasort)) < 0)
        return sk_err_set(e, SK_EIO, "%s: cannot read: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *d = list[i]->d_name;
        char src[PATH_MAX], sub[PATH_MAX];
        if (ret != SK_OK || strcmp(d, ".") == 0 || strcmp(d, "..") == 0)
            continue;
        if ((ret = sk_path_join(src, sizeof(src), dir, d, e)) != SK_OK ||
            (ret = sk_path_join(sub, sizeof(sub), name, d, e)) != SK_OK)
            continue;
        if (lstat(src, &sb) != 0)
            ret = sk_err_set(e, SK_EIO, "%s: %s", src, strerror(errno));
        else if (S_ISDIR(sb.st_mode))
            ret = add_dir(t, src, sub, e);
        else if (S_ISREG(sb.st_mode))
            ret = add_file(t, src, sub, e);
        else
            ret = sk_err_set(e, SK_EINPUT, "%s: not a regular file or directory; not archiving "
                             "it", src);
    }
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return ret;
}

/* The new name must survive a crash too. */
static int sync_parent(const char *path, sk_err *e)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd, ret = SK_OK;

    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0)
        ret = sk_err_set(e, SK_EIO, "%s: fsync: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    return ret;
}

int sk_tar_dir(const char *dir, const char *top, const char *dest, sk_err *e)
{
    static const char end[2 * BLOCK];
    char tmp[PATH_MAX];
    struct tar_out t = {.fd = -1, .path = tmp};
    int ret;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", dest) >= (int)sizeof(tmp))
        return sk_err_set(e, SK_EINPUT, "%s: path too long", dest);
    if ((t.fd = mkstemp(tmp)) < 0)
        return sk_err_set(e, SK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    if ((ret = add_dir(&t, dir, top, e)) != SK_OK || (ret = put(&t, end, sizeof(end), e)) != SK_OK)
        goto out;
    if (fsync(t.fd) != 0) {
        ret = sk_err_set(e, SK_EIO, "%s: fsync: %s", tmp, strerror(errno));
        goto out;
    }
    if (link(tmp, dest) != 0) {
        ret = errno == EEXIST
                  ? sk_err_set(e, SK_ESTATE, "%s exists; a backup goes to a new file", dest)
                  : sk_err_set(e, SK_EIO, "%s: cannot create: %s", dest, strerror(errno));
        goto out;
    }
    ret = sync_parent(dest, e);
out:
    close(t.fd);
    unlink(tmp);
    return ret;
}
