/* The ledger schema's migrations, shared by every backend so that a SQLite ledger and the
 * shared PostgreSQL ledger have the same tables at the same version number. */
#ifndef SK_LEDGER_MIGRATIONS_H
#define SK_LEDGER_MIGRATIONS_H

#include <stddef.h>

typedef enum ledger_dialect {
    LEDGER_SQLITE,
    LEDGER_POSTGRES,
} ledger_dialect;

/* How many migrations there are: the schema version a fully migrated ledger has. */
size_t ledger_migrations_count(void);

/* The SQL (several statements) that brings the schema from version i to i + 1 (i counts
 * from 0) in a dialect. */
const char *ledger_migration_sql(size_t i, ledger_dialect d);

#endif
