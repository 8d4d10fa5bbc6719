/* A forked issuance worker, seen from the batch or station process that supervises it.
 *
 * The worker reports on its pipe each step it records ("step NAME\n", from issue_opts.on_step)
 * and finally its result ("end TEXT"). The parent reads the pipe as it goes, so it knows
 * which step the worker is in and since when, and can stop a worker that overruns the
 * station's limit for that step or for the whole order (station.json "timeouts"). */
#ifndef SK_WORKER_WATCH_H
#define SK_WORKER_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "issuer/ledger.h"
#include "issuer/station.h"

/* Room for a worker's result: an sk_err message and a little more. */
#define WORKER_RESULT_MAX 2200

typedef struct worker_watch {
    int fd;                       /* read end of the worker's pipe, non-blocking */
    struct timespec start;        /* worker started */
    struct timespec step_start;   /* last step recorded (or start) */
    int last_step;                /* last iss_step recorded, -1 for none */
    bool ended;                   /* "end" seen: result holds the worker's result text */
    char overdue[200];            /* set once a time limit struck: which one */
    char buf[WORKER_RESULT_MAX];  /* unparsed pipe text, then the result */
    size_t len;
} worker_watch;

/* Child side: issue_opts.on_step with ctx pointing at the pipe's write descriptor. */
void worker_report_step(void *fd_ptr, iss_step step);
/* Child side: the result line (a message or tab-separated fields). */
void worker_report_end(int fd, const char *text);

/* Parent side. */
void worker_watch_begin(worker_watch *w, int fd);
/* Take in what the worker wrote so far (never blocks). */
void worker_watch_poll(worker_watch *w);
/* After the worker exited: read the rest, close the pipe; the result text ("" if none). */
const char *worker_watch_finish(worker_watch *w);
/* Has the worker just overrun a limit? order_timeout overrides timeouts->order when > 0.
 * True once, when w->overdue gets which limit, e.g. "timed out: step key_generated took
 * over 120 s (timeouts.key_generated in station.json)"; false after that. */
bool worker_watch_overdue(worker_watch *w, const station_timeouts *t, long order_timeout);
/* Seconds since the worker started. */
double worker_watch_seconds(const worker_watch *w);

#endif
