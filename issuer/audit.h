/* The station's audit log: a hash-chained, append-only record of every CA and token
 * operation (docs/audit.md).
 *
 * audit.log in the station directory holds one JSON record per line (JSON Lines, mode
 * 0600). Each record carries seq (1, 2, ...), the hash of the previous record (prev; 64
 * zeros for the first) and its own hash: SHA-256 of the record without "hash", serialised
 * with sorted keys and no spaces. audit.head beside it holds the last seq and hash, so a
 * log cut short is told from a complete one.
 *
 * No secret ever goes into a record: the API has no PIN or passphrase fields, and callers
 * must not put secrets (PINs, passphrases, key material) in detail. Records are readable by
 * whoever can read the station directory.
 *
 * The station's SQLite ledger anchors the log: after each append through a ledger
 * (audit_append_ledger) it records the last seq and hash, and the *_ledger checks hold the
 * log to that, so a log deleted or cut together with audit.head is caught (docs/audit.md). */
#ifndef SK_AUDIT_H
#define SK_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/ledger.h"
#include "util/sk_err.h"

#define AUDIT_LOG_NAME "audit.log"
#define AUDIT_HEAD_NAME "audit.head"

/* Event names the issuer records; any [a-z0-9_] name up to 32 characters is accepted. */
#define AUDIT_EV_CA_INIT "ca_init"
#define AUDIT_EV_SERIAL_RESERVED "serial_reserved"
#define AUDIT_EV_TOKEN_INITIALISED "token_initialised"
#define AUDIT_EV_KEY_GENERATED "key_generated"
#define AUDIT_EV_CERT_ISSUED "cert_issued"
#define AUDIT_EV_SEAL_MADE "seal_made"
#define AUDIT_EV_WRITTEN "written"
#define AUDIT_EV_VERIFIED "verified"
#define AUDIT_EV_REVOKED "revoked"
#define AUDIT_EV_EXPORTED "exported"
#define AUDIT_EV_ISSUANCE_FAILED "issuance_failed"

#define AUDIT_OK "ok"
#define AUDIT_FAILED "failed"

/* Size limits: a record that does not fit is refused, never cut. */
#define AUDIT_FIELD_MAX 128   /* station, operator, order, serials (bytes) */
#define AUDIT_DETAIL_MAX 1024 /* detail (bytes of UTF-8) */
#define AUDIT_LINE_MAX 8192   /* one whole record line */
/* An operator's name, in bytes of UTF-8: the ledger keeps it whole in
 * ledger_issuance.operator_name (64 with the NUL), well within AUDIT_FIELD_MAX. */
#define AUDIT_OPERATOR_MAX 63

/* What happened. event and result ("ok" or "failed") are required; the others may be
 * NULL or "" when they do not apply. detail: a short human-readable reason (an error
 * message, a seal id); never a secret. */
typedef struct audit_event {
    const char *event;
    const char *order;
    const char *token_serial;
    const char *cert_serial;
    const char *result;
    const char *detail;
} audit_event;

/* A record as read back; the strings live only as long as the audit_foreach callback. */
typedef struct audit_record {
    unsigned long long seq;
    size_t line;
    const char *time;      /* UTC, "2026-03-01T08:15:30Z" */
    const char *station;
    const char *operator_name;
    const char *event;
    const char *order;
    const char *token_serial;
    const char *cert_serial;
    const char *result;
    const char *detail;
    const char *prev;
    const char *hash;
} audit_record;

/* Append one record to station_dir/audit.log, stamped with the current time. Concurrent
 * processes are serialised with flock() and interleave whole records. Refuses (SK_EFAIL)
 * to extend a log whose end does not match audit.head or whose last line is damaged, so an
 * append never covers up a truncation; SK_EINPUT for fields over the limits or not UTF-8. */
int audit_append(const char *station_dir, const char *station_id, const char *operator_name,
                 const audit_event *ev, sk_err *e);

/* Check an operator's name before it is recorded anywhere (ledger, audit log): 1 to
 * AUDIT_OPERATOR_MAX bytes that util/sk_name.h accepts as a name (no control, format or
 * invisible characters, NFC), so that no name can forge a line of `audit show` or be cut
 * short by the ledger. SK_EINPUT with a message that starts with what (where the name came
 * from, e.g. "SEALKEY_OPERATOR") and never quotes the name. audit_append checks it too. */
int audit_operator_check(const char *operator_name, const char *what, sk_err *e);

/* Check the whole chain and audit.head. SK_OK with *n_records (0 for no log at all);
 * SK_EFAIL naming the first bad record and line: edited, deleted, reordered, truncated,
 * garbage; SK_EIO if the files cannot be read. */
int audit_verify(const char *station_dir, size_t *n_records, sk_err *e);

/* Like audit_verify, calling fn for each record that checked out, in order, before the
 * next is read. A non-zero return from fn stops the walk and is returned. */
typedef int (*audit_visit_fn)(const audit_record *r, void *arg);
int audit_foreach(const char *station_dir, audit_visit_fn fn, void *arg, size_t *n_records,
                  sk_err *e);

/* A station whose station.json names a shared ledger ("ledger": "postgresql://...") keeps
 * its audit log there instead (docs/ledger.md): the same records, chained per station id,
 * stamped with the database's time, with a head row per station in place of audit.head.
 * audit_append, audit_verify and audit_foreach go there by themselves for such a station.
 * Whether station_dir's log is in a shared ledger: */
bool audit_is_shared(const char *station_dir);

/* audit_append through the station's open ledger (NULL: as audit_append). A file log is held
 * to the anchor l keeps (SQLite) and the anchor moves with it: an end that disagrees with the
 * anchor, beyond the one record a crash between the two may leave, is refused (SK_EFAIL), as
 * with audit.head. For a station on a shared ledger the record goes over the ledger's own
 * connection rather than a new one per record. Every append of a station with a ledger
 * should come through here, or verify finds the log ahead of its anchor. */
int audit_append_ledger(ledger *l, const char *station_dir, const char *station_id,
                        const char *operator_name, const audit_event *ev, sk_err *e);

/* audit_foreach, also checked against the station's ledger l (NULL: as audit_foreach):
 * - a file log against its anchor: it may be at most one record ahead, and its record at the
 *   anchor's seq must have the anchor's hash; a log with no records (deleted with its head)
 *   while the ledger holds an anchor is SK_EFAIL;
 * - with no anchor (a log older than anchors), or on a shared ledger, a log with no records
 *   while the ledger holds certificates the station signed is SK_EFAIL too, since every
 *   issuance appends to its station's log before its certificate is signed.
 * *anchor_seq (if not NULL) gets the anchor's seq, 0 when there is none. */
int audit_foreach_ledger(ledger *l, const char *station_dir, audit_visit_fn fn, void *arg,
                         size_t *n_records, unsigned long long *anchor_seq, sk_err *e);

/* Check every station's chain in the shared ledger station_dir names (for a station with a
 * file log, that log); *n_stations counts the stations with records. */
int audit_verify_all(const char *station_dir, size_t *n_records, size_t *n_stations,
                     sk_err *e);
/* The same, checked against the ledger l as audit_foreach_ledger does, for every station. */
int audit_verify_all_ledger(ledger *l, const char *station_dir, size_t *n_records,
                            size_t *n_stations, sk_err *e);

#endif
