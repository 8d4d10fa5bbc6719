/* Inside the audit log: what its files share (audit.c the sink, audit_record.c the record,
 * audit_file.c the file log with its head and anchor, audit_shared.c the shared ledger's
 * log, audit_verify.c reading back, audit_export.c the lines as written). Not for use
 * outside issuer/records/audit*.c: issuer/records/audit.h is the interface. */
#ifndef SK_AUDIT_INT_H
#define SK_AUDIT_INT_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "issuer/records/audit.h"

#define HASH_HEX 65 /* 64 hex digits and the NUL */

/* The prev of a log's first record, and the hash of an empty log's end. */
extern const char audit_zero_hash[HASH_HEX];

/* Where a station's audit log lives, taken once from the station's loaded config: its
 * directory, or the shared ledger that keeps the records per station id. */
struct audit_sink {
    char dir[PATH_MAX];
    char station_id[AUDIT_FIELD_MAX + 1];
    bool shared;
    char uri[1024];
    ledger *l;           /* borrowed; may be NULL */
    char *operator_name; /* NULL for a sink that only reads */
};

/* audit.head: the last seq and hash of a file log. */
typedef struct audit_head {
    bool present;
    unsigned long long seq;
    char hash[HASH_HEX];
} audit_head;

/* The anchor a SQLite ledger keeps of a station's file log (docs/audit.md): its last seq
 * and hash as of the last append. Only a ledger whose backend keeps anchors is asked. */
struct audit_anchor {
    bool present;
    unsigned long long seq;
    char hash[HASH_HEX];
};

/* audit_record.c */
bool audit_hash_eq(const char *a, const char *b);
/* An event and result this log records, checked before anything is opened. */
int audit_event_check(const audit_event *ev, sk_err *e);
/* The record's line (with its newline, malloc'd) and hash; db_now: the time to stamp (the
 * database's, for a shared ledger), or NULL for this host's. */
int audit_record_build(const char *station_id, const char *operator_name,
                       const audit_event *ev, unsigned long long seq, const char *prev,
                       const char *db_now, char **line, char hash[HASH_HEX], sk_err *e);
/* One parsed line (j, as read: text) against the schema and its own hash; r points into j.
 * line 0: the appender's look at the last line, whose number it does not know. */
int audit_record_check(const char *log, size_t line, json_t *j, const char *text,
                       audit_record *r, sk_err *e);

/* audit_file.c */
/* dir's audit.log and audit.head (PATH_MAX each). */
int audit_paths(const char *dir, char *log, char *hd, sk_err *e);
/* Read audit.head; absent is not an error (h->present = false). */
int audit_head_read(const char *path, audit_head *h, sk_err *e);
/* The anchor l keeps of station's file log; none (a->present = false) when l keeps none. */
int audit_anchor_read(ledger *l, const char *station, struct audit_anchor *a, sk_err *e);
int audit_file_append(const char *station_dir, const char *station_id,
                      const char *operator_name, const audit_event *ev, ledger *anchor_l,
                      sk_err *e);

/* audit_shared.c */
int audit_db_append(const audit_sink *s, const audit_event *ev, sk_err *e);
/* One station's records (station non-NULL) or every station's; with the sink's ledger,
 * checked against the certificates the ledger holds too. */
int audit_db_walk(const audit_sink *s, const char *station, audit_visit_fn fn, void *arg,
                  size_t *n_records, size_t *n_stations, sk_err *e);

#endif
