/* The supervisor object, the planner's judgement of an order and the retry policy: what a
 * batch and a station share besides the workers themselves (sup_worker.c). */
#include "issuer/supervisor/supervisor.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "issuer/issuance/issue_env.h"
#include "issuer/supervisor/sup_int.h"
#include "util/sk_secmem.h"

double sup_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void sup_emit(sup *s, const sup_event *ev)
{
    if (s->on_event != NULL)
        s->on_event(s->ctx, ev);
}

int sup_new(station_config *st, const sup_config *cfg, sup **out, sk_err *e)
{
    sup *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL) {
        station_free(st);
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    }
    s->st = st;
    s->operator_name = cfg->operator_name;
    s->order_timeout = cfg->order_timeout;
    s->on_event = cfg->on_event;
    s->ctx = cfg->ctx;
    *out = s;
    return SK_OK;
}

const station_config *sup_station_config(const sup *s)
{
    return s->st;
}

int sup_secrets_room(sup *s, sup_secrets **room, sk_err *e)
{
    int ret = SK_OK;

    if (s->sec == NULL)
        ret = sk_secmem_alloc(sizeof(*s->sec), (void **)&s->sec, e);
    *room = s->sec;
    return ret;
}

/* A worker's pipe and process, as the supervisor lets go of them: in a worker, its siblings'
 * pipes are only closed (they are not its children); in the supervisor, a worker still
 * running is stopped and reaped, so none goes on unwatched. */
static void let_go(sup_worker *w, bool in_worker)
{
    if (!in_worker && w->pid > 0)
        sup_worker_kill(w);
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

/* Everything the supervisor holds, wiped and freed. A worker calls this too, before it exits,
 * on its inherited copy: the secrets wiped, the orders and config freed, the order file's
 * stream closed without fclose (which would move the file offset the worker shares with the
 * batch still reading it). */
static void release(sup *s, bool in_worker)
{
    for (size_t k = 0; k < s->n_workers; k++)
        let_go(&s->workers[k], in_worker);
    for (size_t k = 0; k < s->nr; k++)
        let_go(&s->readers[k].w, in_worker);
    sk_secmem_free(s->sec, sizeof(*s->sec));
    ledger_free(s->l);
    if (in_worker)
        order_stream_close_in_child(s->feed.s);
    else
        order_stream_close(s->feed.s);
    order_numbers_free(&s->feed.numbers);
    free(s->workers);
    free(s->readers);
    free(s->queue);
    free(s->attempts);
    order_file_free(s->file);
    station_free(s->st);
    memset(s, 0, sizeof(*s));
    free(s);
}

void sup_free(sup *s)
{
    if (s != NULL)
        release(s, false);
}

void sup_release_in_worker(sup *s)
{
    release(s, true);
}

int sup_judge(sup *s, const char *number, sup_verdict *v, ledger_issuance *live, sk_err *e)
{
    ledger_issuance latest;
    bool found = false, in_flight = false;
    int ret;

    memset(live, 0, sizeof(*live));
    if (s->l == NULL && (ret = issue_ledger_open(s->st, &s->l, e)) != SK_OK)
        return ret;
    /* A certificate on hold (sealkey token hold) is still its order's: issued, not to do. */
    if ((ret = ledger_current(s->l, number, live, &found, e)) != SK_OK ||
        (ret = ledger_latest(s->l, number, &latest, &in_flight, e)) != SK_OK)
        return ret;
    /* An order with a live certificate is done, also when a reissue of it failed: a batch or
     * station never reissues. One whose latest attempt was interrupted goes to a worker all
     * the same, which closes that attempt (revoking its certificate if one was signed) and
     * reports the order as issued before when a live certificate remains. */
    /* (ISS_AWAITING_CERT sorts after ISS_VERIFIED in the enum, not in the steps.) */
    bool awaiting = in_flight && latest.step == ISS_AWAITING_CERT;
    in_flight = in_flight && latest.step < ISS_VERIFIED;
    *v = awaiting ? SUP_AWAITING : in_flight ? SUP_HALF_MADE : found ? SUP_DONE : SUP_TODO;
    return SK_OK;
}

sup_next sup_policy_next(const sup_policy *p, const sup_report *r, int *attempts)
{
    switch (r->outcome) {
    case SUP_ISSUED:
    case SUP_DONE_BEFORE: return SUP_NEXT_DONE;
    case SUP_STOPPED: return SUP_NEXT_FRONT; /* its ledger step is resumed first */
    case SUP_ELSEWHERE: return p->requeue_elsewhere ? SUP_NEXT_BACK : SUP_NEXT_DONE;
    case SUP_INVALID: return SUP_NEXT_DROPPED;
    case SUP_FAILED:
    case SUP_PENDING: break;
    }
    /* Bad input fails the same on every token: no second try. */
    if (r->result.status == SK_EINPUT || ++*attempts >= p->max_attempts)
        return SUP_NEXT_DROPPED;
    return SUP_NEXT_BACK;
}
