/* The station configuration: station.json in the station directory.
 * Every field is documented in docs/station.md. Secrets are never stored here in clear:
 * the config names where they come from (util/sk_secret.h source specs). */
#ifndef SK_STATION_H
#define SK_STATION_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sk_err.h"
#include "util/sk_keyalg.h"

/* A certificate and seal profile: one per project the station produces for. */
typedef struct station_project {
    char *code;            /* "GCJS": what orders name in project_code */
    char *name;            /* human name, e.g. 工程建设项目审批 */
    sk_keyalg key_alg;     /* key pair generated on the token (default ec-p256) */
    int validity_days;     /* organisation certificate validity (default 365) */
    char *crl_url;         /* CRL distribution point URI, or NULL */
    char *ca_issuers_url;  /* AIA caIssuers URI, or NULL */
    char *ocsp_url;        /* AIA OCSP URI, or NULL */
    char *province;        /* subject ST, or NULL */
    char *locality;        /* subject L, or NULL */
    int official_seal_mm;  /* round official seal diameter, 38-45 (default 40) */
    int legal_rep_seal_mm; /* square legal-representative seal side, 18-22 (default 20) */
} station_project;

/* A card reader of the station and the token it stands for (station mode, docs/station-mode.md):
 * a reader name or name prefix, and "reader" (the token in the module's slot named after the
 * reader: its slot description, as OpenSC names slots), an RFC 7512 "pkcs11:" URI without
 * slot-id (slot IDs change as tokens come and go), or "blank" (the first uninitialised token
 * of the module, for readers whose cards are not the tokens themselves). */
typedef struct station_reader {
    char *name;
    char *token;
} station_reader;

/* Time limits of one issuance in a batch or station run, in seconds (0: none). step[s] holds
 * the time from the previous step's ledger record (or the worker's start) to the record of
 * step s (ISS_RESERVED .. ISS_VERIFIED of issuer/records/ledger.h), so a token that hangs in key
 * generation is stopped at its own limit, not only at the whole order's. */
#define STATION_STEPS 7
typedef struct station_timeouts {
    int order;                /* default 600 */
    int step[STATION_STEPS];  /* default 0 */
} station_timeouts;

typedef struct station_config {
    char *dir;            /* the station directory, as given */
    char *station_id;     /* "JX-NC-01", recorded in the ledger and audit */
    char *pkcs11_module;  /* module for the tokens being issued: p11-kit name or path; NULL:
                             p11-kit's default (pkcs11/tok.h, tok_module_open) */
    char *ledger;         /* ledger file relative to dir (default "ledger.sqlite") */
    char *out_dir;        /* per-order outputs relative to dir (default "out") */

    /* CA */
    sk_keyalg ca_key_alg; /* default ec-p256 */
    char *ca_name;        /* CA subject O and CN stem (default "sealkey Demo CA") */
    char *ca_name_zh;     /* the CA's Chinese name, printed on the forms, or NULL (ca_name) */
    char *ca_key_uri;     /* RFC 7512 URI of an HSM-held issuing CA key, or NULL for a file */
    char *ca_pkcs11_module; /* module for ca_key_uri (default pkcs11_module) */
    char *ca_passphrase;  /* secret source for the CA key file passphrase or HSM PIN
                             (default "prompt") */
    char *ca_root_crl_url; /* URL of the root CRL: the issuing CA certificate's CRL
                              distribution point (set at ca init), or NULL */
    bool ca_external;     /* ca.signing "external": the CA's own system signs the token
                             certificates from exported requests (docs/pki.md) */

    /* SKF tokens (issue 15, docs/skf.md): "token_api": "skf" issues onto the devices of a
     * vendor's GM/T 0016 library instead of the PKCS#11 module's tokens. */
    bool token_skf;       /* token_api "skf" (default "pkcs11") */
    char *skf_library;    /* path of the vendor's SKF library (required with skf) */
    char *skf_auth_key;   /* secret source of the 16-byte device authentication key (skf) */
    int so_pin_retries;   /* pin_policy.so_pin_retries: SKF application retry counts */
    int user_pin_retries; /* pin_policy.user_pin_retries */
    char *kmc_dir;        /* kmc.escrow_dir: the KMC stand-in's directory (skf), or NULL */
    char *kmc_secret;     /* kmc.escrow_secret: secret source of its escrow secret */

    /* PIN policy */
    char *so_pin;         /* secret source of the SO PIN set on tokens (required) */
    int user_pin_min;     /* random user PIN length range, digits (default 6..8) */
    int user_pin_max;
    bool print_user_pin;  /* may the PIN mailer be printed on the delivery note (default false) */

    station_project *projects;
    size_t n_projects;

    station_reader *readers; /* optional "readers" object, in file order */
    size_t n_readers;

    station_timeouts timeouts; /* optional "timeouts" object */

    /* The system log of batch and station runs (optional "log" object, util/sk_syslog.h) */
    int log_facility;     /* a LOG_* facility of <syslog.h> (default "daemon") */
    char *log_ident;      /* the identity the messages carry (default "sealkey") */
    char *log_socket;     /* the log's Unix datagram socket (default "/dev/log") */
    bool log_socket_set;  /* log.socket given: a log that is not there is worth a warning */
} station_config;

/* Load DIR/station.json. Unknown fields, wrong types and out-of-range values are refused
 * with a message naming station.json and the field. So is a station another local user could
 * change (station_check_trust), and a station.json that is a symbolic link or not a regular
 * file. */
int station_load(const char *dir, station_config **out, sk_err *e);

/* Refuse (SK_EINPUT) a station whose directory, PKCS#11 modules (named by a path), file:
 * secret sources, CA directory and files, audit log or SQLite ledger could be changed by a
 * user other than the invoking one or root: owned by another user, or writable by group or
 * others, they or a directory above them (util/sk_trust.h; docs/station.md). Absent files
 * pass; the directories that would hold them count. station_load calls it. */
int station_check_trust(const station_config *st, sk_err *e);
void station_free(station_config *st);

/* The project with this code, or NULL. */
const station_project *station_project_find(const station_config *st, const char *code);

/* The reader entry for a reader name: an exact name, else the longest name that is a prefix
 * of it; NULL if none. */
const station_reader *station_reader_find(const station_config *st, const char *reader);

/* The token URI a worker issues onto when a token is inserted into the reader called
 * reader_name, which r maps: NULL for "blank", r's URI, or for "reader" a URI selecting the
 * slot whose description is the reader's name (its first 64 bytes, as PKCS#11 holds it),
 * built in buf. */
int station_reader_uri(const station_reader *r, const char *reader_name, char *buf,
                       size_t buflen, const char **uri, sk_err *e);

/* Resolve a path from the config against the station directory into buf. */
int station_path(const station_config *st, const char *rel, char *buf, size_t buflen, sk_err *e);

/* The order's output directory <out_dir>/<order_number> into buf, created (0755) if absent.
 * Refused if out_dir or the order's directory is a symbolic link or not a directory. */
int station_order_dir(const station_config *st, const char *order_number, char *buf,
                      size_t buflen, sk_err *e);

#endif
