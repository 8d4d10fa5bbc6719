/* The backup operation (issuer/operations/operations.h): a station's ledger, audit log and CA
 * directory, copied consistently while stations run, into a new private directory that
 * appears complete or not at all (docs/ledger.md, "Backups"). */
#define _GNU_SOURCE /* renameat2, RENAME_NOREPLACE (glibc 2.28, Linux 3.15) */
#include "issuer/operations/operations.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sk_file.h"
#include "util/sk_lock.h"
#include "util/sk_tar.h"

struct ledger_copy {
    ledger *l;
    const char *dest;
};

static int copy_ledger(void *arg, sk_err *e)
{
    const struct ledger_copy *c = arg;

    return ledger_backup(c->l, c->dest, e);
}

/* A directory's regular files and subdirectories into to (created 0700), files 0600; a
 * symbolic link or anything else in the CA directory is refused, not followed or skipped. */
static int copy_tree(const char *from, const char *to, size_t *files, sk_err *e)
{
    DIR *d = NULL;
    struct dirent *de;
    int ret;

    if (mkdir(to, 0700) != 0)
        return sk_err_set(e, SK_EIO, "%s: cannot create: %s", to, strerror(errno));
    if ((d = opendir(from)) == NULL)
        return sk_err_set(e, SK_EIO, "%s: cannot read: %s", from, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        char src[PATH_MAX], dst[PATH_MAX];
        struct stat sb;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((ret = sk_path_join(src, sizeof(src), from, de->d_name, e)) != SK_OK ||
            (ret = sk_path_join(dst, sizeof(dst), to, de->d_name, e)) != SK_OK)
            goto out;
        if (lstat(src, &sb) != 0) {
            ret = sk_err_set(e, SK_EIO, "%s: %s", src, strerror(errno));
            goto out;
        }
        if (S_ISDIR(sb.st_mode))
            ret = copy_tree(src, dst, files, e);
        else if (S_ISREG(sb.st_mode) && (ret = sk_file_copy(src, dst, 0600, e)) == SK_OK)
            (*files)++;
        else if (!S_ISREG(sb.st_mode))
            ret = sk_err_set(e, SK_EINPUT, "%s: not a regular file or directory; not backing "
                             "it up", src);
        if (ret != SK_OK)
            goto out;
    }
    ret = SK_OK;
out:
    closedir(d);
    return ret;
}

/* Remove what this operation made in its temporary directory; nothing else is in it. */
static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;

    while (d != NULL && (de = readdir(d)) != NULL) {
        char p[PATH_MAX];
        struct stat sb;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            snprintf(p, sizeof(p), "%s/%s", path, de->d_name) >= (int)sizeof(p))
            continue;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

static int sync_dir(const char *path, sk_err *e)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = SK_OK;

    if (fd < 0 || fsync(fd) != 0)
        ret = sk_err_set(e, SK_EIO, "%s: fsync: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return ret;
}

/* The CA directory under ca.lock, which ca init holds while it writes one: never half a CA. */
static int copy_ca(const op_env *env, const char *tmp, op_backup_result *r, sk_err *e)
{
    char from[PATH_MAX], to[PATH_MAX], lock[PATH_MAX];
    int fd = -1, ret;

    if ((ret = station_path(env->st, "ca", from, sizeof(from), e)) != SK_OK ||
        (ret = station_path(env->st, "ca.lock", lock, sizeof(lock), e)) != SK_OK ||
        (ret = sk_path_join(to, sizeof(to), tmp, "ca", e)) != SK_OK)
        return ret;
    if (!sk_file_exists(from))
        return SK_OK;
    if ((ret = sk_lock_acquire(lock, &fd, e)) != SK_OK)
        return ret;
    ret = copy_tree(from, to, &r->ca_files, e);
    sk_lock_release(&fd);
    return ret;
}

int op_backup(const op_env *env, const char *dest, op_backup_result *r, sk_err *e)
{
    char tmp[PATH_MAX], where[PATH_MAX], copy[PATH_MAX], parent[PATH_MAX], conf[PATH_MAX];
    struct ledger_copy lc = {.l = env->ledger};
    int ret;

    memset(r, 0, sizeof(*r));
    tmp[0] = '\0';
    r->archive = strlen(dest) > 4 && strcmp(dest + strlen(dest) - 4, ".tar") == 0;
    if (sk_file_exists(dest))
        return sk_err_set(e, SK_ESTATE, "%s exists; a backup goes to a new %s", dest,
                          r->archive ? "file" : "directory");
    if (snprintf(tmp, sizeof(tmp), "%s.partial-XXXXXX", dest) >= (int)sizeof(tmp) ||
        snprintf(parent, sizeof(parent), "%s", dest) >= (int)sizeof(parent)) {
        tmp[0] = '\0';
        return sk_err_set(e, SK_EINPUT, "%s: path too long", dest);
    }
    /* Built beside its final name, 0700, and renamed into place when complete (an archive:
     * packed from it into place, sk_tar_dir, and the directory removed). */
    if (mkdtemp(tmp) == NULL) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    /* The ledger under the audit log's lock: the copy's anchor is its log's end. */
    r->ledger_copied = !ledger_is_shared(env->st->ledger);
    if (r->ledger_copied) {
        if ((ret = station_path(env->st, env->st->ledger, where, sizeof(where), e)) != SK_OK ||
            (ret = sk_path_join(copy, sizeof(copy), tmp, basename(where), e)) != SK_OK)
            goto out;
        snprintf(r->ledger_name, sizeof(r->ledger_name), "%s", basename(where));
        lc.dest = copy;
    }
    if ((ret = audit_copy_locked(env->audit, tmp, r->ledger_copied ? copy_ledger : NULL, &lc,
                                 &r->audit_copied, e)) != SK_OK ||
        (ret = copy_ca(env, tmp, r, e)) != SK_OK ||
        (ret = station_path(env->st, "station.json", where, sizeof(where), e)) != SK_OK ||
        (ret = sk_path_join(conf, sizeof(conf), tmp, "station.json", e)) != SK_OK ||
        (ret = sk_file_copy(where, conf, 0600, e)) != SK_OK || (ret = sync_dir(tmp, e)) != SK_OK)
        goto out;
    if (r->archive) {
        /* The archive's top directory: its file name without ".tar". */
        snprintf(parent, sizeof(parent), "%s", dest);
        parent[strlen(parent) - 4] = '\0';
        ret = sk_tar_dir(tmp, basename(parent), dest, e);
        goto out;
    }
    /* Never over anything: rename(2) would silently replace an empty directory made at
     * dest since the check above (by another backup's mkdir, or anyone's). */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) != 0) {
        ret = errno == EEXIST
                  ? sk_err_set(e, SK_ESTATE, "%s exists; a backup goes to a new directory", dest)
                  : sk_err_set(e, SK_EIO, "%s: cannot rename to %s: %s", tmp, dest,
                               strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    ret = sync_dir(dirname(parent), e);
out:
    if (tmp[0] != '\0')
        remove_tree(tmp);
    return ret;
}
