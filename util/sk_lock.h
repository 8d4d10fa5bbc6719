/* Advisory file locks between sealkey processes of one station. */
#ifndef SK_LOCK_H
#define SK_LOCK_H

#include "util/sk_err.h"

/* Open (creating, 0600, never through a symlink) and exclusively lock path; blocks until the
 * lock is free. *fd receives the descriptor to pass to sk_lock_release. */
int sk_lock_acquire(const char *path, int *fd, sk_err *e);

/* Release and close; *fd becomes -1. Accepts -1. */
void sk_lock_release(int *fd);

#endif
