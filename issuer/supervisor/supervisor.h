/* The supervisor: issuances in worker processes, for `sealkey batch` and `sealkey station`.
 *
 * Each order runs in a worker of its own (a fork), so one order's crash or hung token cannot
 * take the others down. A worker tells its supervisor over a pipe each step the ledger
 * records, then its typed result (issuer/supervisor/sup_wire.h). The supervisor holds every worker
 * to the time limits of station.json "timeouts" (the whole order, and each step from the one
 * before), stops one that overruns (SIGKILL: the ledger keeps the step it reached and the
 * next run resumes on its token), and decides by one retry policy what becomes of an order
 * that failed. Two drivers feed it: a batch reads the order file as a stream (sup_batch_*),
 * a station waits for tokens in its card readers (sup_station_*, pkcs11/pcsc_watch.h).
 *
 * Nothing here prints: what happens is reported through the caller's sup_event_fn. Workers
 * never call it; each wipes and frees what it inherited (the secrets, the station config,
 * the orders, the other workers' pipes) the same way before it exits. */
#ifndef SK_SUPERVISOR_H
#define SK_SUPERVISOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "issuer/supervisor/sup_wire.h"
#include "util/sk_secret.h"

typedef struct sup sup;

/* What became of an order. */
typedef enum sup_outcome {
    SUP_PENDING,     /* not settled yet */
    SUP_ISSUED,      /* a worker issued it */
    SUP_DONE_BEFORE, /* the ledger holds it as issued: by an earlier run, or (from a worker)
                        by another process meanwhile */
    SUP_INVALID,     /* the order has a problem: no worker ran */
    SUP_FAILED,      /* the worker failed, or was stopped at a time limit */
    SUP_ELSEWHERE,   /* another process or station holds the order's claim */
    SUP_STOPPED,     /* the supervisor stopped it (a pulled token, a stop request) */
} sup_outcome;

typedef struct sup_report {
    char order[64];       /* the order's label (order_label) */
    sup_outcome outcome;
    bool limit;           /* SUP_FAILED at a time limit: result.message names the limit */
    double seconds;       /* the worker's run; 0 when no worker ran */
    sup_result result;    /* status (SK_EINPUT when INVALID, SK_EBUSY when ELSEWHERE, SK_ETOKEN
                             at a time limit), message, serials and seals */
} sup_report;

/* What the supervisor does with an order next (the retry policy's verdict). */
typedef enum sup_next {
    SUP_NEXT_DONE,    /* settled: issued, or left to whoever holds it */
    SUP_NEXT_DROPPED, /* given up: bad input, or failed as often as the policy allows */
    SUP_NEXT_BACK,    /* to the back of the queue, for another token */
    SUP_NEXT_FRONT,   /* to the front of the queue: stopped half-way, resumed first */
} sup_next;

/* Why a station took no order for a token inserted into a reader. */
typedef enum sup_ignore {
    SUP_IGNORE_STOPPING, /* the reader's last worker (ev->order) is still being stopped */
    SUP_IGNORE_DRAINING, /* the station is stopping */
    SUP_IGNORE_NO_ORDER, /* the queue is empty */
} sup_ignore;

/* Why a station stops taking tokens. */
typedef enum sup_stop {
    SUP_STOP_TIMEOUT,    /* its --timeout struck; the running orders are stopped too */
    SUP_STOP_ASKED,      /* a first stop request: the running orders finish */
    SUP_STOP_MAX_ORDERS, /* --max-orders orders issued */
} sup_stop;

typedef enum sup_event_kind {
    SUP_EV_NOT_QUEUED,     /* planning leaves out an order with a problem: message */
    SUP_EV_PLANNED,        /* station: queue built: queued, done, bad */
    SUP_EV_WATCHING,       /* station: the readers are being watched */
    SUP_EV_READER_ADDED,   /* reader; token: its station.json mapping, NULL when it has none */
    SUP_EV_READER_REMOVED, /* reader */
    SUP_EV_TOKEN_IGNORED,  /* a token inserted into reader was not used: why (and order) */
    SUP_EV_TOKEN_REMOVED,  /* a token left an idle mapped reader, or left it while its
                              worker was ending (after that worker's SETTLED) */
    SUP_EV_STARTED,        /* a worker took order (at reader, for a station) */
    SUP_EV_STEP,           /* order's worker recorded step in the ledger */
    SUP_EV_LIMIT,          /* order's worker overran the time limit message names and is
                              being stopped (SIGKILL); SETTLED follows */
    SUP_EV_PULLED,         /* order's token was pulled from reader; its worker is stopped */
    SUP_EV_SETTLED,        /* report: what became of order; next: what the station does with it;
                              pulled: its token had been pulled */
    SUP_EV_STOPPING,       /* station: stop, with running workers still running */
} sup_event_kind;

typedef struct sup_event {
    sup_event_kind kind;
    const char *order;          /* the order's label, where the event concerns one */
    const char *reader;         /* station: the reader; NULL for a batch */
    const char *message;        /* NOT_QUEUED: the problem; LIMIT: the limit */
    const char *token;          /* READER_ADDED */
    iss_step step;              /* STEP */
    const sup_report *report;   /* LIMIT, SETTLED */
    sup_next next;              /* SETTLED */
    bool pulled;                /* SETTLED */
    sup_ignore why;             /* TOKEN_IGNORED */
    sup_stop stop;              /* STOPPING */
    size_t running;             /* STOPPING: workers still running */
    size_t queued, done, bad;   /* PLANNED: in the queue, issued before, left out */
    size_t awaiting;            /* PLANNED: left out, waiting for their certificate */
    size_t issued;              /* STOPPING: orders issued so far */
} sup_event;

typedef void (*sup_event_fn)(void *ctx, const sup_event *ev);

typedef struct sup_config {
    const char *operator_name; /* for the ledger and the audit log; must outlive the sup */
    long order_timeout;        /* > 0: the whole-order limit (--order-timeout), over
                                  timeouts.order */
    sup_event_fn on_event;
    void *ctx;
} sup_config;

/* A supervisor for the station st, which it takes over: freed by sup_free (and by
 * sup_new itself on failure). */
int sup_new(station_config *st, const sup_config *cfg, sup **out, sk_err *e);
/* Stops (SIGKILL) and reaps any worker still running, wipes the secrets, frees the rest. */
void sup_free(sup *s);
const station_config *sup_station_config(const sup *s);

/* The two secrets every worker needs, in the supervisor's locked memory (util/sk_secmem.h).
 * The caller reads them straight into it, so no other copy is inherited by the workers;
 * sup_free wipes them, as does each worker once its issuance is done. */
typedef struct sup_secrets {
    char so_pin[SK_SECRET_MAX];
    char ca_secret[SK_SECRET_MAX];
} sup_secrets;
int sup_secrets_room(sup *s, sup_secrets **room, sk_err *e);

/* Batch: the order file at path, read through once and checked whole (a file that breaks
 * off halfway is refused before any token is touched); only order numbers are kept, so
 * memory does not grow with the file. *total: how many orders it holds. */
int sup_batch_open(sup *s, const char *path, size_t *total, sk_err *e);
/* Batch --dry-run: judge every order against the ledger, touching no token and no secret.
 * Each order with a problem is reported (NOT_QUEUED); the counts are what a run would do. */
int sup_batch_dry_run(sup *s, size_t *todo, size_t *done, size_t *bad, sk_err *e);
/* Batch: every order of the file, in order, jobs workers at once. Each order is SETTLED
 * once: orders with problems as INVALID, those the ledger holds as issued as DONE_BEFORE
 * (seconds 0), the rest by their worker. Needs the secrets (sup_secrets_room). An order
 * that fails is not retried: the next run resumes it. */
int sup_batch_run(sup *s, size_t jobs, sk_err *e);

/* Station: the queue, from the orders of f (taken over, like st) and the ledger. problems[i]
 * is order i's first problem or NULL; those with one are left out (NOT_QUEUED), those the
 * ledger holds as issued are skipped, and so are those waiting for their certificate
 * (external signing: counted in PLANNED's awaiting), those it holds half-made come first (their tokens are
 * reconciled before new ones are taken), then the rest in file order (PLANNED). */
int sup_station_plan(sup *s, order_file *f, const char *const *problems, sk_err *e);

typedef struct sup_station_opts {
    long max_orders;     /* > 0: stop taking tokens after that many issued */
    long timeout;        /* > 0: stop everything after that many seconds */
    bool exit_when_done; /* stop when the queue is empty and no worker runs */
    /* How many times the operator asked to stop (the caller's SIGINT/SIGTERM handler counts):
     * once, take no new tokens and let the running orders finish; twice, stop them too. */
    const volatile sig_atomic_t *stop_requests;
} sup_station_opts;

typedef struct sup_station_counts {
    size_t issued, pulled, failed, left; /* left: still in the queue */
    size_t awaiting; /* external signing: waiting for their certificate (from the plan, and
                        keys made in this run); never counted as issued */
    bool timed_out;
} sup_station_counts;

/* Station: watch the readers and issue the next order of the queue onto each token inserted
 * into a reader station.json "readers" maps, until a stop rule of o ends it. A token pulled
 * during its issuance (out for over 2 s: shorter is a contact bounce) stops the worker
 * (SIGTERM, SIGKILL 5 s later) and puts the order at the front of the queue; a failed order
 * goes to the back, at most 3 tries, bad input none more. SK_ETOKEN when pcscd does not
 * answer. */
int sup_station_run(sup *s, const sup_station_opts *o, sup_station_counts *c, sk_err *e);

#endif
