/* The soft module's files: paths, whole-file reads and atomic writes, name lists in the
 * GM/T 0016 multi-string form, space accounting for "full device". */
#include "tests/skfsoft/skfsoft_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *sks_root(void)
{
    const char *r = getenv("SKFSOFT_DIR");
    return r != NULL && r[0] != '\0' ? r : NULL;
}

ULONG sks_path(char *out, size_t cap, const char *a, const char *b, const char *c)
{
    int n = snprintf(out, cap, "%s%s%s%s%s", a, b ? "/" : "", b ? b : "", c ? "/" : "",
                     c ? c : "");
    return n < 0 || (size_t)n >= cap ? SAR_NAMELENERR : SAR_OK;
}

bool sks_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool sks_fault(const char *name)
{
    const char *f = getenv("SKFSOFT_FAULT");
    size_t n = strlen(name);

    while (f != NULL && *f != '\0') {
        const char *comma = strchr(f, ',');
        if (strncmp(f, name, n) == 0 && (f[n] == ',' || f[n] == '\0'))
            return true;
        f = comma != NULL ? comma + 1 : NULL;
    }
    return false;
}

ULONG sks_name_ok(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > SKS_NAME_MAX)
        return SAR_NAMELENERR;
    for (size_t i = 0; i < n; i++)
        if (name[i] == '/' || (unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
            return SAR_INVALIDPARAMERR;
    if (name[0] == '.')
        return SAR_INVALIDPARAMERR;
    return SAR_OK;
}

ULONG sks_read(const char *path, unsigned char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;
    ULONG rv = SAR_READFILEERR;
    if (f == NULL)
        return errno == ENOENT ? SAR_FILE_NOT_EXIST : SAR_READFILEERR;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)n + 1);
    if (buf == NULL) {
        rv = SAR_MEMORYERR;
        goto out;
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        goto out;
    buf[n] = 0; /* text files are read as strings */
    *data = buf;
    *len = (size_t)n;
    buf = NULL;
    rv = SAR_OK;
out:
    free(buf);
    fclose(f);
    return rv;
}

ULONG sks_write(const char *path, const unsigned char *data, size_t len)
{
    char tmp[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd = -1, n;
    ULONG rv = SAR_WRITEFILEERR;
    /* ".NAME.XXXXXX" beside the file: hidden from every listing, same file system. */
    if (slash == NULL)
        return SAR_INVALIDPARAMERR;
    n = snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return SAR_NAMELENERR;
    fd = mkstemp(tmp);
    if (fd < 0)
        return SAR_WRITEFILEERR;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto out;
    tmp[0] = '\0';
    rv = SAR_OK;
out:
    if (fd >= 0)
        close(fd);
    if (tmp[0] != '\0')
        unlink(tmp);
    return rv;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir (sorted; directories or regular files; hidden files, temporaries and those
 * ending in skip_suffix left out) as "a\0b\0\0" with the standard's size protocol. */
ULONG sks_list(const char *dir, const char *skip_suffix, bool dirs, LPSTR out, ULONG *size)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, need = 1;
    ULONG rv = SAR_OK;
    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            char p[PATH_MAX];
            struct stat st;
            size_t l = strlen(de->d_name);
            if (de->d_name[0] == '.') /* temporaries, pulled devices, . and .. */
                continue;
            if (skip_suffix != NULL && l >= strlen(skip_suffix) &&
                strcmp(de->d_name + l - strlen(skip_suffix), skip_suffix) == 0)
                continue;
            if (sks_path(p, sizeof(p), dir, de->d_name, NULL) != SAR_OK || stat(p, &st) != 0 ||
                (dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
                continue;
            if (n == cap) {
                char **nn = realloc(names, (cap = cap ? cap * 2 : 8) * sizeof(*names));
                if (nn == NULL) {
                    rv = SAR_MEMORYERR;
                    goto out;
                }
                names = nn;
            }
            if ((names[n] = strdup(de->d_name)) == NULL) {
                rv = SAR_MEMORYERR;
                goto out;
            }
            need += l + 1;
            n++;
        }
    }
    if (n == 0)
        need = 2; /* an empty list is "\0\0" */
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_str);
    if (out == NULL) {
        *size = (ULONG)need;
        goto out;
    }
    if (*size < need) {
        *size = (ULONG)need;
        rv = SAR_BUFFER_TOO_SMALL;
        goto out;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]) + 1;
        memcpy(out + off, names[i], l);
        off += l;
    }
    out[off++] = '\0';
    if (n == 0)
        out[off++] = '\0';
    *size = (ULONG)need;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (d != NULL)
        closedir(d);
    return rv;
}

ULONG sks_rmtree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    if (d == NULL)
        return unlink(path) == 0 || errno == ENOENT ? SAR_OK : SAR_FILEERR;
    while ((de = readdir(d)) != NULL) {
        char p[PATH_MAX];
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (sks_path(p, sizeof(p), path, de->d_name, NULL) == SAR_OK)
            sks_rmtree(p);
    }
    closedir(d);
    return rmdir(path) == 0 ? SAR_OK : SAR_FILEERR;
}

static unsigned long du(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    unsigned long sum = 0;
    if (lstat(path, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return (unsigned long)st.st_size;
    if ((d = opendir(path)) == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        char p[PATH_MAX];
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (sks_path(p, sizeof(p), path, de->d_name, NULL) == SAR_OK)
            sum += du(p);
    }
    closedir(d);
    return sum;
}

unsigned long sks_capacity(sks_dev *d)
{
    char p[PATH_MAX];
    unsigned char *buf = NULL;
    size_t len;
    unsigned long cap = SKS_DEFAULT_CAPACITY;
    if (sks_path(p, sizeof(p), d->path, "capacity", NULL) == SAR_OK &&
        sks_read(p, &buf, &len) == SAR_OK) {
        char *end;
        unsigned long v = strtoul((char *)buf, &end, 10);
        if (end != (char *)buf)
            cap = v;
    }
    free(buf);
    return cap;
}

/* A real device's slowness, for fault tests: the device's optional keygen_ms file makes
 * SKF_GenECCKeyPair take that long (0..60000 ms), so a test can pull the device while a key
 * is being made. */
unsigned long sks_keygen_ms(sks_dev *d)
{
    char p[PATH_MAX];
    unsigned char *buf = NULL;
    size_t len;
    unsigned long ms = 0;
    if (sks_path(p, sizeof(p), d->path, "keygen_ms", NULL) == SAR_OK &&
        sks_read(p, &buf, &len) == SAR_OK) {
        char *end;
        unsigned long v = strtoul((char *)buf, &end, 10);
        if (end != (char *)buf && v <= 60000)
            ms = v;
    }
    free(buf);
    return ms;
}

/* Would `more` bytes still fit? Usage is the bytes stored under apps/. */
unsigned long sks_used(sks_dev *d)
{
    char p[PATH_MAX];
    return sks_path(p, sizeof(p), d->path, "apps", NULL) == SAR_OK ? du(p) : 0;
}

ULONG sks_room(sks_dev *d, size_t more)
{
    return sks_used(d) + more > sks_capacity(d) ? SAR_NO_ROOM : SAR_OK;
}

void sks_hash_pin(const char *pin, char hex[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(pin, strlen(pin), md, &mdlen, EVP_sm3(), NULL);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    OPENSSL_cleanse(md, sizeof(md));
}

ULONG sks_dev_check(DEVHANDLE h, sks_dev **out)
{
    sks_dev *d = h;
    if (d == NULL || d->magic != SKS_MAGIC_DEV)
        return SAR_INVALIDHANDLEERR;
    if (!sks_exists(d->path))
        return SAR_DEVICE_REMOVED;
    *out = d;
    return SAR_OK;
}

ULONG sks_app_check(HAPPLICATION h, sks_app **out)
{
    sks_app *a = h;
    sks_dev *d;
    ULONG rv;
    if (a == NULL || a->magic != SKS_MAGIC_APP)
        return SAR_INVALIDHANDLEERR;
    if ((rv = sks_dev_check(a->dev, &d)) != SAR_OK)
        return rv;
    if (!sks_exists(a->path))
        return SAR_APPLICATION_NOT_EXISTS;
    *out = a;
    return SAR_OK;
}

ULONG sks_con_check(HCONTAINER h, sks_con **out)
{
    sks_con *c = h;
    sks_app *a;
    ULONG rv;
    if (c == NULL || c->magic != SKS_MAGIC_CON)
        return SAR_INVALIDHANDLEERR;
    if ((rv = sks_app_check(c->app, &a)) != SAR_OK)
        return rv;
    if (!sks_exists(c->path))
        return SAR_INVALIDHANDLEERR;
    *out = c;
    return SAR_OK;
}
