/* Files: bounded reads, atomic private writes, directories. */
#ifndef SK_FILE_H
#define SK_FILE_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/sk_err.h"

/* Flags of sk_file_open_regular and sk_file_read_ex. */
#define SK_FILE_NOFOLLOW 1u /* refuse a symbolic link as the last component */

/* Open a file that came from outside (an operator, a config) for reading: opened with
 * O_NONBLOCK, so that a FIFO or device cannot stall the open; refused with a message naming
 * the file unless fstat says it is a regular file; then O_NONBLOCK cleared for the reads.
 * *fd is a blocking, close-on-exec descriptor; st (may be NULL) gets its fstat. Every
 * reader of outside files goes through here. */
int sk_file_open_regular(const char *path, unsigned flags, int *fd, struct stat *st, sk_err *e);

/* Read a whole file of at most max bytes into a NUL-terminated heap buffer (*len excludes
 * the NUL). Refuses larger files with a message naming the file and the limit, and anything
 * that is not a regular file (sk_file_open_regular). */
int sk_file_read(const char *path, size_t max, unsigned char **data, size_t *len, sk_err *e);

/* sk_file_read with flags (SK_FILE_NOFOLLOW) and the fstat of the file read (st may be
 * NULL): what was checked is what was read. */
int sk_file_read_ex(const char *path, size_t max, unsigned flags, unsigned char **data,
                    size_t *len, struct stat *st, sk_err *e);

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

/* Create the directory path (mkdir, mode; its parent must exist) or find it there, and
 * refuse it unless it is a directory that is not a symbolic link: like the station's other
 * files, an output directory is never reached through a link (O_NOFOLLOW|O_DIRECTORY on
 * the directory made or found). */
int sk_mkdir_nofollow(const char *path, mode_t mode, sk_err *e);

/* Does path exist (any type, symlinks not followed)? */
int sk_file_exists(const char *path);

/* Copy the regular file src (never through a symbolic link) to dst, a new file (O_EXCL,
 * never following a link) of the given mode, fsynced. Not atomic: for copies into a
 * directory that is itself renamed into place when complete (sealkey ledger backup). */
int sk_file_copy(const char *src, const char *dst, mode_t mode, sk_err *e);

/* snprintf into buf, failing with SK_EINPUT "path too long" on truncation. */
int sk_path_join(char *buf, size_t buflen, const char *dir, const char *name, sk_err *e);

#endif
