/* The ledger: what the station has issued, step by step.
 *
 * Every issuance moves through steps, each written in its own transaction before the work
 * of the next step starts, so that a crash at any point leaves a record of how far it got:
 *
 *   reserved -> token_initialised -> key_generated -> cert_issued -> seals_made -> written
 *            -> verified -> revoked     (sealkey revoke)
 *                        -> superseded  (a reissue of the order reached verified)
 *                       \______________ any step ______________/
 *                                         -> failed (serial voided unless a certificate used it)
 *
 * Certificate serials are reserved in the same transaction that opens the issuance, under a
 * unique key (issuer, serial), and are never reused: a serial is 'reserved', then 'used' by
 * a signed certificate or 'void'.
 *
 * Every certificate signed is accounted for (docs/ledger.md, "Certificates"): its issuance
 * is LIVE when at step 'verified' with revoked_at "" (at most one per order), REVOKED when
 * revoked_at is set (whatever its step; every such issuance goes on the CRL), and an
 * issuance whose serial is 'used' ends either live or revoked: a failure after the
 * certificate was signed revokes it (cessationOfOperation), a reissue that reaches
 * 'verified' revokes the one it replaces (superseded, or the operator's reason). An order
 * has at most one issuance in flight (reserved .. written) and at most one verified.
 *
 * This header is the whole interface. The rules above are written once (issuer/records/ledger.c,
 * ledger_issuance.c, ledger_read.c, ledger_move.c, ledger_audit.c) over a driver
 * (issuer/records/ledger_driver.h) that ledger.c picks by the ledger's location: ledger_sqlite.c,
 * the embedded single-station default, or ledger_pg.c for a ledger shared by stations. */
#ifndef SK_LEDGER_H
#define SK_LEDGER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sk_err.h"

typedef struct ledger ledger;

typedef enum iss_step {
    ISS_RESERVED = 0,
    ISS_TOKEN_INITIALISED,
    ISS_KEY_GENERATED,
    ISS_CERT_ISSUED,
    ISS_SEALS_MADE,
    ISS_WRITTEN,
    ISS_VERIFIED,
    ISS_FAILED,
    ISS_SUPERSEDED, /* a verified issuance replaced by a reissue that was verified; revoked */
    ISS_REVOKED,    /* a verified issuance whose certificate was revoked (lost, faulty token) */
    /* External signing (docs/pki.md): the token's key is made and its CSR exported; the
     * issuance waits, across restarts, for the certificate the CA's own system signs. In
     * the order of steps it comes between key_generated and cert_issued (ledger_step); it is
     * last here only so that the values of the others stay as they were. */
    ISS_AWAITING_CERT,
} iss_step;

const char *iss_step_name(iss_step s);
/* The step a name stands for, or -1. */
int ledger_step_from_name(const char *name);

typedef struct ledger_issuance {
    long long id;
    char order_number[64];
    iss_step step;
    char station_id[64];
    char operator_name[64];
    char key_alg[16];
    char issuer_id[64];      /* hex SKI of the issuing CA */
    char cert_serial[80];    /* hex */
    char token_label[40];
    char token_serial[40];
    char key_id[132];        /* hex CKA_ID */
    char not_before[32];     /* ISO 8601 UTC */
    char not_after[32];
    char started_at[32];
    char updated_at[32];
    char error[512];
    char reissue_of[24];     /* id of the issuance this one replaces, or "" */
    char waybill[64];        /* courier waybill of the parcel, "" until shipped */
    char revoked_at[32];     /* "" unless its certificate is revoked (then on the CRL) */
    char revocation_reason[32]; /* a CRL reason name (ca_revocation_reason) */
    char produced_at[32];    /* when it reached 'verified', "" if it never did */
} ledger_issuance;

/* The delivery note of an issuance is named after it: DN-000042. */
#define LEDGER_DELIVERY_NOTE_FMT "DN-%06lld"

/* Fields a step records; NULL leaves a field as it was. */
typedef struct ledger_update {
    const char *token_label;
    const char *token_serial;
    const char *key_id;
    const char *not_before;
    const char *not_after;
    const char *cert_pem;
    /* At ISS_VERIFIED of a reissue: the CRL reason for the replaced certificate (NULL:
     * "superseded"). */
    const char *revocation_reason;
    const char *csr_pem;     /* at ISS_AWAITING_CERT: the token-signed request (PEM) */
} ledger_update;

/* Open (creating and migrating as needed) the ledger at path. */
int ledger_open(const char *path, ledger **out, sk_err *e);
void ledger_free(ledger *l);

/* The most recent issuance of an order, failed ones included; *found false if none. */
int ledger_latest(ledger *l, const char *order_number, ledger_issuance *out, bool *found,
                  sk_err *e);

/* One issuance by id; *found false if there is none. */
int ledger_get(ledger *l, long long id, ledger_issuance *out, bool *found, sk_err *e);

/* The live issuance of an order (step 'verified', not revoked); *found false if none. */
int ledger_live(ledger *l, const char *order_number, ledger_issuance *out, bool *found,
                sk_err *e);

/* The live issuance whose token has this serial, the latest if (by an old mistake) there are
 * several; *found false if the ledger holds no live certificate on that token. A certificate
 * on hold counts as live here: the token is still its order's, and a release makes it live
 * again. */
int ledger_token_live(ledger *l, const char *token_serial, ledger_issuance *out, bool *found,
                      sk_err *e);

/* The latest issuance of any step and any order recorded on the token with this serial;
 * *found false if the ledger has never recorded that token (or the serial is empty). */
int ledger_token_latest(ledger *l, const char *token_serial, ledger_issuance *out, bool *found,
                        sk_err *e);

/* Open an issuance at step 'reserved' and reserve its certificate serial (hex) in one
 * transaction. SK_ESTATE if the order has an issuance in flight, or a verified one that
 * reissue_of does not name; reissue_of must be the order's verified or revoked issuance
 * being replaced, and stays as it is until the new one is verified (ledger_step). A serial
 * collision returns SK_ESTATE with *serial_taken set so the caller draws another. */
int ledger_begin(ledger *l, const char *order_number, const char *station_id,
                 const char *operator_name, const char *key_alg, const char *issuer_id,
                 const char *cert_serial, long long reissue_of, long long *id, bool *serial_taken,
                 sk_err *e);

/* A dual-certificate (SM2, SKF) issuance at ISS_CERT_ISSUED: record its encryption
 * certificate, signed with serial (a new 'used' row of serials under issuance id, unique per
 * issuer: *serial_taken when another holds it) and its PEM. From then on the issuance's
 * revocation covers it: ledger_revoked lists it too. */
int ledger_enc_cert(ledger *l, long long id, const char *issuer_id, const char *serial,
                    const char *cert_pem, bool *serial_taken, sk_err *e);

/* Move an issuance to the next step, recording fields; at ISS_CERT_ISSUED the serial becomes
 * 'used'. Steps only move forward. At ISS_VERIFIED of a reissue, the issuance it replaces,
 * if still verified, becomes 'superseded' and revoked (u->revocation_reason, default
 * "superseded") in the same transaction. */
int ledger_step(ledger *l, long long id, iss_step step, const ledger_update *u, sk_err *e);

/* Mark an issuance in flight failed with the reason; its serial becomes 'void' unless a
 * certificate used it, in which case the certificate is revoked (cessationOfOperation) in
 * the same transaction, for the next CRL. An issuance already at a final step is left as it
 * is. */
int ledger_fail(ledger *l, long long id, const char *reason, sk_err *e);

/* All issuances (order_number NULL) or one order's, oldest first. */
int ledger_list(ledger *l, const char *order_number, ledger_issuance **out, size_t *n, sk_err *e);

/* The state of a reserved serial: "reserved", "used", "void", or "" if unknown. */
int ledger_serial_state(ledger *l, const char *issuer_id, const char *cert_serial, char *state,
                        size_t state_len, sk_err *e);

/* The certificate (PEM) recorded for an issuance, heap-allocated; NULL if none yet. */
int ledger_cert_pem(ledger *l, long long id, char **pem, sk_err *e);

/* The request (PEM) recorded for an issuance awaiting its certificate, heap-allocated;
 * NULL if none. */
int ledger_csr_pem(ledger *l, long long id, char **pem, sk_err *e);

/* Every issuance at step awaiting_certificate, oldest first. */
int ledger_awaiting(ledger *l, ledger_issuance **out, size_t *n, sk_err *e);

/* External signing: the certificate the CA's own system signed for an issuance awaiting it,
 * in one transaction: the issuance moves to cert_issued with the certificate (PEM), its
 * validity and serial (hex, as signed); the serial reserved when it began is void (never
 * used: the external CA chose its own), and the certificate's serial is recorded 'used'
 * under issuer_id. SK_ESTATE if the issuance is not awaiting its certificate, or the serial
 * is already in the ledger under that issuer. */
int ledger_external_cert(ledger *l, long long id, const char *issuer_id, const char *serial,
                         const char *not_before, const char *not_after, const char *cert_pem,
                         sk_err *e);

/* Record the courier waybill of an order's issued token. SK_ESTATE if not issued. */
int ledger_set_waybill(ledger *l, const char *order_number, const char *waybill, sk_err *e);

/* Revoke, with a CRL reason name, every certificate of an order that is not revoked yet:
 * the verified issuance (step -> revoked) and any superseded or failed one whose serial is
 * 'used' (step kept), in one transaction. *revoked (heap, oldest first) gets them as they
 * are now. SK_ESTATE if there is none. Issuances in flight are left to the run that closes
 * them (ledger_fail). */
int ledger_revoke(ledger *l, const char *order_number, const char *reason,
                  ledger_issuance **revoked, size_t *n, sk_err *e);

/* Every revoked issuance under an issuing CA, oldest revocation first (for the CRL). */
int ledger_revoked(ledger *l, const char *issuer_id, ledger_issuance **out, size_t *n, sk_err *e);

/* Take the next CRL number for an issuer (1, 2, ...), recorded so it never repeats. */
int ledger_next_crl_number(ledger *l, const char *issuer_id, long long *number, sk_err *e);

/* Claim an order for this process before working on it, so that two processes (or, on a
 * shared ledger, two stations) never work on one order at once. The claim dies with the
 * process (or its database session), so a crashed worker never blocks an order. *got is
 * false when someone else holds it. */
int ledger_claim(ledger *l, const char *order_number, bool *got, sk_err *e);
void ledger_release(ledger *l, const char *order_number);

/* The schema. A ledger's version counts the migrations applied to it; both backends run
 * the same list (issuer/records/ledger_migrations.c). */
int ledger_schema_latest(void);
int ledger_schema_version(ledger *l, int *version, sk_err *e);
/* "sqlite" or "postgresql". */
const char *ledger_backend_name(const ledger *l);
/* Whether a ledger location names a shared database ("postgresql://...") rather than a file. */
bool ledger_is_shared(const char *where);

/* Create the schema of a new ledger (SK_ESTATE if it has one). ledger_open on a SQLite file
 * does this by itself; a shared ledger must be created by init before stations use it. */
int ledger_init(const char *where, int *version, sk_err *e);
/* Bring a ledger to the latest schema; *from is the version it had, *to the one it has.
 * A SQLite ledger with a schema to migrate is first copied (ledger_backup) to the path
 * ledger_migration_backup_path names, so that a migration gone wrong can be undone; this
 * holds for the migration ledger_open does by itself too. A shared ledger is backed up by
 * its database's tools before `ledger migrate` (docs/ledger.md, "Backups"). */
int ledger_migrate(const char *where, int *from, int *to, sk_err *e);
/* Where the copy of a SQLite ledger at where, taken before migrating it from version, goes:
 * "<where>.v<version>.bak" beside it (a copy already there is kept: remove it once the
 * migrated ledger has proved itself). */
int ledger_migration_backup_path(const char *where, int version, char *buf, size_t len,
                                 sk_err *e);

/* A consistent copy of a SQLite ledger at dest (a file, 0600, written atomically) while
 * stations go on writing (SQLite's online backup API). SK_ESTATE for a shared ledger, which
 * is backed up with pg_dump (docs/ledger.md, "Backups"). */
int ledger_backup(ledger *l, const char *dest, sk_err *e);

/* Moving a station's ledger into a shared one (docs/ledger.md): export writes the whole
 * history (issuances with their certificates, steps, serials, seals, CRL numbers) as a JSON
 * document, heap-allocated; import adds such a document, and any audit records under its
 * "audit" key, in one transaction. Imported issuances get new ids and keep the old one in
 * origin ("<origin>:<id>"); importing the same origin twice is SK_ESTATE, as is any clash
 * (an order live on both, a serial reserved on both). */
typedef struct ledger_import_counts {
    size_t issuances, steps, serials, seals, crls, audit_records;
    size_t token_events; /* schema 7 */
} ledger_import_counts;
int ledger_export(ledger *l, char **json, sk_err *e);
int ledger_import(ledger *l, const char *json, size_t len, const char *origin,
                  ledger_import_counts *counts, sk_err *e);

/* For issuer/records/audit_shared.c: append one record to a station's audit log in a shared ledger
 * over this ledger's own connection, in a transaction of its own. Under the station's head row
 * lock, build is handed the next seq, the previous record's hash and the database time, and
 * returns the record's line (heap) and hash (65 bytes). SK_ESTATE on a SQLite ledger, whose
 * stations keep their log in their directory. */
typedef int (*ledger_audit_build_fn)(void *arg, unsigned long long seq, const char *prev,
                                     const char *now, char **line, char *hash, sk_err *e);
int ledger_audit_append(ledger *l, const char *station, ledger_audit_build_fn build, void *arg,
                        sk_err *e);

/* The audit log's anchor (docs/audit.md): after each record appended to a station's file log
 * (audit.log), issuer/records/audit_file.c records the station's last seq and hash (64 hex
 * digits) here, so that a log deleted or cut together with its audit.head is told from an empty
 * one. Only a SQLite ledger keeps anchors: a shared ledger holds the audit log itself, with its
 * audit_heads in the same transaction (SK_ESTATE there). *found is false when the ledger
 * holds no anchor for the station (a new station, or a log older than the anchor). */
int ledger_audit_anchor_set(ledger *l, const char *station, unsigned long long seq,
                            const char *hash, sk_err *e);
int ledger_audit_anchor_get(ledger *l, const char *station, unsigned long long *seq, char *hash,
                            size_t hash_len, bool *found, sk_err *e);

/* For the reconcile check (issuer/records/reconcile.h). */
typedef struct ledger_serial {
    char issuer_id[64];
    char serial[80];         /* hex, as reserved */
    char state[16];          /* "reserved", "used" (a certificate carries it) or "void" */
    long long issuance_id;
} ledger_serial;

/* Every certificate serial ever reserved, in the order of their issuances. */
int ledger_serials(ledger *l, ledger_serial **out, size_t *n, sk_err *e);

/* How many issuances of each station carry a signed certificate. Each of them appended to
 * its station's audit log before the certificate was signed, so such a station's log cannot
 * be empty. Stations with none are left out. */
typedef struct ledger_station_certs {
    char station_id[64];
    size_t certs;
} ledger_station_certs;
int ledger_certs_by_station(ledger *l, ledger_station_certs **out, size_t *n, sk_err *e);

/* An electronic seal made for an issuance (or by `sealkey seal make` for an issued order).
 * esIDs are unique across the ledger. */
typedef struct ledger_seal {
    char es_id[64];
    long long issuance_id;
    char order_number[64];
    char kind[16];        /* "official" | "legal-rep" */
    char sha256[65];      /* hex of the seal file's bytes */
    char created_at[32];
} ledger_seal;

/* Record a seal; SK_ESTATE if the esID is already in the ledger. */
int ledger_seal_add(ledger *l, long long issuance_id, const char *order_number, const char *kind,
                    const char *es_id, const char *sha256_hex, sk_err *e);

/* The seals of one issuance, oldest first. */
int ledger_seal_list(ledger *l, long long issuance_id, ledger_seal **out, size_t *n, sk_err *e);

/* The token service (`sealkey token`, docs/ledger.md "Tokens after issuance").
 *
 * A HOLD is a revocation that can be lifted: the verified issuance keeps its step, gets
 * revoked_at and revocation_reason LEDGER_HOLD_REASON, so the CRL lists it as
 * certificateHold; a release clears both and the next CRL leaves it out. A revocation of a
 * held certificate (ledger_revoke) makes it final (step 'revoked', the new reason), keeping
 * the hold's time. Each hold, release, loss and PIN unblock is also a row of token_events. */
#define LEDGER_HOLD_REASON "certificateHold"

/* On hold: verified, revoked_at set, reason LEDGER_HOLD_REASON. */
bool ledger_issuance_held(const ledger_issuance *i);

/* The order's verified issuance, live or on hold; *found false if none. */
int ledger_current(ledger *l, const char *order_number, ledger_issuance *out, bool *found,
                   sk_err *e);

typedef struct ledger_token_event {
    long long id;
    char token_serial[40];
    char order_number[64];
    long long issuance_id;   /* 0 when none */
    char event[16];          /* "held", "released", "lost", "unblocked" */
    char station_id[64];
    char operator_name[64];
    char at[32];
    char detail[256];
} ledger_token_event;

/* Put the order's live certificate on hold (SK_ESTATE if it has none, or it is on hold
 * already), or release its hold (SK_ESTATE if it is not on hold), with the event row
 * (station, operator, detail), in one transaction. *out gets the issuance as it is now. */
int ledger_hold(ledger *l, const char *order_number, const char *station_id,
                const char *operator_name, const char *detail, ledger_issuance *out, sk_err *e);
int ledger_hold_lift(ledger *l, const char *order_number, const char *station_id,
                     const char *operator_name, const char *detail, ledger_issuance *out,
                     sk_err *e);

/* Record an event of a token (ev->id and ev->at are filled in). */
int ledger_token_event_add(ledger *l, ledger_token_event *ev, sk_err *e);

/* A token's events, oldest first (heap, NULL when none). */
int ledger_token_events(ledger *l, const char *token_serial, ledger_token_event **out,
                        size_t *n, sk_err *e);

#endif
