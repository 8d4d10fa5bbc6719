#include "util/sk_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int sk_lock_acquire(const char *path, int *fd, sk_err *e)
{
    int f;

    *fd = -1;
    f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0)
        return sk_err_set(e, SK_EIO, "%s: cannot open lock file: %s", path, strerror(errno));
    while (flock(f, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        close(f);
        return sk_err_set(e, SK_EIO, "%s: cannot lock: %s", path, strerror(errno));
    }
    *fd = f;
    return SK_OK;
}

void sk_lock_release(int *fd)
{
    if (*fd < 0)
        return;
    flock(*fd, LOCK_UN);
    close(*fd);
    *fd = -1;
}
