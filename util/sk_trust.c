/* Owner and mode checks on what sealkey trusts (util/sk_trust.h). */
#include "util/sk_trust.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The user's name for messages: "name", or "uid N" if it has none; with_uid: "name (uid N)". */
static void user_name(uid_t uid, bool with_uid, char *buf, size_t buflen)
{
    struct passwd pw, *res = NULL;
    char tmp[1024];

    if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL) {
        if (with_uid)
            snprintf(buf, buflen, "%s (uid %u)", res->pw_name, (unsigned)uid);
        else
            snprintf(buf, buflen, "%s", res->pw_name);
    } else {
        snprintf(buf, buflen, "uid %u", (unsigned)uid);
    }
}

/* One file or directory: self is the path being trusted itself, not a directory above it. */
static int check_one(const char *what, const char *named, const char *p, const struct stat *sb,
                     bool self, sk_err *e)
{
    char owner[300], me[300], where[PATH_MAX + 64];
    uid_t uid = geteuid();
    mode_t m = sb->st_mode;
    bool sticky_dir = S_ISDIR(m) && (m & S_ISVTX) != 0;

    /* A link's own owner and mode change nothing; the directory holding it is checked. */
    if (S_ISLNK(m))
        return SK_OK;
    if (self)
        snprintf(where, sizeof(where), "%s %s", what, p);
    else
        snprintf(where, sizeof(where), "%s %s: directory %s above it", what, named, p);
    if (sb->st_uid != uid && sb->st_uid != 0) {
        user_name(sb->st_uid, true, owner, sizeof(owner));
        if (uid == 0) {
            snprintf(me, sizeof(me), "root, who runs this");
        } else {
            char name[256];
            user_name(uid, false, name, sizeof(name));
            snprintf(me, sizeof(me), "you (%s) or root", name);
        }
        return sk_err_set(e, SK_EINPUT,
                          "%s is owned by %s, not by %s (mode %04o): that user could change "
                          "it; chown it to yourself or root, or move it",
                          where, owner, me, (unsigned)(m & 07777));
    }
    user_name(sb->st_uid, false, owner, sizeof(owner));
    if ((m & (S_IWGRP | S_IWOTH)) != 0 && !(sticky_dir && !self))
        return sk_err_set(e, SK_EINPUT,
                          "%s is writable by %s (owner %s, mode %04o): another local user "
                          "could change it; run chmod go-w '%s'",
                          where,
                          (m & S_IWGRP) && (m & S_IWOTH) ? "group and others"
                          : (m & S_IWGRP)                ? "group"
                                                         : "others",
                          owner, (unsigned)(m & 07777), p);
    return SK_OK;
}

/* p's parent, in place: "/a/b/" -> "/a", "/a" -> "/"; false once p is "/". */
static bool up(char *p)
{
    size_t n = strlen(p);

    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    if (strcmp(p, "/") == 0)
        return false;
    while (n > 0 && p[n - 1] != '/')
        p[--n] = '\0';
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    if (n == 0)
        snprintf(p, 2, "/");
    return true;
}

static int make_abs(const char *path, char *abs, size_t len, sk_err *e)
{
    char cwd[PATH_MAX];
    int n;

    if (path[0] == '/') {
        n = snprintf(abs, len, "%s", path);
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL)
            return sk_err_set(e, SK_EIO, "%s: cannot find the current directory: %s", path,
                              strerror(errno));
        n = snprintf(abs, len, "%s/%s", cwd, path);
    }
    if (n < 0 || (size_t)n >= len)
        return sk_err_set(e, SK_EINPUT, "%s: path too long", path);
    return SK_OK;
}

/* real (no links in it) and every directory above it; self: real is the path trusted. */
static int check_real(const char *what, const char *named, const char *real, bool self,
                      sk_err *e)
{
    char p[PATH_MAX];
    struct stat sb;
    bool first = true;
    int ret;

    snprintf(p, sizeof(p), "%s", real);
    do {
        if (lstat(p, &sb) != 0)
            return sk_err_set(e, SK_EINPUT, "%s %s: cannot check %s: %s", what, named, p,
                              strerror(errno));
        if ((ret = check_one(what, named, p, &sb, self && first, e)) != SK_OK)
            return ret;
        first = false;
    } while (up(p));
    return SK_OK;
}

/* The directories above abs as named: those that exist, and where one is a link, the
 * directories it leads to. */
static int check_named_dirs(const char *what, const char *named, const char *abs, sk_err *e)
{
    char p[PATH_MAX], real[PATH_MAX];
    struct stat sb;
    int ret;

    snprintf(p, sizeof(p), "%s", abs);
    while (up(p)) {
        if (lstat(p, &sb) != 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;
            return sk_err_set(e, SK_EINPUT, "%s %s: cannot check %s: %s", what, named, p,
                              strerror(errno));
        }
        if (!S_ISLNK(sb.st_mode)) {
            if ((ret = check_one(what, named, p, &sb, false, e)) != SK_OK)
                return ret;
        } else if (realpath(p, real) != NULL) {
            if ((ret = check_real(what, named, real, false, e)) != SK_OK)
                return ret;
        } else if (errno != ENOENT && errno != ENOTDIR) {
            return sk_err_set(e, SK_EINPUT, "%s %s: cannot resolve %s: %s", what, named, p,
                              strerror(errno));
        }
    }
    return SK_OK;
}

static void note_secret(const struct stat *sb, unsigned flags, bool *exposed)
{
    if (exposed != NULL && (flags & SK_TRUST_SECRET) && S_ISREG(sb->st_mode) &&
        (sb->st_mode & (S_IRGRP | S_IROTH)) != 0)
        *exposed = true;
}

int sk_trust_path(const char *path, const char *what, unsigned flags, bool *exposed, sk_err *e)
{
    char abs[PATH_MAX], real[PATH_MAX];
    struct stat sb;
    int ret;

    if (exposed != NULL)
        *exposed = false;
    if ((ret = make_abs(path, abs, sizeof(abs), e)) != SK_OK)
        return ret;
    if (realpath(abs, real) == NULL) {
        if ((errno != ENOENT && errno != ENOTDIR) || !(flags & SK_TRUST_MAY_BE_ABSENT))
            return sk_err_set(e, SK_EINPUT, "%s %s: cannot check who may change it: %s", what,
                              path, strerror(errno));
        /* Absent: whoever may write the directories that would hold it could create it. */
        return check_named_dirs(what, path, abs, e);
    }
    if ((ret = check_real(what, path, real, true, e)) != SK_OK)
        return ret;
    if (stat(real, &sb) == 0)
        note_secret(&sb, flags, exposed);
    /* Through links: the directories holding them could point them elsewhere. */
    if (strcmp(real, abs) != 0)
        return check_named_dirs(what, path, abs, e);
    return SK_OK;
}

int sk_trust_opened(const char *path, const struct stat *st, const char *what, unsigned flags,
                    bool *exposed, sk_err *e)
{
    char abs[PATH_MAX], real[PATH_MAX], dir[PATH_MAX];
    int ret;

    if (exposed != NULL)
        *exposed = false;
    if ((ret = check_one(what, path, path, st, true, e)) != SK_OK)
        return ret;
    note_secret(st, flags, exposed);
    if ((ret = make_abs(path, abs, sizeof(abs), e)) != SK_OK)
        return ret;
    if (realpath(abs, real) == NULL)
        return check_named_dirs(what, path, abs, e);
    snprintf(dir, sizeof(dir), "%s", real);
    if (up(dir) && (ret = check_real(what, path, dir, false, e)) != SK_OK)
        return ret;
    if (strcmp(real, abs) != 0)
        return check_named_dirs(what, path, abs, e);
    return SK_OK;
}
