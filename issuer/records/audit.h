/* The station's audit log: a hash-chained, append-only record of every CA and token
 * operation (docs/audit.md), kept by one record keeper per process, the audit sink.
 *
 * audit.log in the station directory holds one JSON record per line (JSON Lines, mode
 * 0600). Each record carries seq (1, 2, ...), the hash of the previous record (prev; 64
 * zeros for the first) and its own hash: SHA-256 of the record without "hash", serialised
 * with sorted keys and no spaces. audit.head beside it holds the last seq and hash, so a
 * log cut short is told from a complete one.
 *
 * A station on a shared ledger ("ledger": "postgresql://..." in station.json) keeps its log
 * there instead (docs/ledger.md): the same records, chained per station id, stamped with the
 * database's time, with a head row per station in place of audit.head.
 *
 * No secret ever goes into a record: the API has no PIN or passphrase fields, and callers
 * must not put secrets (PINs, passphrases, key material) in detail. Records are readable by
 * whoever can read the station directory.
 *
 * The station's SQLite ledger anchors a file log: after each append the sink records the
 * last seq and hash there, and the checks hold the log to that, so a log deleted or cut
 * together with audit.head is caught (docs/audit.md).
 *
 * The sink depends on the ledger (issuer/records/ledger.h), never the other way round: the ledger
 * stores what it is handed (ledger_audit_append, ledger_audit_anchor_set/get). */
#ifndef SK_AUDIT_H
#define SK_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/records/ledger.h"
#include "issuer/station/station.h"
#include "util/sk_err.h"

#define AUDIT_LOG_NAME "audit.log"
#define AUDIT_HEAD_NAME "audit.head"

/* What the issuer records. The names a log holds (audit_ev_name) are fixed forever: a
 * record's hash covers its name, and logs written by any sealkey are read back as strings,
 * so a new event is added at the end and no name ever changes. */
typedef enum audit_ev {
    AUDIT_EV_CA_INIT,           /* "ca_init" */
    AUDIT_EV_SERIAL_RESERVED,   /* "serial_reserved" */
    AUDIT_EV_TOKEN_INITIALISED, /* "token_initialised" */
    AUDIT_EV_KEY_GENERATED,     /* "key_generated" */
    AUDIT_EV_CERT_ISSUED,       /* "cert_issued" */
    AUDIT_EV_SEAL_MADE,         /* "seal_made" */
    AUDIT_EV_WRITTEN,           /* "written" */
    AUDIT_EV_VERIFIED,          /* "verified" */
    AUDIT_EV_REVOKED,           /* "revoked" */
    AUDIT_EV_EXPORTED,          /* "exported" */
    AUDIT_EV_ISSUANCE_FAILED,   /* "issuance_failed" */
    AUDIT_EV_CRL_ISSUED,        /* "crl_issued" */
    AUDIT_EV_SHIPPED,           /* "shipped" */
    /* sealkey token (issue 13): */
    AUDIT_EV_CERT_HELD,         /* "cert_held": revoked as certificateHold, can be lifted */
    AUDIT_EV_CERT_RELEASED,     /* "cert_released": the hold lifted, live again */
    AUDIT_EV_TOKEN_LOST,        /* "token_lost" */
    AUDIT_EV_PIN_UNBLOCKED,     /* "pin_unblocked": a new user PIN set with the SO PIN */
    AUDIT_EV_CERT_REQUESTED,    /* "cert_requested": external signing, the token's CSR out */
    AUDIT_EV_COUNT
} audit_ev;

/* The name an event is recorded under, or NULL for a value that is not an audit_ev. */
const char *audit_ev_name(audit_ev ev);
/* The event a recorded name stands for, or -1 for a name this sealkey does not record. */
int audit_ev_from_name(const char *name);

typedef enum audit_result {
    AUDIT_OK,     /* "ok" */
    AUDIT_FAILED, /* "failed" */
} audit_result;

/* Size limits: a record that does not fit is refused, never cut. */
#define AUDIT_FIELD_MAX 128   /* station, operator, order, serials (bytes) */
#define AUDIT_DETAIL_MAX 1024 /* detail (bytes of UTF-8) */
#define AUDIT_LINE_MAX 8192   /* one whole record line */
/* An operator's name, in bytes of UTF-8: the ledger keeps it whole in
 * ledger_issuance.operator_name (64 with the NUL), well within AUDIT_FIELD_MAX. */
#define AUDIT_OPERATOR_MAX 63

/* What happened. order, token_serial, cert_serial and detail may be NULL or "" when they do
 * not apply. detail: a short human-readable reason (an error message, a seal id); never a
 * secret. */
typedef struct audit_event {
    audit_ev event;
    audit_result result;
    const char *order;
    const char *token_serial;
    const char *cert_serial;
    const char *detail;
} audit_event;

/* A record as read back; the strings live only as long as the audit_foreach callback. The
 * event is the name the log holds: a log may be older or newer than this sealkey. */
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

/* Where a station's records are kept. */
typedef struct audit_place {
    const char *dir;        /* the station directory: audit.log and audit.head */
    const char *station_id; /* the records' station, and the key of the ledger's anchor; ""
                               for a log without a station (no anchor is kept) */
    const char *shared_uri; /* the shared ledger that holds the records, or NULL: the file log */
} audit_place;

/* The record keeper of one station. Opening it reads and writes nothing; each append and
 * each walk goes to the place it was opened with, with the ledger it was given. */
typedef struct audit_sink audit_sink;

/* Open a sink on place p. l is the station's open ledger, borrowed for the sink's life:
 * it anchors a file log (a SQLite ledger), carries a shared log's appends over its own
 * connection (a shared one), and lets the checks count the certificates the station signed;
 * NULL for none, which a shared log's appends need. operator_name is recorded with every
 * append (checked then: audit_operator_check); NULL for a sink that only reads. */
int audit_sink_open(const audit_place *p, ledger *l, const char *operator_name,
                    audit_sink **out, sk_err *e);
/* The same for a loaded station: its directory and station_id, and the shared ledger when
 * its "ledger" is a URI. */
int audit_sink_open_station(const station_config *st, ledger *l, const char *operator_name,
                            audit_sink **out, sk_err *e);
void audit_sink_free(audit_sink *s);

/* Whether the sink's log is in a shared ledger rather than the station directory. */
bool audit_sink_shared(const audit_sink *s);

/* Append one record, stamped with the current time (the database's, for a shared ledger).
 * A file log: concurrent processes are serialised with flock() and interleave whole
 * records; an append is refused (SK_EFAIL) onto a log whose end does not match audit.head
 * or whose last line is damaged, so it never covers up a truncation; with a SQLite ledger
 * the log is held to the anchor the ledger keeps, and the anchor moves with it (an end that
 * disagrees with the anchor, beyond the one record a crash between the two may leave, is
 * refused too). SK_EINPUT for an unknown event or result, fields over the limits or not
 * UTF-8, or a bad operator's name; nothing is written then. */
int audit_append(audit_sink *s, const audit_event *ev, sk_err *e);

/* Check an operator's name before it is recorded anywhere (ledger, audit log): 1 to
 * AUDIT_OPERATOR_MAX bytes that util/sk_name.h accepts as a name (no control, format or
 * invisible characters, NFC), so that no name can forge a line of `audit show` or be cut
 * short by the ledger. SK_EINPUT with a message that starts with what (where the name came
 * from, e.g. "SEALKEY_OPERATOR") and never quotes the name. audit_append checks it too. */
int audit_operator_check(const char *operator_name, const char *what, sk_err *e);

/* Check the station's whole chain, calling fn (if not NULL) for each record that checked
 * out, in order, before the next is read; a non-zero return from fn stops the walk and is
 * returned. SK_OK with *n_records (0 for no log at all); SK_EFAIL naming the first bad
 * record and line: edited, deleted, reordered, truncated, garbage; SK_EIO if the files
 * cannot be read. With the sink's ledger, also:
 * - a file log against its anchor: it may be at most one record ahead, and its record at the
 *   anchor's seq must have the anchor's hash; a log with no records (deleted with its head)
 *   while the ledger holds an anchor is SK_EFAIL;
 * - with no anchor (a log older than anchors), or on a shared ledger, a log with no records
 *   while the ledger holds certificates the station signed is SK_EFAIL too, since every
 *   issuance appends to its station's log before its certificate is signed.
 * *anchor_seq (if not NULL) gets the anchor's seq, 0 when there is none. */
typedef int (*audit_visit_fn)(const audit_record *r, void *arg);
int audit_foreach(audit_sink *s, audit_visit_fn fn, void *arg, size_t *n_records,
                  unsigned long long *anchor_seq, sk_err *e);

/* For a backup: copy the station's file log (audit.log, audit.head) into the directory
 * dest_dir as 0600 files while no record can be appended, and call during(arg) under the
 * same lock, where sealkey ledger backup copies the ledger, so that the ledger's audit
 * anchor and the log agree in the copy (during may be NULL). A shared sink's log is in the
 * shared ledger: only during is called, and *copied is false. */
typedef int (*audit_locked_fn)(void *arg, sk_err *e);
int audit_copy_locked(audit_sink *s, const char *dest_dir, audit_locked_fn during, void *arg,
                      bool *copied, sk_err *e);

/* Check every station's chain in the shared ledger (for a file log, that log) as
 * audit_foreach does; *n_stations counts the stations with records. */
int audit_verify_all(audit_sink *s, size_t *n_records, size_t *n_stations, sk_err *e);

/* The lines of a file log as written, for moving it into a shared ledger: the log is
 * checked first (audit_foreach), then fn gets each record's line (no newline) that the
 * check counted, and nothing appended since. A shared log has none to give (*n 0). */
typedef int (*audit_line_fn)(void *arg, const char *line);
int audit_export_lines(audit_sink *s, audit_line_fn fn, void *arg, size_t *n, sk_err *e);

#endif
