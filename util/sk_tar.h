/* A POSIX ustar archive of a directory's regular files and subdirectories, for backups that
 * travel as one file (sealkey ledger backup --to FILE.tar). */
#ifndef SK_TAR_H
#define SK_TAR_H

#include "util/sk_err.h"

/* Write every regular file and subdirectory under dir into the ustar archive dest, under the
 * top-level name top ("top/ca/issuing.crt"), with each entry's mode and modification time,
 * owner 0, and nothing else: a symbolic link or other special file is refused. dest appears
 * complete or not at all: written to a temporary file beside it (0600), fsynced, then linked
 * into place, never over an existing file (SK_ESTATE). Names up to 255 bytes (ustar's
 * prefix/name split); files up to 8 GiB. */
int sk_tar_dir(const char *dir, const char *top, const char *dest, sk_err *e);

#endif
