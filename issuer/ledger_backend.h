/* What a ledger backend provides: the functions of issuer/ledger.h on its own handle.
 * issuer/ledger.c picks the backend from the ledger location and dispatches. */
#ifndef SK_LEDGER_BACKEND_H
#define SK_LEDGER_BACKEND_H

#include "issuer/ledger.h"

/* What ledger_open asks of a backend: use a ledger (SQLite creates and migrates it as it
 * always did; a shared ledger must already be at the latest schema, so that no station
 * migrates it behind the others' backs), create the schema of a new one, or migrate. */
enum ledger_open_mode {
    LEDGER_OPEN_USE,
    LEDGER_OPEN_INIT,
    LEDGER_OPEN_MIGRATE,
};

struct ledger_ops {
    const char *name;
    /* *from: the schema version found before any migration. */
    int (*open)(const char *where, enum ledger_open_mode mode, int *from, void **impl,
                sk_err *e);
    void (*free)(void *impl);
    int (*latest)(void *impl, const char *order_number, ledger_issuance *out, bool *found,
                  sk_err *e);
    int (*get)(void *impl, long long id, ledger_issuance *out, bool *found, sk_err *e);
    int (*live)(void *impl, const char *order_number, ledger_issuance *out, bool *found,
                sk_err *e);
    int (*token_live)(void *impl, const char *token_serial, ledger_issuance *out, bool *found,
                      sk_err *e);
    int (*begin)(void *impl, const char *order_number, const char *station_id,
                 const char *operator_name, const char *key_alg, const char *issuer_id,
                 const char *cert_serial, long long reissue_of, long long *id, bool *serial_taken,
                 sk_err *e);
    int (*step)(void *impl, long long id, iss_step step, const ledger_update *u, sk_err *e);
    int (*fail)(void *impl, long long id, const char *reason, sk_err *e);
    int (*list)(void *impl, const char *order_number, ledger_issuance **out, size_t *n,
                sk_err *e);
    int (*serial_state)(void *impl, const char *issuer_id, const char *cert_serial, char *state,
                        size_t state_len, sk_err *e);
    int (*cert_pem)(void *impl, long long id, char **pem, sk_err *e);
    int (*seal_add)(void *impl, long long issuance_id, const char *order_number,
                    const char *kind, const char *es_id, const char *sha256_hex, sk_err *e);
    int (*seal_list)(void *impl, long long issuance_id, ledger_seal **out, size_t *n, sk_err *e);
    int (*set_waybill)(void *impl, const char *order_number, const char *waybill, sk_err *e);
    int (*revoke)(void *impl, const char *order_number, const char *reason,
                  ledger_issuance **revoked, size_t *n, sk_err *e);
    int (*revoked)(void *impl, const char *issuer_id, ledger_issuance **out, size_t *n,
                   sk_err *e);
    int (*next_crl_number)(void *impl, const char *issuer_id, long long *number, sk_err *e);
    int (*claim)(void *impl, const char *order_number, bool *got, sk_err *e);
    void (*release)(void *impl, const char *order_number);
    int (*schema_version)(void *impl, int *version, sk_err *e);
    /* NULL when the backend cannot be the source (export) or target (import) of a move. */
    int (*export_json)(void *impl, char **json, sk_err *e);
    int (*import_json)(void *impl, const char *json, size_t len, const char *origin,
                       ledger_import_counts *counts, sk_err *e);
    /* NULL when the backend keeps no audit log (SQLite: the station directory does). */
    int (*audit_append)(void *impl, const char *station, ledger_audit_build_fn build, void *arg,
                        sk_err *e);
    /* NULL when the backend keeps no anchors (a shared ledger: its audit_heads is one). */
    int (*audit_anchor_set)(void *impl, const char *station, unsigned long long seq,
                            const char *hash, sk_err *e);
    int (*audit_anchor_get)(void *impl, const char *station, unsigned long long *seq,
                            char *hash, size_t hash_len, bool *found, sk_err *e);
    int (*serials)(void *impl, ledger_serial **out, size_t *n, sk_err *e);
    int (*certs_by_station)(void *impl, ledger_station_certs **out, size_t *n, sk_err *e);
};

extern const struct ledger_ops ledger_sqlite_ops;
extern const struct ledger_ops ledger_pg_ops;

/* The export document's format name (docs/ledger.md). */
#define LEDGER_EXPORT_FORMAT "sealkey-ledger-export/1"

/* PostgreSQL connections (issuer/ledger_pg_conn.c). A URI carrying a password is refused:
 * passwords come from PGPASSFILE or the service file. purpose goes into application_name,
 * so pg_stat_activity shows which station process holds what. */
int ledger_pg_connect(const char *uri, const char *purpose, void **conn, sk_err *e);

struct pg_conn;
struct pg_result;

/* One statement on a connection (struct pg_conn is libpq's PGconn, struct pg_result its
 * PGresult); n 0 uses the simple protocol, which allows several statements. On failure e
 * reads "ledger WHERE: WHAT: the server's first line", with fail_code (SK_ELEDGER whenever
 * the connection is gone), and state (if given) gets the SQLSTATE. On success *res (if res
 * is given) holds the result for the caller to PQclear. */
int ledger_pg_exec(struct pg_conn *c, const char *where, const char *sql, int n,
                   const char *const *p, struct pg_result **res, char *state, int fail_code,
                   const char *what, sk_err *e);

/* Import an export document into the shared ledger on conn (issuer/ledger_pg_import.c);
 * where names the ledger in messages. See ledger_import. */
int ledger_pg_import(void *conn, const char *where, const char *json, size_t len,
                     const char *origin, ledger_import_counts *counts, sk_err *e);

/* The audit log of stations on a shared ledger (issuer/ledger_pg_audit.c), for
 * issuer/audit.c, which makes and checks the records. append: under the station's head row
 * lock, build is handed the next seq, the previous hash and the database time, and returns
 * the record's line and hash, which are stored with the new head in one transaction. */
int ledger_pg_audit_append(const char *uri, const char *station, ledger_audit_build_fn build,
                           void *arg, sk_err *e);
/* The same on an open connection (the ledger's). */
int ledger_pg_audit_append_conn(void *conn, const char *uri, const char *station,
                                ledger_audit_build_fn build, void *arg, sk_err *e);
/* Every record (of one station, or of all when station is NULL) by station then seq, then
 * every head, from one snapshot. A non-zero return from a callback stops and is returned. */
typedef int (*ledger_pg_audit_row_fn)(void *arg, const char *station, unsigned long long seq,
                                      const char *record);
typedef int (*ledger_pg_audit_head_fn)(void *arg, const char *station, unsigned long long seq,
                                       const char *hash);
int ledger_pg_audit_read(const char *uri, const char *station, ledger_pg_audit_row_fn row,
                         ledger_pg_audit_head_fn head, void *arg, sk_err *e);

#endif
