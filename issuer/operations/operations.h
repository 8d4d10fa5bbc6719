/* The station's operations beside the issuance: revoke, ship, ca init, crl, seal make and
 * ledger export. Each is one call that does the ledger, the files and the audit record
 * together, in the order that never leaves a file or a record the ledger does not know of:
 * the ledger first, then the files, then the audit record. They fill a result for the
 * caller to print, and print nothing. */
#ifndef SK_OPERATIONS_H
#define SK_OPERATIONS_H

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "issuer/records/audit.h"
#include "issuer/ca/ca.h"
#include "issuer/ca/ca_pki.h"
#include "issuer/issuance/issue_seal.h"
#include "issuer/records/ledger.h"
#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "pkcs11/tok.h"
#include "seal/sealmaker.h"
#include "util/sk_err.h"

/* What every operation works with; all owned by the caller. audit is the station's sink
 * (audit_sink_open_station on st and ledger), with the operator's name. */
typedef struct op_env {
    const station_config *st;
    ledger *ledger;
    audit_sink *audit;
} op_env;

/* revoke: every certificate of an order not revoked yet (ledger_revoke), each with its
 * audit record. reason: a name ca_revocation_reason takes (SK_EINPUT otherwise); SK_ESTATE
 * when there is nothing of the order to revoke. */
typedef struct op_revoke_result {
    const char *reason;       /* the RFC 5280 name recorded */
    ledger_issuance *revoked; /* heap, oldest first, as they are now */
    size_t n;
} op_revoke_result;
int op_revoke(const op_env *env, const char *order_number, const char *reason,
              op_revoke_result *r, sk_err *e);
void op_revoke_result_free(op_revoke_result *r);

/* ship: record the courier waybill of an issued order (SK_ESTATE if not issued). A waybill
 * is 8 to 32 characters of A-Z and 0-9; op_ship_check says so (SK_EINPUT) before anything
 * is opened, and op_ship checks it again. */
int op_ship_check(const char *waybill, sk_err *e);
int op_ship(const op_env *env, const char *order_number, const char *waybill, sk_err *e);

/* ca init: the station's CA hierarchy (ca_init), then its audit record. */
int op_ca_init(const op_env *env, const ca_init_opts *o, const char *ca_secret,
               tok_module *hsm, sk_err *e);

/* crl: the issuing CA's CRL with every revoked certificate in the ledger, and the root's
 * (empty) when root_key (ca_load_root_key) is given, each under a CRL number the ledger
 * never repeats; kept as PEM in ca/issuing.crl and ca/root.crl, published as DER and PEM
 * under the names the certificates' URLs end in; then the audit record. */
typedef struct op_crl_opts {
    int days;                /* next update, 1..366 */
    const char *out_path;    /* also write the issuing CA's CRL (PEM) here; NULL: not */
    const char *publish_dir; /* NULL: the station's crl/ */
} op_crl_opts;
typedef struct op_crl_result {
    long long number;      /* of the issuing CA's CRL */
    size_t n_revoked;
    bool root_crl;         /* false: no root key in the station, no root CRL */
    long long root_number;
    char publish_dir[PATH_MAX];
    ca_crl_names names;    /* the names published there */
} op_crl_result;
int op_crl(const op_env *env, ca *c, EVP_PKEY *root_key, const op_crl_opts *o,
           op_crl_result *r, sk_err *e);

/* seal make, in two calls so that the CA secret is read only once everything that can be
 * checked without it has been: op_seal_prepare finds the order's live certificate in the
 * ledger (SK_ESTATE if the order is not issued) and makes the picture (from the order's
 * scan, or png_path); op_seal_make signs the seal with the seal maker, records its esID,
 * writes the file (out_path, or out/ORDER/KIND-ESID.esl), mode 0644, and the audit record. */
typedef struct op_seal {
    const order *o;
    long long issuance_id;
    X509 *cert;
    issue_seal seal;
    char path[PATH_MAX]; /* where op_seal_make wrote it */
} op_seal;
int op_seal_prepare(const op_env *env, const order *o, const char *kind, const char *png_path,
                    op_seal *s, sk_err *e);
int op_seal_make(const op_env *env, op_seal *s, const sealmaker *maker, const char *out_path,
                 sk_err *e);
void op_seal_clear(op_seal *s);

/* ledger export: the whole ledger and the station's file log (checked first) as one JSON
 * document (docs/ledger.md), written to out_path (created, mode 0600, never over a file)
 * or, with out_path NULL, handed back in *text (heap) for the caller to print. */
typedef struct op_export_result {
    size_t issuances;
    size_t audit_records;
} op_export_result;
int op_ledger_export(const op_env *env, const char *out_path, char **text,
                     op_export_result *r, sk_err *e);

/* backup: a consistent copy of the station into dest, a new directory (0700, files 0600)
 * that appears by rename when complete, or a new archive if dest ends in ".tar": the SQLite ledger
 * (ledger_backup) copied under the audit log's lock together with audit.log and audit.head
 * (audit_copy_locked), so that the copy's audit anchor matches its log; the CA directory under
 * ca.lock; station.json. Never the secret files nor out/. A shared ledger (and its audit log) is
 * not copied: pg_dump (docs/ledger.md, "Backups"); ledger_copied says which. SK_ESTATE if dest
 * exists. */
typedef struct op_backup_result {
    bool archive;          /* dest ends in ".tar": one ustar file (0600), util/sk_tar.h */
    bool ledger_copied, audit_copied;
    char ledger_name[256]; /* the ledger's file name in dest */
    size_t ca_files;
} op_backup_result;
int op_backup(const op_env *env, const char *dest, op_backup_result *r, sk_err *e);
/* ocsp index: the revocation status of every certificate the issuing CA (ca/issuing.crt)
 * signed, from the ledger, in the index format `openssl ocsp -index` serves
 * (issuer/ca/ca_ocsp.h), written atomically, mode 0644, to out_path (NULL: the station's
 * ocsp/index.txt, path in r->path); then the audit record. Needs no CA secret: the responder
 * signs with its own key. */
typedef struct op_ocsp_result {
    size_t good, revoked;
    char path[PATH_MAX];
} op_ocsp_result;
int op_ocsp_index(const op_env *env, const char *out_path, op_ocsp_result *r, sk_err *e);

/* ca request / ca import (issuer/ca/ca_pki.h), each then its audit record (event ca_init,
 * its detail saying which: a log's event names never change, docs/audit.md). */
int op_ca_request(const op_env *env, sk_keyalg key_alg, const char *ca_secret, tok_module *hsm,
                  sk_err *e);
int op_ca_import(const op_env *env, const ca_import_files *f, const char *ca_secret,
                 tok_module *hsm, sk_err *e);

/* csr export (external signing, docs/pki.md): every request the ledger holds at
 * awaiting_certificate, as out_dir/ORDER.csr (PEM, signed by the token key), and
 * out_dir/manifest.json listing them (order, file, SHA-256 of the file, subject, token,
 * key algorithm), written atomically, mode 0644; out_dir NULL: the station's requests/.
 * Then the audit record. */
typedef struct op_csr_result {
    size_t n;
    char dir[PATH_MAX];
} op_csr_result;
int op_csr_export(const op_env *env, const char *out_dir, op_csr_result *r, sk_err *e);

#endif
