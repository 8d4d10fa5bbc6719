/* sealkey station: the interactive sibling of batch. It waits for tokens inserted into the
 * card readers (pcsc-lite), issues the next unfinished order of the file onto each in a
 * worker process of its own, and tells the operator what went where and when a token may be
 * pulled. A token pulled during its issuance stops that worker; the order goes back to the
 * front of the queue, and its next issuance (issue_order's resume path) finds the half-made
 * token again by its serial. */
#include "cli/cmd_station.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_orders.h"
#include "cli/cli_station.h"
#include "issuer/issue_env.h"
#include "cli/worker_watch.h"
#include "issuer/ledger.h"
#include "pkcs11/pcsc_watch.h"
#include "util/sk_problems.h"

static const char usage[] =
    "sealkey station --orders FILE [--station DIR] [--ca-pass SOURCE] [--operator NAME]\n"
    "                [--order-timeout SECONDS] [--max-orders N] [--exit-when-done]\n"
    "                [--timeout SECONDS]\n"
    "  Wait for tokens inserted into the card readers and issue the next order of FILE that\n"
    "  the ledger has not finished onto each (seals included), one worker per reader. Which\n"
    "  token a reader stands for is set by \"readers\" in station.json (docs/station-mode.md).\n"
    "  A token pulled during its issuance stops it; the order goes back to the front of the\n"
    "  queue and is resumed on that token when it comes back. Ctrl-C once: take no new\n"
    "  tokens and finish the running orders; twice: stop them too.\n"
    "  --max-orders N    stop after N orders issued\n"
    "  --exit-when-done  stop when the queue is empty\n"
    "  --timeout S       stop (running orders too) after S seconds, exit status 1\n"
    "  --operator NAME   who runs it, for the ledger and the audit log (default\n"
    "                    $SEALKEY_OPERATOR, else the login name): 1-63 bytes of UTF-8, no\n"
    "                    control or invisible characters (docs/audit.md); checked first\n"
    "  Each order is held to \"timeouts\" in station.json (whole order and per step, as for\n"
    "  batch); --order-timeout overrides the whole-order limit.\n"
    "  Exit status: 0, or 1 when an order failed or the timeout struck; 2/3/5/6 as usual.";

#define POLL_MS 200
#define STOP_GRACE_S 5.0 /* after SIGTERM, a worker gets this long before SIGKILL */
#define MAX_ATTEMPTS 3   /* a failing order is retried on other tokens, then dropped */
/* A token counts as pulled from a running issuance only once it has been out this long:
 * readers report contact bounces (vpcd does under load: out and back within a second), and
 * stopping an issuance for one would throw away good work. A token really pulled makes the
 * worker's PKCS#11 calls fail anyway. */
#define PULL_DEBOUNCE_S 2.0

/* Set by the SIGINT/SIGTERM handler, read by the event loop: the count of stop requests.
 * File-static because a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_requests;

static void on_stop(int sig)
{
    (void)sig;
    if (stop_requests < 2)
        stop_requests++;
}

struct args {
    const char *station, *orders, *ca_pass, *operator_name;
    long order_timeout, max_orders, timeout;
    bool exit_when_done;
};

/* A reader and the worker issuing onto the token in it. */
struct reader {
    char name[PCSC_READER_NAME_MAX];
    pid_t pid;             /* 0: no worker */
    worker_watch watch;    /* its pipe: steps, then result */
    size_t order;          /* index into the order file */
    bool absent;           /* its token is out, since absent_at (debounce) */
    double absent_at;
    bool pulled;           /* stopped because its token was removed */
    bool stopping;         /* SIGTERM sent, SIGKILL at stop_at */
    double stop_at;
};

struct station {
    const struct args *a;
    const station_config *st;
    const order_file *f;
    const issue_run_secrets *sec;
    const char *op;
    size_t *queue;         /* order indexes, next first */
    size_t qn;
    int *attempts;
    struct reader r[PCSC_MAX_READERS];
    size_t nr;
    struct timespec t0;
    size_t issued, pulled, failed, workers;
    bool draining;         /* take no new tokens */
};

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* One line for the operator, with the time, flushed at once (stdout may be a pipe). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char when[16] = "";
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    if (localtime_r(&now, &tm) != NULL)
        strftime(when, sizeof(when), "%H:%M:%S", &tm);
    printf("%s ", when);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static int parse(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'},   {"orders", required_argument, NULL, 'f'},
        {"ca-pass", required_argument, NULL, 'p'},   {"operator", required_argument, NULL, 'O'},
        {"order-timeout", required_argument, NULL, 't'},
        {"max-orders", required_argument, NULL, 'n'},
        {"exit-when-done", no_argument, NULL, 'x'},  {"timeout", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    int c;

    memset(a, 0, sizeof(*a));
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': a->station = optarg; break;
        case 'f': a->orders = optarg; break;
        case 'p': a->ca_pass = optarg; break;
        case 'O': a->operator_name = optarg; break;
        case 'x': a->exit_when_done = true; break;
        case 't':
            if (cli_parse_long(optarg, 1, 86400, &a->order_timeout) != 0)
                return cli_usage_error(usage, "station: --order-timeout takes 1 to 86400 seconds");
            break;
        case 'n':
            if (cli_parse_long(optarg, 1, 1000000, &a->max_orders) != 0)
                return cli_usage_error(usage, "station: --max-orders takes 1 to 1000000");
            break;
        case 'T':
            if (cli_parse_long(optarg, 1, 604800, &a->timeout) != 0)
                return cli_usage_error(usage, "station: --timeout takes 1 to 604800 seconds");
            break;
        case 'h': printf("usage: %s\n", usage); return -1;
        default: return cli_usage_error(usage, "station: bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "station: unexpected argument '%s'", argv[optind]);
    if (a->orders == NULL)
        return cli_usage_error(usage, "station: --orders is required");
    return SK_OK;
}

/* The queue: orders without problems that the ledger has not finished, those it holds
 * half-made first (their tokens are to be reconciled before new ones are taken). */
enum plan_kind { PLAN_NEW, PLAN_HALF_MADE, PLAN_SKIP };

static int plan(struct station *s, const sk_problems *load_probs, sk_err *e)
{
    sk_problems probs;
    ledger *l = NULL;
    enum plan_kind *kind = NULL;
    size_t done = 0, bad = 0;
    int ret;

    sk_problems_init(&probs);
    if ((kind = calloc(s->f->n + 1, sizeof(*kind))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    order_file_check(s->f, s->st, load_probs, &probs, NULL);
    if ((ret = cli_ledger_open(s->st, &l, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < s->f->n; i++) {
        const order *o = &s->f->orders[i];
        const char *problem = cli_order_problem(&probs, o);
        ledger_issuance r;
        bool found = false;

        if (problem != NULL) {
            kind[i] = PLAN_SKIP;
            bad++;
            say("station: not queued: %s", problem);
            continue;
        }
        /* An order with a live certificate is done, whatever became of a reissue of it. */
        if ((ret = ledger_live(l, o->number, &r, &found, e)) != SK_OK)
            goto out;
        if (found) {
            kind[i] = PLAN_SKIP;
            done++;
            continue;
        }
        if ((ret = ledger_latest(l, o->number, &r, &found, e)) != SK_OK)
            goto out;
        if (found && r.step < ISS_VERIFIED) {
            kind[i] = PLAN_HALF_MADE;
        }
    }
    for (size_t i = 0; i < s->f->n; i++)
        if (kind[i] == PLAN_HALF_MADE)
            s->queue[s->qn++] = i;
    for (size_t i = 0; i < s->f->n; i++)
        if (kind[i] == PLAN_NEW)
            s->queue[s->qn++] = i;
    say("station: %zu orders in the queue, %zu already issued, %zu not queued", s->qn, done,
        bad);
    ret = SK_OK;
out:
    free(kind);
    ledger_free(l);
    sk_problems_free(&probs);
    return ret;
}

static void queue_front(struct station *s, size_t idx)
{
    memmove(s->queue + 1, s->queue, s->qn * sizeof(*s->queue));
    s->queue[0] = idx;
    s->qn++;
}

static struct reader *reader_get(struct station *s, const char *name)
{
    for (size_t i = 0; i < s->nr; i++)
        if (strcmp(s->r[i].name, name) == 0)
            return &s->r[i];
    if (s->nr >= PCSC_MAX_READERS)
        return NULL;
    struct reader *r = &s->r[s->nr++];
    memset(r, 0, sizeof(*r));
    r->watch.fd = -1;
    snprintf(r->name, sizeof(r->name), "%s", name);
    return r;
}

/* The worker: one issuance; "token\tcert" or the error message on fd, the status as exit. */
static void work(const struct station *s, const order *o, const station_reader *map, int fd)
{
    issue_opts opts;
    issue_result r;
    sk_err e;
    char line[200];
    const char *out = line;
    int ret;

    /* Ctrl-C reaches the whole process group: the station decides what stops, not the tty. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    memset(&opts, 0, sizeof(opts));
    sk_err_clear(&e);
    if (strcmp(map->token, "blank") != 0)
        opts.token_uri = issue_resume_uri(s->st, o, map->token);
    opts.on_step = worker_report_step;
    opts.on_step_ctx = &fd;
    ret = issue_run(s->st, o, s->sec, s->op, &opts, &r, &e);
    if (ret == SK_OK)
        snprintf(line, sizeof(line), "%s\t%s", r.token_serial, r.cert_serial);
    else
        out = e.msg;
    worker_report_end(fd, out);
    OPENSSL_cleanse(&r, sizeof(r));
    _exit(ret);
}

static int spawn(struct station *s, struct reader *rd, const station_reader *map, sk_err *e)
{
    size_t idx = s->queue[0];
    int p[2];

    if (pipe(p) != 0)
        return sk_err_set(e, SK_EIO, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    rd->pid = fork();
    if (rd->pid < 0) {
        rd->pid = 0;
        close(p[0]);
        close(p[1]);
        return sk_err_set(e, SK_EIO, "fork: %s", strerror(errno));
    }
    if (rd->pid == 0) {
        close(p[0]);
        work(s, &s->f->orders[idx], map, p[1]);
    }
    close(p[1]);
    memmove(s->queue, s->queue + 1, (s->qn - 1) * sizeof(*s->queue));
    s->qn--;
    s->workers++;
    worker_watch_begin(&rd->watch, p[0]);
    rd->order = idx;
    rd->pulled = rd->stopping = rd->absent = false;
    say("reader %s: order %s issuing...", rd->name, s->f->orders[idx].number);
    return SK_OK;
}

static void stop_worker(struct station *s, struct reader *rd)
{
    if (rd->pid == 0 || rd->stopping)
        return;
    kill(rd->pid, SIGTERM);
    rd->stopping = true;
    rd->stop_at = since(&s->t0) + STOP_GRACE_S;
}

/* A worker ended: tell the operator and put the order where it belongs. */
static void finished(struct station *s, struct reader *rd, int wstatus)
{
    const char *num = s->f->orders[rd->order].number;
    char buf[WORKER_RESULT_MAX];
    bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == SK_OK;
    size_t got;

    snprintf(buf, sizeof(buf), "%s", worker_watch_finish(&rd->watch));
    got = strlen(buf);
    rd->pid = 0;
    s->workers--;
    if (ok) {
        char *tab = strchr(buf, '\t');
        if (tab != NULL)
            *tab = '\0';
        s->issued++;
        say("reader %s: order %s done (token %s)%s", rd->name, num, buf,
            rd->pulled ? ", just before its token was pulled" : " -- the token may be pulled");
    } else if (rd->stopping) {
        queue_front(s, rd->order);
        if (rd->pulled)
            s->pulled++;
        else
            say("reader %s: order %s stopped -- order back in the queue", rd->name, num);
    } else if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == SK_EBUSY) {
        /* Another station or batch holds the order's claim: not this token's fault. */
        s->queue[s->qn++] = rd->order;
        say("reader %s: order %s is being issued elsewhere -- order back in the queue; "
            "the token was not used",
            rd->name, num);
    } else {
        int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : SK_EINTERNAL;
        bool drop = status == SK_EINPUT || ++s->attempts[rd->order] >= MAX_ATTEMPTS;
        if (rd->watch.overdue[0] != '\0')
            snprintf(buf, sizeof(buf), "%s", rd->watch.overdue);
        else if (got == 0)
            snprintf(buf, sizeof(buf), "worker ended by signal %d",
                     WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        s->failed++;
        if (!drop)
            s->queue[s->qn++] = rd->order;
        say("reader %s: order %s FAILED (%s): %s -- %s", rd->name, num, sk_status_name(status),
            buf, drop ? "order dropped from the queue" : "order back in the queue");
    }
}

/* Reap ended workers; stop overdue ones. */
static void tend_workers(struct station *s)
{
    double now = since(&s->t0);

    for (size_t i = 0; i < s->nr; i++) {
        struct reader *rd = &s->r[i];
        int wstatus = 0;
        if (rd->pid == 0)
            continue;
        pid_t pid = waitpid(rd->pid, &wstatus, WNOHANG);
        if (pid == rd->pid) {
            finished(s, rd, wstatus);
            continue;
        }
        worker_watch_poll(&rd->watch);
        if (rd->absent && !rd->stopping && now - rd->absent_at >= PULL_DEBOUNCE_S) {
            rd->pulled = true;
            stop_worker(s, rd);
            say("reader %s: token removed during order %s -- order back in the queue", rd->name,
                s->f->orders[rd->order].number);
        } else if (rd->stopping && now > rd->stop_at)
            kill(rd->pid, SIGKILL);
        else if (!rd->stopping &&
                 worker_watch_overdue(&rd->watch, &s->st->timeouts, s->a->order_timeout))
            kill(rd->pid, SIGKILL); /* a hung token: reported as a failure when reaped */
    }
}

static int on_event(struct station *s, const pcsc_event *ev, sk_err *e)
{
    struct reader *rd = reader_get(s, ev->reader);
    const station_reader *map = station_reader_find(s->st, ev->reader);

    if (rd == NULL)
        return SK_OK;
    switch (ev->kind) {
    case PCSC_READER_ADDED:
        if (map != NULL)
            say("reader %s: ready (tokens: %s)", rd->name, map->token);
        else
            say("reader %s: not in station.json \"readers\"; its tokens are ignored", rd->name);
        break;
    case PCSC_READER_REMOVED: say("reader %s: disconnected", rd->name); break;
    case PCSC_CARD_INSERTED:
        if (map == NULL)
            break;
        if (rd->pid != 0 && rd->absent && !rd->stopping)
            rd->absent = false; /* a bounce: the issuance goes on */
        else if (rd->pid != 0)
            say("reader %s: token inserted while order %s is still stopping; not used",
                rd->name, s->f->orders[rd->order].number);
        else if (s->draining)
            say("reader %s: token inserted, but the station is stopping", rd->name);
        else if (s->qn == 0)
            say("reader %s: token inserted, but no order is waiting", rd->name);
        else
            return spawn(s, rd, map, e);
        break;
    case PCSC_CARD_REMOVED:
        if (rd->pid != 0) {
            int wstatus = 0;
            if (waitpid(rd->pid, &wstatus, WNOHANG) == rd->pid) {
                finished(s, rd, wstatus); /* it ended just before the pull */
                break;
            }
            if (!rd->stopping && !rd->absent) {
                rd->absent = true;
                rd->absent_at = since(&s->t0);
            }
        } else if (map != NULL) {
            say("reader %s: token removed", rd->name);
        }
        break;
    }
    return SK_OK;
}

/* Whether the loop ends now; sets draining and stops workers as the stop rules say. */
static bool should_end(struct station *s, bool *timed_out)
{
    if (s->a->timeout > 0 && !*timed_out && since(&s->t0) > (double)s->a->timeout) {
        *timed_out = true;
        s->draining = true;
        say("station: timed out after %ld s; stopping", s->a->timeout);
        for (size_t i = 0; i < s->nr; i++)
            stop_worker(s, &s->r[i]);
    }
    if (stop_requests > 0 && !s->draining) {
        s->draining = true;
        if (s->workers > 0)
            say("station: stopping after the running orders (Ctrl-C again to stop them)");
    }
    if (stop_requests > 1)
        for (size_t i = 0; i < s->nr; i++)
            stop_worker(s, &s->r[i]);
    if (s->a->max_orders > 0 && s->issued >= (size_t)s->a->max_orders && !s->draining) {
        s->draining = true;
        say("station: %zu orders issued; stopping (--max-orders)", s->issued);
    }
    if (s->a->exit_when_done && s->qn == 0 && s->workers == 0)
        return true;
    return s->draining && s->workers == 0;
}

static int run(struct station *s, sk_err *e)
{
    pcsc_watch *w = NULL;
    bool timed_out = false;
    int ret;

    if ((ret = pcsc_watch_new(&w, e)) != SK_OK)
        goto out;
    say("station: waiting for tokens (Ctrl-C to stop)");
    for (;;) {
        const pcsc_event *ev = NULL;
        size_t n = 0;

        tend_workers(s);
        if (should_end(s, &timed_out))
            break;
        if ((ret = pcsc_watch_wait(w, POLL_MS, &ev, &n, e)) != SK_OK)
            goto out;
        for (size_t i = 0; i < n; i++)
            if ((ret = on_event(s, &ev[i], e)) != SK_OK)
                goto out;
    }
    say("station: %zu issued, %zu interrupted by a pulled token, %zu failed, %zu left in the "
        "queue",
        s->issued, s->pulled, s->failed, s->qn);
    ret = timed_out || s->failed > 0 ? SK_EFAIL : SK_OK;
out:
    if (ret != SK_OK && ret != SK_EFAIL)
        for (size_t i = 0; i < s->nr; i++)
            if (s->r[i].pid != 0) {
                kill(s->r[i].pid, SIGKILL);
                waitpid(s->r[i].pid, NULL, 0);
                worker_watch_finish(&s->r[i].watch);
            }
    pcsc_watch_free(w);
    return ret;
}

int cmd_station(int argc, char **argv)
{
    struct args a;
    struct station s;
    station_config *st = NULL;
    order_file *f = NULL;
    sk_problems load_probs;
    cli_secrets *secrets = NULL;
    struct sigaction sa, old_int, old_term;
    bool handlers = false;
    sk_err e;
    int ret;

    memset(&s, 0, sizeof(s));
    sk_problems_init(&load_probs);
    sk_err_clear(&e);
    if ((ret = parse(argc, argv, &a)) != SK_OK)
        return ret < 0 ? SK_OK : ret;
    if ((ret = cli_operator_check(a.operator_name, &e)) != SK_OK ||
        (ret = station_load(cli_station_dir(a.station), &st, &e)) != SK_OK ||
        (ret = order_file_load(a.orders, &f, &load_probs, &e)) != SK_OK)
        goto out;
    if (st->n_readers == 0) {
        ret = sk_err_set(&e, SK_EINPUT,
                         "%s/station.json has no \"readers\": station mode needs to know which "
                         "token each reader stands for (docs/station-mode.md)",
                         st->dir);
        goto out;
    }
    s.queue = calloc(f->n + 1, sizeof(*s.queue));
    s.attempts = calloc(f->n + 1, sizeof(*s.attempts));
    if (s.queue == NULL || s.attempts == NULL) {
        ret = sk_err_set(&e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    s.a = &a;
    s.st = st;
    s.f = f;
    s.op = cli_operator(a.operator_name);
    if ((ret = plan(&s, &load_probs, &e)) != SK_OK)
        goto out;
    /* Secrets once, here; the workers inherit them and never ask. They stay in memory
     * while the station runs and are wiped when it ends. */
    if ((ret = cli_secrets_new(&secrets, &e)) != SK_OK ||
        (ret = cli_issue_secrets(st, a.ca_pass, secrets->so_pin, sizeof(secrets->so_pin),
                                 secrets->ca_secret, sizeof(secrets->ca_secret), &e)) != SK_OK)
        goto out;
    issue_run_secrets sec = {.so_pin = secrets->so_pin, .ca_secret = secrets->ca_secret};
    s.sec = &sec;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop; /* no SA_RESTART: the wait returns early to see the request */
    sigemptyset(&sa.sa_mask);
    stop_requests = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    handlers = true;
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    ret = run(&s, &e);
out:
    if (handlers) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    cli_secrets_free(secrets);
    free(s.queue);
    free(s.attempts);
    sk_problems_free(&load_probs);
    order_file_free(f);
    station_free(st);
    if (ret == SK_OK || ret == SK_EFAIL)
        return ret;
    return cli_report(&e);
}
