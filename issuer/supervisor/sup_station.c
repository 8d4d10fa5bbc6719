/* The station driver: a queue of the file's unfinished orders, fed to workers as tokens are
 * inserted into the card readers (pkcs11/pcsc_watch.h), one worker per reader. A token pulled
 * during its issuance stops that worker; the order goes back to the front of the queue, and
 * its next issuance (issue_order's resume path) finds the half-made token by its serial. */
#include <stdlib.h>
#include <string.h>

#include "issuer/issuance/issue_env.h"
#include "issuer/supervisor/sup_int.h"
#include "issuer/supervisor/sup_skf_watch.h"

#define POLL_MS 200
#define STOP_GRACE_S 5.0 /* after SIGTERM, a worker gets this long before SIGKILL */
/* A token counts as pulled from a running issuance only once it has been out this long:
 * readers report contact bounces (vpcd does under load: out and back within a second), and
 * stopping an issuance for one would throw away good work. A token really pulled makes the
 * worker's PKCS#11 calls fail anyway. */
#define PULL_DEBOUNCE_S 2.0

/* A failing order is retried on other tokens, at most 3 times; one another process holds
 * goes back to the queue (the station waits for tokens anyway). */
static const sup_policy station_policy = {.max_attempts = 3, .requeue_elsewhere = true};

/* The loop's state besides the supervisor's. */
struct run {
    const sup_station_opts *o;
    sup_station_counts *c;
    double t0;
    size_t running;
    bool draining;     /* take no new tokens */
};

int sup_station_plan(sup *s, order_file *f, const char *const *problems, sk_err *e)
{
    sup_verdict *kind = NULL;
    sup_event ev = {.kind = SUP_EV_PLANNED};
    int ret;

    s->file = f;
    s->queue = calloc(f->n + 1, sizeof(*s->queue));
    s->attempts = calloc(f->n + 1, sizeof(*s->attempts));
    s->readers = calloc(PCSC_MAX_READERS, sizeof(*s->readers));
    if ((kind = calloc(f->n + 1, sizeof(*kind))) == NULL || s->queue == NULL ||
        s->attempts == NULL || s->readers == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    if (s->l == NULL && (ret = issue_ledger_open(s->st, &s->l, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < f->n; i++) {
        ledger_issuance live;
        char label[64];

        if (problems[i] != NULL) {
            order_label(&f->orders[i], label, sizeof(label));
            sup_event nq = {.kind = SUP_EV_NOT_QUEUED, .order = label, .message = problems[i]};
            kind[i] = SUP_DONE;
            ev.bad++;
            sup_emit(s, &nq);
            continue;
        }
        if ((ret = sup_judge(s, f->orders[i].number, &kind[i], &live, e)) != SK_OK)
            goto out;
        ev.done += kind[i] == SUP_DONE;
        /* Waiting for cert-import, not for a token: queued, it would take the next token
         * inserted and leave it unused. */
        ev.awaiting += kind[i] == SUP_AWAITING;
    }
    s->awaiting = ev.awaiting;
    for (size_t i = 0; i < f->n; i++)
        if (kind[i] == SUP_HALF_MADE)
            s->queue[s->qn++] = i;
    for (size_t i = 0; i < f->n; i++)
        if (kind[i] == SUP_TODO)
            s->queue[s->qn++] = i;
    ev.queued = s->qn;
    sup_emit(s, &ev);
    ret = SK_OK;
out:
    free(kind);
    /* Not carried across the workers' forks. */
    ledger_free(s->l);
    s->l = NULL;
    return ret;
}

static void queue_front(sup *s, size_t idx)
{
    memmove(s->queue + 1, s->queue, s->qn * sizeof(*s->queue));
    s->queue[0] = idx;
    s->qn++;
}

static sup_reader *reader_get(sup *s, const char *name)
{
    sup_reader *r;

    for (size_t i = 0; i < s->nr; i++)
        if (strcmp(s->readers[i].name, name) == 0)
            return &s->readers[i];
    if (s->nr >= PCSC_MAX_READERS)
        return NULL;
    r = &s->readers[s->nr++];
    memset(r, 0, sizeof(*r));
    r->w.fd = -1;
    snprintf(r->name, sizeof(r->name), "%s", name);
    return r;
}

/* The next order of the queue onto the token just inserted into rd. */
static int start(sup *s, struct run *run, sup_reader *rd, const station_reader *map, sk_err *e)
{
    size_t idx = s->queue[0];
    const order *o = &s->file->orders[idx];
    /* "blank": the first blank token of the module, or the order's half-made one;
     * "reader": the module's slot named after this reader; or the mapped URI. */
    const char *uri = NULL;
    char buf[256];
    int ret;

    /* An SKF station: "reader" is the device that appeared under this name. */
    if (s->st->token_skf && strcmp(map->token, "reader") == 0) {
        if (snprintf(buf, sizeof(buf), "skf:%s", rd->name) >= (int)sizeof(buf))
            return sk_err_set(e, SK_EINPUT, "SKF device %s: name too long", rd->name);
        uri = buf;
    } else if ((ret = station_reader_uri(map, rd->name, buf, sizeof(buf), &uri, e)) != SK_OK) {
        return ret;
    }
    if ((ret = sup_worker_issue(s, &rd->w, o, uri, e)) != SK_OK)
        return ret;
    memmove(s->queue, s->queue + 1, (s->qn - 1) * sizeof(*s->queue));
    s->qn--;
    run->running++;
    rd->w.ref = idx;
    rd->w.reader = rd->name;
    rd->pulled = rd->absent = false;
    sup_event ev = {.kind = SUP_EV_STARTED, .order = rd->w.order, .reader = rd->name};
    sup_emit(s, &ev);
    return SK_OK;
}

/* A worker ended (its report in rep): put the order where the policy says, and tell. */
static void finished(sup *s, struct run *run, sup_reader *rd, const sup_report *rep)
{
    size_t idx = rd->w.ref;
    sup_event ev = {.kind = SUP_EV_SETTLED, .order = rep->order, .reader = rd->name,
                    .report = rep, .pulled = rd->pulled};

    run->running--;
    ev.next = sup_policy_next(&station_policy, rep, &s->attempts[idx]);
    switch (ev.next) {
    case SUP_NEXT_FRONT: queue_front(s, idx); break;
    case SUP_NEXT_BACK: s->queue[s->qn++] = idx; break;
    case SUP_NEXT_DONE:
    case SUP_NEXT_DROPPED: break;
    }
    /* A key made for external signing is not an order issued: --max-orders counts tokens
     * finished, and the token comes back for cert-import. */
    run->c->issued += rep->outcome == SUP_ISSUED && !rep->result.awaiting_cert;
    run->c->awaiting += rep->outcome == SUP_ISSUED && rep->result.awaiting_cert;
    run->c->pulled += rep->outcome == SUP_STOPPED && rd->pulled;
    run->c->failed += rep->outcome == SUP_FAILED;
    sup_emit(s, &ev);
    /* Its token went out while the worker was ending (within the debounce, or as it ended):
     * not taken for pulled, so nothing has told the operator yet. */
    if (rd->absent && !rd->pulled) {
        sup_event out = {.kind = SUP_EV_TOKEN_REMOVED, .reader = rd->name};
        sup_emit(s, &out);
    }
    rd->absent = false;
}

/* Reap ended workers; stop those whose token was pulled, and those over a time limit. */
static void tend(sup *s, struct run *run)
{
    double now = sup_now();

    for (size_t i = 0; i < s->nr; i++) {
        sup_reader *rd = &s->readers[i];
        sup_report rep;
        if (rd->w.pid == 0)
            continue;
        if (sup_worker_reap(s, &rd->w, &rep)) {
            finished(s, run, rd, &rep);
            continue;
        }
        if (rd->absent && !rd->w.stopping && now - rd->absent_at >= PULL_DEBOUNCE_S) {
            sup_event ev = {.kind = SUP_EV_PULLED, .order = rd->w.order, .reader = rd->name};
            rd->pulled = true;
            sup_worker_stop(&rd->w, STOP_GRACE_S);
            sup_emit(s, &ev);
        }
        sup_worker_poll(s, &rd->w);
    }
}

static void ignored(sup *s, const sup_reader *rd, sup_ignore why)
{
    sup_event ev = {.kind = SUP_EV_TOKEN_IGNORED, .reader = rd->name, .why = why,
                    .order = why == SUP_IGNORE_STOPPING ? rd->w.order : NULL};
    sup_emit(s, &ev);
}

static int on_reader_event(sup *s, struct run *run, const pcsc_event *pe, sk_err *e)
{
    sup_reader *rd = reader_get(s, pe->reader);
    const station_reader *map = station_reader_find(s->st, pe->reader);
    sup_event ev = {.reader = pe->reader};
    sup_report rep;

    if (rd == NULL)
        return SK_OK;
    switch (pe->kind) {
    case PCSC_READER_ADDED:
        ev.kind = SUP_EV_READER_ADDED;
        ev.token = map != NULL ? map->token : NULL;
        sup_emit(s, &ev);
        break;
    case PCSC_READER_REMOVED:
        ev.kind = SUP_EV_READER_REMOVED;
        sup_emit(s, &ev);
        break;
    case PCSC_CARD_INSERTED:
        if (map == NULL)
            break;
        if (rd->w.pid != 0 && rd->absent && !rd->w.stopping)
            rd->absent = false; /* a bounce: the issuance goes on */
        else if (rd->w.pid != 0)
            ignored(s, rd, SUP_IGNORE_STOPPING);
        else if (run->draining)
            ignored(s, rd, SUP_IGNORE_DRAINING);
        else if (s->qn == 0)
            ignored(s, rd, SUP_IGNORE_NO_ORDER);
        else
            return start(s, run, rd, map, e);
        break;
    case PCSC_CARD_REMOVED:
        if (rd->w.pid != 0) {
            if (!rd->w.stopping && !rd->absent) {
                rd->absent = true;
                rd->absent_at = sup_now();
            }
            /* It ended just before the pull: finished says the token is out. */
            if (sup_worker_reap(s, &rd->w, &rep))
                finished(s, run, rd, &rep);
        } else if (map != NULL) {
            ev.kind = SUP_EV_TOKEN_REMOVED;
            sup_emit(s, &ev);
        }
        break;
    }
    return SK_OK;
}

static void stop_all(sup *s)
{
    for (size_t i = 0; i < s->nr; i++)
        sup_worker_stop(&s->readers[i].w, STOP_GRACE_S);
}

static void stopping(sup *s, struct run *run, sup_stop why)
{
    sup_event ev = {.kind = SUP_EV_STOPPING, .stop = why, .running = run->running,
                    .issued = run->c->issued};
    sup_emit(s, &ev);
}

/* Whether the loop ends now; sets draining and stops workers as the stop rules say. */
static bool should_end(sup *s, struct run *run)
{
    const sup_station_opts *o = run->o;
    sig_atomic_t asked = o->stop_requests != NULL ? *o->stop_requests : 0;

    if (o->timeout > 0 && !run->c->timed_out && sup_now() - run->t0 > (double)o->timeout) {
        run->c->timed_out = true;
        run->draining = true;
        stopping(s, run, SUP_STOP_TIMEOUT);
        stop_all(s);
    }
    if (asked > 0 && !run->draining) {
        run->draining = true;
        stopping(s, run, SUP_STOP_ASKED);
    }
    if (asked > 1)
        stop_all(s);
    if (o->max_orders > 0 && run->c->issued >= (size_t)o->max_orders && !run->draining) {
        run->draining = true;
        stopping(s, run, SUP_STOP_MAX_ORDERS);
    }
    if (o->exit_when_done && s->qn == 0 && run->running == 0)
        return true;
    return run->draining && run->running == 0;
}

int sup_station_run(sup *s, const sup_station_opts *o, sup_station_counts *c, sk_err *e)
{
    struct run run = {.o = o, .c = c, .t0 = sup_now()};
    pcsc_watch *w = NULL;
    sup_skf_watch *sw = NULL; /* an SKF station: SKF_WaitForDevEvent instead of pcsc-lite */
    int ret;

    memset(c, 0, sizeof(*c));
    c->awaiting = s->awaiting;
    if (s->file == NULL || s->sec == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "supervisor: a station needs its plan and secrets");
        goto out;
    }
    if (s->st->token_skf ? (ret = sup_skf_watch_new(s->st->skf_library, &sw, e)) != SK_OK
                         : (ret = pcsc_watch_new(&w, e)) != SK_OK)
        goto out;
    sup_event ev = {.kind = SUP_EV_WATCHING};
    sup_emit(s, &ev);
    for (;;) {
        const pcsc_event *pe = NULL;
        size_t n = 0;

        tend(s, &run);
        if (should_end(s, &run))
            break;
        if ((ret = sw != NULL ? sup_skf_watch_wait(sw, POLL_MS, &pe, &n, e)
                              : pcsc_watch_wait(w, POLL_MS, &pe, &n, e)) != SK_OK)
            goto out;
        for (size_t i = 0; i < n; i++)
            if ((ret = on_reader_event(s, &run, &pe[i], e)) != SK_OK)
                goto out;
    }
    ret = SK_OK;
out:
    c->left = s->qn;
    /* On an error, the workers still running are stopped with it (sup_free would too). */
    if (ret != SK_OK)
        for (size_t i = 0; i < s->nr; i++)
            sup_worker_kill(&s->readers[i].w);
    pcsc_watch_free(w);
    sup_skf_watch_free(sw);
    return ret;
}
