/* The audit log of stations on a shared ledger, for issuer/records/audit_shared.c, which checks
 * the records (issuer/records/ledger_audit.c stores them). The ledger's rules and its drivers are
 * behind issuer/records/ledger.h and issuer/records/ledger_driver.h; this header is only the audit
 * store's way in by URI for reading, without a ledger opened. */
#ifndef SK_LEDGER_BACKEND_H
#define SK_LEDGER_BACKEND_H

#include "issuer/records/ledger.h"

/* Every record (of one station, or of all when station is NULL) by station then seq, then
 * every head, from one snapshot. A non-zero return from a callback stops and is returned. */
typedef int (*ledger_pg_audit_row_fn)(void *arg, const char *station, unsigned long long seq,
                                      const char *record);
typedef int (*ledger_pg_audit_head_fn)(void *arg, const char *station, unsigned long long seq,
                                       const char *hash);
int ledger_pg_audit_read(const char *uri, const char *station, ledger_pg_audit_row_fn row,
                         ledger_pg_audit_head_fn head, void *arg, sk_err *e);

#endif
