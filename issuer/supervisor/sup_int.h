/* Inside the supervisor: its state, its workers, and what its two drivers (sup_batch.c,
 * sup_station.c) share. Not for callers outside issuer/sup_*.c and their tests. */
#ifndef SK_SUP_INT_H
#define SK_SUP_INT_H

#include <sys/types.h>

#include "issuer/records/ledger.h"
#include "issuer/supervisor/supervisor.h"
#include "pkcs11/pcsc_watch.h"

/* A worker process, seen from its supervisor. */
typedef struct sup_worker {
    pid_t pid;                 /* 0: none */
    int fd;                    /* read end of its pipe, non-blocking; -1 once closed */
    unsigned char buf[SUP_WIRE_MAX]; /* frames read, not yet taken */
    size_t len;
    bool broken;               /* a frame was refused: the rest of the pipe is not read */
    char broken_msg[256];      /* why */
    bool have_result;
    sup_result result;
    double start, step_start;  /* sup_now() at its start and at its last step */
    int last_step;             /* last iss_step recorded, -1 for none */
    char limit[200];           /* the time limit that struck, "" for none */
    bool stopping;             /* SIGTERM sent (stop asked, token pulled); SIGKILL at stop_at */
    double stop_at;
    char order[64];            /* the order's label */
    size_t ref;                /* the driver's: the order's index in the station's file */
    const char *reader;        /* the station's reader, NULL in a batch */
} sup_worker;

/* A reader of a station and the worker issuing onto the token in it. */
typedef struct sup_reader {
    char name[PCSC_READER_NAME_MAX];
    sup_worker w;
    bool absent;               /* its token is out, since absent_at (debounce) */
    double absent_at;
    bool pulled;               /* stopped because its token was removed */
} sup_reader;

/* The order file as a batch reads it: through once to check it all, then again order by
 * order as workers free up. */
typedef struct sup_feed {
    order_stream *s;
    order_numbers numbers;     /* to refuse repeated order numbers without keeping the orders */
    size_t total;
    const order *o;            /* the order last read, valid until the next */
} sup_feed;

/* The retry policy: how many tries a failing order gets, and whether an order another process
 * holds goes back to the queue (a station, which waits anyway) or is left to it (a batch). */
typedef struct sup_policy {
    int max_attempts;
    bool requeue_elsewhere;
} sup_policy;

struct sup {
    station_config *st;
    sup_secrets *sec;          /* locked memory, NULL until sup_secrets_room */
    const char *operator_name;
    long order_timeout;
    sup_event_fn on_event;
    void *ctx;
    ledger *l;                 /* for planning; never open across a fork */

    /* batch */
    sup_feed feed;
    sup_worker *workers;
    size_t n_workers;

    /* station */
    order_file *file;
    size_t *queue;             /* order indexes, next first */
    size_t qn;
    int *attempts;             /* per order index */
    sup_reader *readers;       /* PCSC_MAX_READERS of them, nr in use */
    size_t nr;
    size_t awaiting;           /* orders the plan found waiting for their certificate */
};

/* In a worker, before it exits: wipe and free its inherited copy of everything s holds. */
void sup_release_in_worker(sup *s);

/* Monotonic seconds. */
double sup_now(void);
void sup_emit(sup *s, const sup_event *ev);

/* The planner's judgement of one order from the ledger: issued (a live certificate and no
 * attempt in flight: *live holds it), half-made (its latest attempt stopped part-way: a
 * worker closes it, and reports it issued if a live certificate remains), waiting for the
 * certificate the CA's own system signs (external signing: a worker redoes nothing, and
 * reports it waiting), or to do. */
typedef enum sup_verdict { SUP_TODO, SUP_HALF_MADE, SUP_AWAITING, SUP_DONE } sup_verdict;
int sup_judge(sup *s, const char *number, sup_verdict *v, ledger_issuance *live, sk_err *e);

/* What a worker runs (in the child): fills r except status, returns the status, which is
 * also the worker's exit status. fd is the pipe, for steps (sup_worker_send_step). */
typedef int (*sup_work_fn)(sup *s, void *arg, int fd, sup_result *r);
/* issue_opts.on_step in a worker: ctx points at the pipe's descriptor. */
void sup_worker_send_step(void *fd_ptr, iss_step step);

/* Fork a worker running fn(arg) for the order labelled label; w is set up to watch it. */
int sup_worker_spawn(sup *s, sup_worker *w, const char *label, sup_work_fn fn, void *arg,
                     sk_err *e);
/* The issuance of order o, onto the token at token_uri (NULL: the first blank one, or the
 * order's half-made token). */
int sup_worker_issue(sup *s, sup_worker *w, const order *o, const char *token_uri, sk_err *e);
/* Take in what the worker said (never blocks), report its steps, and stop it when it overruns
 * a time limit (or SIGKILL it when it outlives its stop grace). */
void sup_worker_poll(sup *s, sup_worker *w);
/* Ask a worker to stop (SIGTERM), SIGKILL after grace seconds. */
void sup_worker_stop(sup_worker *w, double grace);
/* Has the worker ended? Then read the rest of its pipe, close it, and fill rep. */
bool sup_worker_reap(sup *s, sup_worker *w, sup_report *rep);
/* SIGKILL a running worker and wait for it (the supervisor is giving up). */
void sup_worker_kill(sup_worker *w);

/* The retry policy's verdict on a settled report; counts the tries in *attempts. */
sup_next sup_policy_next(const sup_policy *p, const sup_report *r, int *attempts);

#endif
