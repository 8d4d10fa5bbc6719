/* The data directory from the running binary's place: util/sk_datadir.h. */
#include "util/sk_datadir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Set by util/CMakeLists.txt from the install layout; this default is GNUInstallDirs'. */
#ifndef SK_DATA_FROM_BIN
#define SK_DATA_FROM_BIN "../share/sealkey"
#endif

int sk_data_path(const char *rel, char *buf, size_t len, sk_err *e)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash;
    int m;

    if (n < 0)
        return sk_err_set(e, SK_EIO,
                          "/proc/self/exe: %s (sealkey finds its data beside its "
                          "binary)",
                          strerror(errno));
    if ((size_t)n >= sizeof(exe) - 1)
        return sk_err_set(e, SK_EINTERNAL, "/proc/self/exe: path too long");
    exe[n] = '\0';
    if ((slash = strrchr(exe, '/')) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "/proc/self/exe: '%s' is not a path", exe);
    *slash = '\0';
    m = snprintf(buf, len, "%s/%s%s%s", exe, SK_DATA_FROM_BIN, rel[0] != '\0' ? "/" : "", rel);
    if (m < 0 || (size_t)m >= len)
        return sk_err_set(e, SK_EINTERNAL, "%s/%s/%s: path too long", exe, SK_DATA_FROM_BIN, rel);
    return SK_OK;
}
