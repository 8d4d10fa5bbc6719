/* Inside the ledger: what the files of its rules (issuer/records/ledger.c, ledger_issuance.c,
 * ledger_read.c, ledger_move.c, ledger_audit.c) share. Not for use outside issuer/ledger*. */
#ifndef SK_LEDGER_INT_H
#define SK_LEDGER_INT_H

#include <stddef.h>

#include "issuer/records/ledger.h"
#include "issuer/records/ledger_driver.h"

#define LEDGER_MAX_CLAIMS 8

/* The export document's format name (docs/ledger.md). */
#define LEDGER_EXPORT_FORMAT "sealkey-ledger-export/1"

struct ledger_claim {
    char order[64];
    void *hold; /* the driver's; NULL when the slot is free */
};

struct ledger {
    const struct ledger_driver *drv;
    struct ledger_db *db;
    char where[1024]; /* the location as given, for messages */
    struct ledger_claim claims[LEDGER_MAX_CLAIMS];
};

/* Parameters: ledger_sql(l, "... WHERE id = ? AND step = ?", LEDGER_ARGS(LI(id), LT(s)), ...).
 * LT(NULL) is SQL NULL. */
#define LT(s) ((ledger_param){.kind = (s) != NULL ? LEDGER_P_TEXT : LEDGER_P_NULL, .text = (s)})
#define LI(x) ((ledger_param){.kind = LEDGER_P_INT, .num = (x)})
#define LEDGER_ARGS(...)                                                                     \
    (const ledger_param[]){__VA_ARGS__},                                                     \
        (int)(sizeof((const ledger_param[]){__VA_ARGS__}) / sizeof(ledger_param))
#define LEDGER_NO_ARGS NULL, 0

/* Connect to a ledger by its location, nothing about the schema (ledger.c). */
int ledger_connect(const char *where, const struct ledger_driver *drv, const char *purpose,
                   ledger **out, sk_err *e);

/* One statement in the rules' SQL (issuer/records/ledger_driver.h: '?' and the {words}), rewritten
 * for l's driver and run. res (if given) gets the rows, for ledger_done; failed (if given)
 * says how it failed. */
int ledger_sql(ledger *l, const char *sql, const ledger_param *p, int n, const char *what,
               struct ledger_result **res, ledger_failure *failed, sk_err *e);
void ledger_done(ledger *l, struct ledger_result *r);

/* Transactions on l's connection. ledger_tx_end ends the one begun: it commits when ret is
 * SK_OK and rolls back otherwise, and returns ret or the commit's failure. */
int ledger_tx_begin(ledger *l, ledger_tx tx, const char *what, sk_err *e);
int ledger_tx_end(ledger *l, int ret, sk_err *e);
void ledger_tx_rollback(ledger *l);

/* Reading results. */
int ledger_rows(ledger *l, const struct ledger_result *r);
const char *ledger_text(ledger *l, const struct ledger_result *r, int row, int col);
long long ledger_num(ledger *l, const struct ledger_result *r, int row, int col);
ledger_col ledger_kind(ledger *l, const struct ledger_result *r, int row, int col);
/* Copy a column's text into buf (cut at len - 1). */
void ledger_copy(ledger *l, const struct ledger_result *r, int row, int col, char *buf,
                 size_t len);

/* The columns of ledger_issuance, in order, from the table issuances (ledger_read.c). */
#define LEDGER_ISSUANCE_COLUMNS                                                              \
    "id, order_number, step, station_id, operator, key_alg, issuer_id, cert_serial, "        \
    "token_label, token_serial, key_id, not_before, not_after, started_at, updated_at, "     \
    "error, COALESCE(CAST(reissue_of AS TEXT), ''), waybill, revoked_at, revocation_reason, " \
    "COALESCE((SELECT max(at) FROM issuance_steps s WHERE s.issuance_id = issuances.id"      \
    " AND s.step = 'verified'), '')"

/* The same columns with the encryption certificate's serial (migration 7) as cert_serial. */
#define LEDGER_ISSUANCE_ENC_COLUMNS                                                          \
    "id, order_number, step, station_id, operator, key_alg, issuer_id, enc_cert_serial, "    \
    "token_label, token_serial, key_id, not_before, not_after, started_at, updated_at, "     \
    "error, COALESCE(CAST(reissue_of AS TEXT), ''), waybill, revoked_at, revocation_reason, " \
    "COALESCE((SELECT max(at) FROM issuance_steps s WHERE s.issuance_id = issuances.id"      \
    " AND s.step = 'verified'), '')"

/* Every row of a statement selecting LEDGER_ISSUANCE_COLUMNS, as issuances (heap). */
int ledger_issuances(ledger *l, const char *sql, const ledger_param *p, int n, const char *what,
                     ledger_issuance **out, size_t *cnt, sk_err *e);

#endif
