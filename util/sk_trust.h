/* Who could change a file sealkey is about to trust: a PKCS#11 module it loads, the station
 * configuration, a secret file, the CA, the ledger.
 *
 * A path is trusted only if nobody but the invoking user (geteuid) and root can change it,
 * nor any directory on the way to it: each is owned by the invoking user or root and is not
 * writable by group or others. Both the path as named (the directories holding any symbolic
 * link on the way) and the file it resolves to are checked. Above the path, a world-writable
 * directory with the sticky bit (/tmp) is accepted: nobody else can rename or remove what
 * the invoking user or root owns there. The path itself gets no such excuse. Like OpenSSH's
 * StrictModes, but without its exception for a group with the owner as the only member:
 * group-writable is refused. */
#ifndef SK_TRUST_H
#define SK_TRUST_H

#include <stdbool.h>
#include <sys/stat.h>

#include "util/sk_err.h"

#define SK_TRUST_MAY_BE_ABSENT 1u /* absent is fine; the directories that would hold it count */
#define SK_TRUST_SECRET 2u        /* a secret: note a file readable by group or others */

/* Refuse (SK_EINPUT, a message naming what, the offending path, its owner and mode, and the
 * chmod or chown that fixes it) unless path is trusted as above. what names the path's role
 * ("station.json: pkcs11_module"). With SK_TRUST_SECRET, *exposed (may be NULL) is set when
 * the file is readable by group or others: not refused, for the caller to warn about. */
int sk_trust_path(const char *path, const char *what, unsigned flags, bool *exposed, sk_err *e);

/* The same for a file already opened from path, with st its fstat: the file checked is the
 * one read, whatever happened to the name since; the directories are checked by name. */
int sk_trust_opened(const char *path, const struct stat *st, const char *what, unsigned flags,
                    bool *exposed, sk_err *e);

#endif
