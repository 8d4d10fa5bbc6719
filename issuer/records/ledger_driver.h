/* What the ledger's rules (issuer/ledger*.c) need of a database: a connection, transactions
 * with the locking the database needs, statements with parameters and their rows, the
 * schema version, and claims. A driver (issuer/records/ledger_sqlite.c, issuer/records/ledger_pg.c)
 * holds no rule of the ledger: every decision of issuer/records/ledger.h (which step may follow
 * which, one issuance in flight per order, serials, revocation, claims' meaning) is written once
 * above it, in SQL both databases run.
 *
 * The SQL the rules hand to ledger_sql (issuer/records/ledger_int.h) uses '?' for each parameter
 * and these words for what the two dialects spell differently; ledger_sql rewrites them with the
 * driver's dialect below before the driver sees the statement:
 *   {now}           the database's time, ISO 8601 UTC text (2026-11-25T09:30:00Z)
 *   {for_update}    after a SELECT in a write transaction: lock the rows read
 *   {insert_order}  the column that orders a history table's rows as they were inserted
 * Both databases take "INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING" and "RETURNING". */
#ifndef SK_LEDGER_DRIVER_H
#define SK_LEDGER_DRIVER_H

#include <stdbool.h>

#include "issuer/records/ledger_migrations.h"
#include "util/sk_err.h"

struct ledger_db;     /* a driver's connection */
struct ledger_result; /* the rows of one statement */

typedef enum ledger_param_kind {
    LEDGER_P_NULL,
    LEDGER_P_TEXT,
    LEDGER_P_INT,
} ledger_param_kind;

typedef struct ledger_param {
    ledger_param_kind kind;
    const char *text;
    long long num;
} ledger_param;

/* How a statement failed: the rules tell a clash (a unique key taken: another station's
 * serial, a second issuance in flight) from a database failure. */
typedef enum ledger_failure {
    LEDGER_FAILED,
    LEDGER_UNIQUE, /* a unique or primary key violated */
    LEDGER_LOST,   /* the connection is gone */
} ledger_failure;

typedef enum ledger_tx {
    /* Every write: SQLite takes the database's write lock at once (BEGIN IMMEDIATE), so two
     * writers never both read then write; PostgreSQL starts a transaction, and the rules
     * lock the rows they read ({for_update}) or a name (lock). */
    LEDGER_TX_WRITE,
    /* Reads that must agree with each other (an export, the audit log and its heads). */
    LEDGER_TX_SNAPSHOT,
} ledger_tx;

typedef enum ledger_col {
    LEDGER_COL_NULL,
    LEDGER_COL_INT,
    LEDGER_COL_TEXT, /* anything else, as text */
} ledger_col;

struct ledger_driver {
    const char *name; /* "sqlite", "postgresql": ledger_backend_name */
    /* A ledger shared by stations: created and migrated only by ledger init/migrate, holds
     * the stations' audit logs, takes imports. Otherwise a station's own file: created and
     * migrated on open, keeps audit anchors, is exported. */
    bool shared;

    /* The dialect: see the top of this file. */
    ledger_dialect migrations; /* which text of issuer/records/ledger_migrations.c it runs */
    bool numbered_params;      /* $1, $2, ... rather than ? */
    const char *now;
    const char *for_update;
    const char *insert_order;

    /* Connect (purpose names the connection to the server's activity view); nothing about
     * the schema. close takes NULL, and ends any transaction left open. */
    int (*open)(const char *where, const char *purpose, struct ledger_db **db, sk_err *e);
    void (*close)(struct ledger_db *db);

    /* The schema version (0 for an empty database), and setting it in a migration's
     * transaction; script runs several statements without parameters. */
    int (*version_get)(struct ledger_db *db, int *version, sk_err *e);
    int (*version_set)(struct ledger_db *db, int version, sk_err *e);
    int (*script)(struct ledger_db *db, const char *sql, const char *what, sk_err *e);

    /* Transactions. lock takes a lock on a name until the transaction ends, for rows that do
     * not exist yet (the next CRL number, the schema); a no-op where a write transaction
     * already holds the whole database. rollback never fails (nothing to undo is fine). */
    int (*begin)(struct ledger_db *db, ledger_tx tx, const char *what, sk_err *e);
    int (*commit)(struct ledger_db *db, sk_err *e);
    void (*rollback)(struct ledger_db *db);
    int (*lock)(struct ledger_db *db, const char *name, const char *what, sk_err *e);

    /* One statement in the driver's own dialect, run to the end. On failure: SK_ELEDGER with
     * e reading "ledger WHERE: WHAT: the database's message" and *failed (if given) saying
     * how. On success *res holds every row for result_free. */
    int (*exec)(struct ledger_db *db, const char *sql, const ledger_param *p, int n,
                const char *what, struct ledger_result **res, ledger_failure *failed,
                sk_err *e);

    /* A result's rows (0..rows-1) and columns. text is "" for NULL; int parses an integer
     * column. changes: the rows an INSERT, UPDATE or DELETE changed. */
    int (*rows)(const struct ledger_result *r);
    int (*cols)(const struct ledger_result *r);
    const char *(*col_name)(const struct ledger_result *r, int col);
    ledger_col (*kind)(const struct ledger_result *r, int row, int col);
    const char *(*text)(const struct ledger_result *r, int row, int col);
    long long (*num)(const struct ledger_result *r, int row, int col);
    long long (*changes)(const struct ledger_result *r);
    void (*result_free)(struct ledger_result *r);

    /* Claims: hold an order for this process, so that the hold dies with the process (an
     * flock on SQLite, a row lock in a session of its own on PostgreSQL). *got false and SK_OK
     * when someone else holds it; *hold is the driver's, for unclaim. */
    int (*claim)(struct ledger_db *db, const char *order_number, void **hold, bool *got,
                 sk_err *e);
    void (*unclaim)(struct ledger_db *db, void *hold);

    /* A consistent copy of the whole database at dest (a file, 0600, written atomically)
     * while others go on writing; with keep, a file already at dest stays and the copy is
     * dropped. NULL where the database has its own tools (PostgreSQL: pg_dump,
     * docs/ledger.md). */
    int (*backup)(struct ledger_db *db, const char *dest, bool keep, sk_err *e);
};

extern const struct ledger_driver ledger_sqlite_driver;
extern const struct ledger_driver ledger_pg_driver;

#endif
