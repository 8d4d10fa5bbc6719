/* A sender of messages to the system log (syslog, or the journal through its syslog socket):
 * one datagram per message in the format glibc's syslog(3) sends, "<PRI>Mmm dd hh:mm:ss
 * IDENT[PID]: MESSAGE", to a Unix datagram socket, /dev/log unless the station says another.
 * Ours rather than syslog(3) because glibc's is fixed to /dev/log and keeps process-wide
 * state (openlog); this one is a value the caller owns, and a test can point it at a socket
 * of its own. It never blocks an issuance: a message the log cannot take at once is dropped
 * (the audit log, not the system log, is the record). */
#ifndef SK_SYSLOG_H
#define SK_SYSLOG_H

#include "util/sk_err.h"

typedef struct sk_syslog sk_syslog;

/* A sender to the socket at path with facility (LOG_DAEMON, LOG_LOCAL0, ... of <syslog.h>)
 * and ident (1-32 bytes of printable ASCII without space, '[', ']' or ':'). Nothing is sent
 * yet; the socket need not exist (journald may start later). */
int sk_syslog_open(const char *path, int facility, const char *ident, sk_syslog **out, sk_err *e);
void sk_syslog_free(sk_syslog *l);

/* Send msg at priority (LOG_ERR, LOG_INFO, ...). Control and non-UTF-8 bytes are escaped
 * (util/sk_name.h) so that a message stays one line; it is cut at 1024 bytes. SK_EIO with
 * the reason when the log did not take it (no socket there, or full): nothing waits. */
int sk_syslog_send(sk_syslog *l, int priority, const char *msg, sk_err *e);

/* The facility named "user", "daemon", "auth", "authpriv" or "local0".."local7", as a LOG_*
 * value; -1 for any other name. */
int sk_syslog_facility(const char *name);

#endif
