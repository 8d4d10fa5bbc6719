/* Files: bounded reads, atomic private writes, directories. */
#ifndef SK_FILE_H
#define SK_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/sk_err.h"

/* Read a whole file of at most max bytes into a NUL-terminated heap buffer (*len excludes
 * the NUL). Refuses larger files with a message naming the file and the limit. */
int sk_file_read(const char *path, size_t max, unsigned char **data, size_t *len, sk_err *e);

/* Write data to path atomically: a temporary file in the same directory created with
 * O_EXCL|O_NOFOLLOW and the given mode, fsync, rename over path, fsync the directory.
 * A symlink at path is replaced, never followed. */
int sk_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, sk_err *e);

/* Like sk_file_write_atomic, but never replaces: the complete file appears at path by link(),
 * and if path exists (even created a moment ago by another process) the call fails with
 * SK_ESTATE and leaves it as it is. */
int sk_file_create_atomic(const char *path, const void *data, size_t len, mode_t mode, sk_err *e);

/* mkdir -p with mode for the directories it creates. */
int sk_mkdir_p(const char *path, mode_t mode, sk_err *e);

/* Does path exist (any type, symlinks not followed)? */
int sk_file_exists(const char *path);

/* snprintf into buf, failing with SK_EINPUT "path too long" on truncation. */
int sk_path_join(char *buf, size_t buflen, const char *dir, const char *name, sk_err *e);

#endif
