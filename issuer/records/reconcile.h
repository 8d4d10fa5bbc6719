/* The lifecycle invariant, checked (`sealkey ledger reconcile`, docs/ledger.md): every
 * certificate the station's CA signed is live on exactly one verified issuance the ledger
 * knows, or revoked; every token that carries an order's label or one of the CA's
 * certificates is known to the ledger; the audit log ends where the ledger says it does.
 *
 * An issuance is LIVE when it is verified and not revoked (revoked_at empty), REVOKED when
 * revoked_at is set (what `sealkey crl` lists), unfinished from reserved to written. One ON
 * HOLD (verified, revoked as certificateHold) is accounted for like a revoked one and holds
 * its order's and its token's place like a live one.
 * Nothing here changes the ledger or a token: each problem is reported as a violation
 * naming the order, the certificate serial and the token serial, for the operator to act
 * on. */
#ifndef SK_RECONCILE_H
#define SK_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/records/audit.h"
#include "issuer/records/ledger.h"
#include "issuer/station/station.h"
#include "pkcs11/tok.h"
#include "util/sk_err.h"

typedef enum reconcile_kind {
    RECONCILE_SERIAL_UNACCOUNTED, /* a signed serial whose issuance is neither live nor revoked */
    RECONCILE_SERIAL_NOT_VOID,    /* a serial still 'reserved' while its issuance is over */
    RECONCILE_ORDER_TWO_LIVE,     /* an order with two live certificates */
    RECONCILE_TOKEN_TWO_LIVE,     /* one token serial holding two live issuances */
    RECONCILE_INTERRUPTED,        /* an unfinished issuance no running process holds */
    RECONCILE_TOKEN_UNKNOWN,      /* an order label or a CA certificate on a token the ledger
                                     does not hold there */
    RECONCILE_TOKEN_WIPED,        /* a live issuance's token lost its label or certificate */
    RECONCILE_TOKEN_UNREADABLE,   /* a token whose objects could not be listed */
    RECONCILE_AUDIT,              /* the audit log is damaged or disagrees with the ledger */
} reconcile_kind;

/* "serial_unaccounted", "serial_not_void", "order_two_live", "token_two_live",
 * "interrupted", "token_unknown", "token_wiped", "token_unreadable", "audit". */
const char *reconcile_kind_name(reconcile_kind k);

typedef struct reconcile_violation {
    reconcile_kind kind;
    char order[64];     /* "" when none applies */
    char serial[80];    /* certificate serial (hex), "" when none applies */
    char token[40];     /* token serial, "" when none applies */
    char message[768];  /* one line: what is wrong and what it means */
} reconcile_violation;

typedef struct reconcile_report {
    /* What was checked. */
    size_t issuances;
    size_t serials;       /* reserved serials */
    size_t signed_certs;  /* serials in state 'used' */
    size_t live;
    size_t revoked;       /* on the CRL for good (held ones not counted) */
    size_t held;          /* on hold: on the CRL as certificateHold, live again if released */
    size_t in_progress;   /* unfinished issuances a running process holds */
    bool tokens_checked;
    size_t tokens;        /* initialised tokens looked at */
    size_t audit_records;
    /* What is wrong, in the order found. */
    reconcile_violation *v;
    size_t n, cap;
} reconcile_report;

/* Check station st's ledger l (SQLite, or the shared ledger with every station's issuances),
 * the audit log of the sink opened on them (a shared ledger's: every station's) and, when
 * tokens is not NULL, every
 * initialised token of that module, reading only public objects (no PIN). To tell an
 * interrupted issuance from one being worked on, the claim of each unfinished order is
 * taken for a moment (ledger_claim) and released. SK_OK with the violations in *r, however
 * many; another status when the check itself could not be made (ledger, module, CA
 * certificate unreadable). Free *r with reconcile_report_free either way. */
int reconcile_run(const station_config *st, ledger *l, audit_sink *audit, tok_module *tokens,
                  reconcile_report *r, sk_err *e);
void reconcile_report_free(reconcile_report *r);

/* After reconcile_run on an SKF station (token_api "skf"): the SKF devices present, added to
 * r (tokens, tokens_checked, violations): a device labelled with an order must hold that
 * order's issuance in the ledger, and a live issuance's device, when present, must still be
 * labelled with its order and hold the application sealkey made. Certificates are not read
 * (they need the user PIN). */
struct skf_lib;
int reconcile_skf_devices(ledger *l, struct skf_lib *lib, reconcile_report *r, sk_err *e);

#endif
