/* The system log sender of util/sk_syslog.h. */
#include "util/sk_syslog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "util/sk_name.h"

#define SYSLOG_MSG_MAX 1024

struct sk_syslog {
    int fd;
    int facility;
    char ident[33];
    struct sockaddr_un addr;
};

int sk_syslog_facility(const char *name)
{
    static const struct {
        const char *name;
        int code;
    } names[] = {{"user", LOG_USER},         {"daemon", LOG_DAEMON}, {"auth", LOG_AUTH},
                 {"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
                 {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
                 {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].code;
    return -1;
}

int sk_syslog_open(const char *path, int facility, const char *ident, sk_syslog **out, sk_err *e)
{
    sk_syslog *l = NULL;
    size_t n = strlen(ident);

    *out = NULL;
    if (n == 0 || n >= sizeof(l->ident))
        return sk_err_set(e, SK_EINPUT, "log identity '%s': 1-32 bytes", ident);
    for (const char *c = ident; *c != '\0'; c++)
        if (*c <= ' ' || *c > '~' || *c == '[' || *c == ']' || *c == ':')
            return sk_err_set(e, SK_EINPUT,
                              "log identity '%s': printable ASCII without "
                              "space, '[', ']' or ':'",
                              ident);
    if (strlen(path) >= sizeof(l->addr.sun_path))
        return sk_err_set(e, SK_EINPUT, "log socket %s: path too long", path);
    if ((l = calloc(1, sizeof(*l))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    /* Non-blocking: a full or stalled log drops a message rather than hold up an issuance. */
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (l->fd < 0) {
        free(l);
        return sk_err_set(e, SK_EIO, "log socket: %s", strerror(errno));
    }
    l->facility = facility;
    memcpy(l->ident, ident, n + 1);
    l->addr.sun_family = AF_UNIX;
    memcpy(l->addr.sun_path, path, strlen(path) + 1);
    *out = l;
    return SK_OK;
}

void sk_syslog_free(sk_syslog *l)
{
    if (l == NULL)
        return;
    close(l->fd);
    free(l);
}

int sk_syslog_send(sk_syslog *l, int priority, const char *msg, sk_err *e)
{
    char line[SYSLOG_MSG_MAX + 128], when[32] = "";
    char *safe = sk_name_escape(msg);
    time_t now = time(NULL);
    struct tm tm;
    int n;

    if (safe == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    if (localtime_r(&now, &tm) != NULL)
        strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
    /* Cut at SYSLOG_MSG_MAX bytes: a longer line is truncated, not refused. */
    n = snprintf(line, sizeof(line), "<%d>%s %s[%ld]: %.*s", l->facility | LOG_PRI(priority), when,
                 l->ident, (long)getpid(), SYSLOG_MSG_MAX, safe);
    free(safe);
    if (n < 0)
        return sk_err_set(e, SK_EINTERNAL, "log message: formatting failed");
    if ((size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    /* Addressed on each send (not connected once), so a journald or rsyslog restarted
     * since is reached at its new socket without a reconnect. */
    if (sendto(l->fd, line, (size_t)n, MSG_NOSIGNAL, (const struct sockaddr *)&l->addr,
               sizeof(l->addr)) < 0)
        return sk_err_set(e, SK_EIO, "system log %s: %s", l->addr.sun_path, strerror(errno));
    return SK_OK;
}
