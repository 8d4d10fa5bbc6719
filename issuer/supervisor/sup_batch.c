/* The batch driver: the order file read as a stream, every order settled in file order, N
 * workers at once. Only the orders in hand are kept (one per worker, plus the one being looked
 * at) and 8 bytes per order number, never the whole file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issuer/supervisor/sup_int.h"

/* A batch never retries: a failed order is reported, and the next run resumes it. */
static const sup_policy batch_policy = {.max_attempts = 1, .requeue_elsewhere = false};

#define BATCH_POLL_NS (20 * 1000 * 1000)

int sup_batch_open(sup *s, const char *path, size_t *total, sk_err *e)
{
    sup_feed *f = &s->feed;
    const order *o;
    int ret;

    *total = 0;
    if ((ret = order_stream_open(path, &f->s, e)) != SK_OK)
        return ret;
    for (;;) {
        sk_problems probs;
        sk_problems_init(&probs);
        ret = order_stream_next(f->s, &o, &probs, e);
        if (ret == SK_OK && o != NULL) {
            f->total++;
            ret = order_numbers_add(&f->numbers, o->number, e);
        }
        sk_problems_free(&probs);
        if (ret != SK_OK)
            return ret;
        if (o == NULL)
            break;
    }
    *total = f->total;
    return order_stream_rewind(f->s, e);
}

/* The next order of the second pass into j, judged: INVALID, DONE_BEFORE, or PENDING (to be
 * issued from s->feed.o). SK_OK with j->order "" at the end of the file. */
static int feed_next(sup *s, sup_report *j, sk_err *e)
{
    sup_feed *f = &s->feed;
    sk_problems probs;
    ledger_issuance live;
    sup_verdict v;
    size_t times = 0;
    int ret;

    memset(j, 0, sizeof(*j));
    sk_problems_init(&probs);
    if ((ret = order_stream_next(f->s, &f->o, &probs, e)) != SK_OK || f->o == NULL)
        goto out;
    order_label(f->o, j->order, sizeof(j->order));
    order_validate(f->o, s->st, &probs);
    if (probs.n > 0 || (times = order_numbers_count(&f->numbers, f->o->number)) > 1) {
        j->outcome = SUP_INVALID;
        j->result.status = SK_EINPUT;
        if (probs.n > 0)
            snprintf(j->result.message, sizeof(j->result.message), "%s", probs.items[0].text);
        else
            snprintf(j->result.message, sizeof(j->result.message),
                     "order %s: order_number: the file has it %zu times; each order may appear "
                     "once",
                     j->order, times);
        goto out;
    }
    if ((ret = sup_judge(s, f->o->number, &v, &live, e)) != SK_OK)
        goto out;
    if (v == SUP_DONE) {
        j->outcome = SUP_DONE_BEFORE;
        snprintf(j->result.token_serial, sizeof(j->result.token_serial), "%s",
                 live.token_serial);
        snprintf(j->result.cert_serial, sizeof(j->result.cert_serial), "%s", live.cert_serial);
    }
out:
    sk_problems_free(&probs);
    return ret;
}

int sup_batch_dry_run(sup *s, size_t *todo, size_t *done, size_t *bad, sk_err *e)
{
    sup_report j;
    int ret;

    *todo = *done = *bad = 0;
    while ((ret = feed_next(s, &j, e)) == SK_OK && j.order[0] != '\0') {
        *todo += j.outcome == SUP_PENDING;
        *done += j.outcome == SUP_DONE_BEFORE;
        *bad += j.outcome == SUP_INVALID;
        if (j.outcome == SUP_INVALID) {
            sup_event ev = {.kind = SUP_EV_NOT_QUEUED, .order = j.order,
                            .message = j.result.message};
            sup_emit(s, &ev);
        }
    }
    return ret;
}

static void settle(sup *s, const sup_report *j)
{
    int attempts = 0;
    sup_event ev = {.kind = SUP_EV_SETTLED, .order = j->order, .report = j};

    ev.next = sup_policy_next(&batch_policy, j, &attempts);
    sup_emit(s, &ev);
}

/* Give free workers the next pending orders, settling on the way those the feed judges
 * itself; *more goes false at the end of the file. */
static int fill(sup *s, bool *more, sk_err *e)
{
    sup_report j;
    int ret;

    for (size_t k = 0; *more && k < s->n_workers; k++) {
        sup_worker *w = &s->workers[k];
        while (*more && w->pid == 0) {
            if ((ret = feed_next(s, &j, e)) != SK_OK)
                return ret;
            if (j.order[0] == '\0') {
                *more = false;
            } else if (j.outcome != SUP_PENDING) {
                settle(s, &j);
            } else {
                sup_event ev = {.kind = SUP_EV_STARTED, .order = j.order};
                if ((ret = sup_worker_issue(s, w, s->feed.o, NULL, e)) != SK_OK)
                    return ret;
                sup_emit(s, &ev);
            }
        }
    }
    return SK_OK;
}

int sup_batch_run(sup *s, size_t jobs, sk_err *e)
{
    bool more = true;
    size_t active;
    int ret;

    if (jobs == 0 || s->feed.s == NULL)
        return sk_err_set(e, SK_EINTERNAL, "supervisor: a batch needs an order file and jobs");
    if ((s->workers = calloc(jobs, sizeof(*s->workers))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    s->n_workers = jobs;
    for (size_t k = 0; k < jobs; k++)
        s->workers[k].fd = -1;
    do {
        bool ended = false;
        if ((ret = fill(s, &more, e)) != SK_OK)
            return ret;
        active = 0;
        for (size_t k = 0; k < jobs; k++) {
            sup_worker *w = &s->workers[k];
            sup_report j;
            if (w->pid == 0)
                continue;
            if (sup_worker_reap(s, w, &j)) {
                settle(s, &j);
                ended = true;
                continue;
            }
            /* Poll, so that a worker stuck on a dead token is stopped at its time limit. */
            sup_worker_poll(s, w);
            active++;
        }
        if (active > 0 && !ended) {
            struct timespec nap = {0, BATCH_POLL_NS};
            nanosleep(&nap, NULL);
        }
    } while (more || active > 0);
    return SK_OK;
}
