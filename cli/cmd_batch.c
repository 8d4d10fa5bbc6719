/* sealkey batch: every approved order of a file that the ledger has not finished, onto the
 * available blank tokens, several at once. Each order runs in a worker process of its own,
 * so one order's crash or hung token cannot take the others down. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
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
#include "util/sk_problems.h"

static const char usage[] =
    "sealkey batch --orders FILE [--jobs N] [--json] [--station DIR] [--ca-pass SOURCE]\n"
    "              [--order-timeout SECONDS] [--operator NAME] [--dry-run]\n"
    "  Issue every order of FILE that the ledger has not finished (as `sealkey issue` does,\n"
    "  seals included) onto the available blank tokens, N at a time (default 1), each in\n"
    "  its own worker process. Orders already verified are skipped; an order interrupted by\n"
    "  a crash is resumed on its token. A failing order (bad data, bad scan, token error,\n"
    "  timeout) is reported with its reason and does not stop the others.\n"
    "  The file is checked whole before anything is issued, then read again order by order,\n"
    "  so memory stays the same for 100 or 100,000 orders.\n"
    "  Time limits come from \"timeouts\" in station.json: one for the whole order (default\n"
    "  600 s; --order-timeout overrides it) and optionally one per step, e.g.\n"
    "  \"key_generated\": 120. A worker over a limit is stopped and its order fails with the\n"
    "  limit named; the ledger keeps its step and the next run resumes it on its token.\n"
    "  Progress: a bar on a terminal, else one line per order; --json prints a report.\n"
    "  --dry-run checks the file and the ledger and says what would be issued, touching no\n"
    "  token and no secret.\n"
    "  --operator NAME   who runs it, for the ledger and the audit log (default\n"
    "                    $SEALKEY_OPERATOR, else the login name): 1-63 bytes of UTF-8, no\n"
    "                    control or invisible characters (docs/audit.md); checked first\n"
    "  Exit status: 0 when every order is issued, 1 when any failed, 2/3/6 as usual for\n"
    "  the command line, the station or its secrets.";

enum outcome { OUT_PENDING, OUT_ISSUED, OUT_DONE_BEFORE, OUT_INVALID, OUT_FAILED, OUT_ELSEWHERE };

/* One order's fate. Only the orders in hand are kept (one per worker, plus the one being
 * looked at), never the whole file, so the batch's memory does not grow with the file. */
struct job {
    char number[40];
    enum outcome outcome;
    int status;             /* exit status of the worker (SK_* code) */
    char message[WORKER_RESULT_MAX]; /* failure reason */
    char token_serial[40], cert_serial[80], seals[2][48];
    double seconds;
};

struct worker {
    pid_t pid;
    worker_watch watch;
    struct job job;
};

struct batch_args {
    const char *station, *orders, *ca_pass, *operator_name;
    long jobs, timeout;     /* timeout 0: the station's timeouts.order */
    bool json, dry_run;
};

/* The order file read twice as a stream: once to check all of it before anything is
 * issued, then order by order as workers become free. */
struct feed {
    const station_config *st;
    order_stream *s;
    order_numbers numbers;  /* to refuse repeated order numbers without keeping the orders */
    ledger *l;              /* open only between workers: never carried across fork */
    size_t total, invalid;
    const order *o;         /* the order of the last job taken, valid until the next */
};

/* What cmd_batch allocated. A worker is a fork that ends in _exit, not a return through
 * cmd_batch, so it frees its copy of these itself: memcheck sees a leak otherwise. */
struct owned {
    station_config *st;
    struct feed *fd;
    struct worker *workers;
    cli_secrets *secrets;
};

static void feed_close(struct feed *fd);

/* in_worker: the order file's stream is closed without fclose, which would move the file
 * offset the worker shares with the batch still reading it. */
static void owned_free(struct owned *own, bool in_worker)
{
    cli_secrets_free(own->secrets);
    free(own->workers);
    if (in_worker) {
        order_stream_close_in_child(own->fd->s);
        own->fd->s = NULL;
    }
    feed_close(own->fd);
    station_free(own->st);
    memset(own, 0, sizeof(*own));
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int parse(int argc, char **argv, struct batch_args *a)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'},   {"orders", required_argument, NULL, 'f'},
        {"jobs", required_argument, NULL, 'j'},      {"json", no_argument, NULL, 'J'},
        {"ca-pass", required_argument, NULL, 'p'},   {"operator", required_argument, NULL, 'O'},
        {"order-timeout", required_argument, NULL, 't'}, {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;

    memset(a, 0, sizeof(*a));
    a->jobs = 1;
    while ((c = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
        switch (c) {
        case 's': a->station = optarg; break;
        case 'f': a->orders = optarg; break;
        case 'j':
            if (cli_parse_long(optarg, 1, 64, &a->jobs) != 0)
                return cli_usage_error(usage, "batch: --jobs takes 1 to 64, not '%s'", optarg);
            break;
        case 't':
            if (cli_parse_long(optarg, 1, 86400, &a->timeout) != 0)
                return cli_usage_error(usage, "batch: --order-timeout takes 1 to 86400 seconds");
            break;
        case 'J': a->json = true; break;
        case 'n': a->dry_run = true; break;
        case 'p': a->ca_pass = optarg; break;
        case 'O': a->operator_name = optarg; break;
        case 'h': printf("usage: %s\n", usage); return -1;
        default: return cli_usage_error(usage, "batch: bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "batch: unexpected argument '%s'", argv[optind]);
    if (a->orders == NULL)
        return cli_usage_error(usage, "batch: --orders is required");
    return SK_OK;
}

/* The first pass: the whole file is read and each order checked, so a file that breaks off
 * halfway is refused before any token is touched; only the order numbers are kept. */
static int feed_open(struct feed *fd, const station_config *st, const char *path, sk_err *e)
{
    const order *o;
    int ret;

    memset(fd, 0, sizeof(*fd));
    fd->st = st;
    if ((ret = order_stream_open(path, &fd->s, e)) != SK_OK)
        return ret;
    for (;;) {
        sk_problems probs;
        sk_problems_init(&probs);
        ret = order_stream_next(fd->s, &o, &probs, e);
        if (ret == SK_OK && o != NULL) {
            fd->total++;
            fd->invalid += probs.n > 0 || order_validate(o, st, &probs) > 0;
            ret = order_numbers_add(&fd->numbers, o->number, e);
        }
        sk_problems_free(&probs);
        if (ret != SK_OK)
            return ret;
        if (o == NULL)
            break;
    }
    return order_stream_rewind(fd->s, e);
}

static void feed_close(struct feed *fd)
{
    ledger_free(fd->l);
    order_numbers_free(&fd->numbers);
    order_stream_close(fd->s);
}

/* The second pass: the next order into j, judged: invalid, issued before, or pending (to
 * be issued from fd->o). Returns SK_OK with j->number "" at the end of the file. */
static int feed_next(struct feed *fd, struct job *j, sk_err *e)
{
    sk_problems probs;
    ledger_issuance r, latest;
    bool found = false, in_flight = false;
    size_t times;
    int ret;

    memset(j, 0, sizeof(*j));
    sk_problems_init(&probs);
    if ((ret = order_stream_next(fd->s, &fd->o, &probs, e)) != SK_OK || fd->o == NULL)
        goto out;
    order_label(fd->o, j->number, sizeof(j->number));
    order_validate(fd->o, fd->st, &probs);
    if (probs.n > 0 || (times = order_numbers_count(&fd->numbers, fd->o->number)) > 1) {
        j->outcome = OUT_INVALID;
        j->status = SK_EINPUT;
        if (probs.n > 0)
            snprintf(j->message, sizeof(j->message), "%s", probs.msgs[0]);
        else
            snprintf(j->message, sizeof(j->message),
                     "order %s: order_number: the file has it %zu times; each order may appear "
                     "once",
                     j->number, times);
        goto out;
    }
    if (fd->l == NULL && (ret = cli_ledger_open(fd->st, &fd->l, e)) != SK_OK)
        goto out;
    /* An order with a live certificate is done, also when a reissue of it failed: a batch
     * never reissues. One whose latest attempt was interrupted goes to a worker all the
     * same, which closes that attempt (revoking its certificate if one was signed) and
     * reports the order as done before. */
    if ((ret = ledger_live(fd->l, fd->o->number, &r, &found, e)) != SK_OK ||
        (ret = ledger_latest(fd->l, fd->o->number, &latest, &in_flight, e)) != SK_OK)
        goto out;
    in_flight = in_flight && latest.step < ISS_VERIFIED;
    if (found && !in_flight) {
        j->outcome = OUT_DONE_BEFORE;
        snprintf(j->token_serial, sizeof(j->token_serial), "%s", r.token_serial);
        snprintf(j->cert_serial, sizeof(j->cert_serial), "%s", r.cert_serial);
    }
out:
    sk_problems_free(&probs);
    return ret;
}

/* The worker: one issuance. It reports each recorded step on fd, then its outcome as
 * "token\tcert\tseal\tseal\t[done-before]" or the error message; its status is the exit code. */
static void work(struct owned *own, const issue_run_secrets *sec, const char *operator_name,
                 int fd)
{
    const station_config *st = own->st;
    const order *o = own->fd->o;
    issue_opts opts;
    issue_result r;
    sk_err e;
    char line[400];
    int ret;

    memset(&opts, 0, sizeof(opts));
    /* Another batch may have finished the order since the plan was made. */
    opts.issued_is_done = true;
    opts.on_step = worker_report_step;
    opts.on_step_ctx = &fd;
    sk_err_clear(&e);
    ret = issue_run(st, o, sec, operator_name, &opts, &r, &e);
    if (ret == SK_OK)
        snprintf(line, sizeof(line), "%s\t%s\t%s\t%s\t%s", r.token_serial, r.cert_serial,
                 r.n_seals > 0 ? r.seal_ids[0] : "", r.n_seals > 1 ? r.seal_ids[1] : "",
                 r.already_issued ? "done-before" : "");
    worker_report_end(fd, ret == SK_OK ? line : e.msg);
    OPENSSL_cleanse(&r, sizeof(r));
    owned_free(own, true);
    _exit(ret);
}

static int spawn(struct owned *own, const issue_run_secrets *sec, const char *operator_name,
                 struct worker *w, sk_err *e)
{
    int p[2];

    /* SQLite and libpq connections must not cross a fork; the feed reopens it when needed. */
    ledger_free(own->fd->l);
    own->fd->l = NULL;
    if (pipe(p) != 0)
        return sk_err_set(e, SK_EIO, "pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    w->pid = fork();
    if (w->pid < 0) {
        close(p[0]);
        close(p[1]);
        return sk_err_set(e, SK_EIO, "fork: %s", strerror(errno));
    }
    if (w->pid == 0) {
        close(p[0]);
        work(own, sec, operator_name, p[1]);
    }
    close(p[1]);
    worker_watch_begin(&w->watch, p[0]);
    return SK_OK;
}

static void reap(struct worker *w, int wstatus)
{
    struct job *j = &w->job;
    char buf[sizeof(w->watch.buf)];

    snprintf(buf, sizeof(buf), "%s", worker_watch_finish(&w->watch));
    j->seconds = worker_watch_seconds(&w->watch);
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == SK_OK) {
        char *save = buf, *fields[5] = {"", "", "", "", ""};
        for (int k = 0; k < 5 && save != NULL; k++) {
            fields[k] = save;
            save = strchr(save, '\t');
            if (save != NULL)
                *save++ = '\0';
        }
        j->outcome = strcmp(fields[4], "done-before") == 0 ? OUT_DONE_BEFORE : OUT_ISSUED;
        snprintf(j->token_serial, sizeof(j->token_serial), "%s", fields[0]);
        snprintf(j->cert_serial, sizeof(j->cert_serial), "%s", fields[1]);
        snprintf(j->seals[0], sizeof(j->seals[0]), "%s", fields[2]);
        snprintf(j->seals[1], sizeof(j->seals[1]), "%s", fields[3]);
        return;
    }
    j->outcome = OUT_FAILED;
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == SK_EBUSY) {
        /* Another batch or station holds the order: theirs to finish, not a failure. */
        j->outcome = OUT_ELSEWHERE;
        j->status = SK_EBUSY;
        snprintf(j->message, sizeof(j->message), "%s", buf[0] ? buf : "claimed elsewhere");
        return;
    }
    if (w->watch.overdue[0] != '\0') {
        /* The ledger keeps the step it reached; a re-run resumes the order on its token. */
        j->status = SK_ETOKEN;
        snprintf(j->message, sizeof(j->message), "%s; the order resumes on the next run",
                 w->watch.overdue);
    } else if (WIFEXITED(wstatus)) {
        j->status = WEXITSTATUS(wstatus);
        snprintf(j->message, sizeof(j->message), "%s", buf[0] ? buf : "worker failed");
    } else {
        j->status = SK_EINTERNAL;
        snprintf(j->message, sizeof(j->message), "worker ended by signal %d",
                 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
    }
}

struct tally {
    size_t total, issued, before, failed, elsewhere, done;
    struct timespec start;
    bool json_first;        /* no order printed yet in the --json report */
};

static void progress(const struct tally *t, const struct job *j, bool tty, bool quiet)
{
    double el = since(&t->start);
    double rate = el > 0 ? (double)t->issued / el : 0;
    size_t left = t->total - t->done;

    if (quiet)
        return;
    if (j != NULL && (!tty || j->outcome == OUT_FAILED || j->outcome == OUT_INVALID)) {
        if (tty)
            fputs("\r\033[K", stdout);
        if (j->outcome == OUT_ISSUED)
            printf("%s issued: token %s, certificate %s (%.1f s) [%zu/%zu]\n", j->number,
                   j->token_serial, j->cert_serial, j->seconds, t->done, t->total);
        else if (j->outcome == OUT_ELSEWHERE)
            printf("%s skipped: being issued by another process or station [%zu/%zu]\n",
                   j->number, t->done, t->total);
        else if (j->outcome == OUT_DONE_BEFORE)
            printf("%s already issued elsewhere: token %s, certificate %s [%zu/%zu]\n",
                   j->number, j->token_serial, j->cert_serial, t->done, t->total);
        else
            printf("%s FAILED (%s): %s [%zu/%zu]\n", j->number, sk_status_name(j->status),
                   j->message, t->done, t->total);
    }
    if (tty) {
        int width = 30, fill = t->total ? (int)(width * t->done / t->total) : width;
        printf("\r[%.*s%*s] %zu/%zu  %zu issued  %zu failed  %zu left  %.2f/s  ETA %.0f s",
               fill, "##############################", width - fill, "", t->done, t->total,
               t->issued, t->failed, left, rate, rate > 0 ? (double)left / rate : 0.0);
        fflush(stdout);
    }
}

/* One order of the --json report, printed as soon as it is settled. */
static void report_order(struct tally *t, const struct job *j)
{
    static const char *const names[] = {"pending", "issued", "already_issued", "invalid",
                                        "failed", "claimed_elsewhere"};
    json_t *seals = json_array();
    json_t *o;
    char *text;

    for (int k = 0; k < 2; k++)
        if (j->seals[k][0] != '\0')
            json_array_append_new(seals, json_string(j->seals[k]));
    o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:f}", "order_number", j->number,
                  "status", names[j->outcome], "exit_status", j->status, "error",
                  j->outcome == OUT_FAILED || j->outcome == OUT_INVALID ? j->message : "",
                  "token_serial", j->token_serial, "cert_serial", j->cert_serial, "seal_ids",
                  seals, "seconds", j->seconds);
    text = o != NULL ? json_dumps(o, 0) : NULL;
    printf("%s    %s", t->json_first ? "" : ",\n", text != NULL ? text : "{}");
    t->json_first = false;
    free(text);
    json_decref(o);
}

static void report_summary(const struct tally *t)
{
    json_t *sum = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}", "orders", (json_int_t)t->total,
                            "issued", (json_int_t)t->issued, "already_issued",
                            (json_int_t)t->before, "failed", (json_int_t)t->failed,
                            "claimed_elsewhere", (json_int_t)t->elsewhere, "seconds",
                            since(&t->start));
    char *text = sum != NULL ? json_dumps(sum, JSON_INDENT(2)) : NULL;

    printf("\n  ],\n  \"summary\": %s\n}\n", text != NULL ? text : "{}");
    free(text);
    json_decref(sum);
}

/* Count a settled order and show it. */
static void settle(struct tally *t, const struct job *j, bool tty, bool json)
{
    switch (j->outcome) {
    case OUT_ISSUED: t->issued++; break;
    case OUT_DONE_BEFORE: t->before++; break;
    case OUT_ELSEWHERE: t->elsewhere++; break;
    default: t->failed++; break;
    }
    t->done++;
    if (json)
        report_order(t, j);
    /* Orders finished before this run are counted, not listed one by one. */
    else if (j->outcome != OUT_DONE_BEFORE || j->seconds > 0)
        progress(t, j, tty, false);
}

/* --dry-run: what a run would do, from the file and the ledger alone. */
static int dry_run(struct feed *fd, sk_err *e)
{
    size_t todo = 0, done = 0, bad = 0;
    struct job j;
    int ret;

    while ((ret = feed_next(fd, &j, e)) == SK_OK && j.number[0] != '\0') {
        todo += j.outcome == OUT_PENDING;
        done += j.outcome == OUT_DONE_BEFORE;
        bad += j.outcome == OUT_INVALID;
        if (j.outcome == OUT_INVALID)
            printf("%s\n", j.message);
    }
    if (ret != SK_OK)
        return ret;
    printf("batch (dry run): %zu orders: %zu to issue, %zu already issued, %zu invalid\n",
           fd->total, todo, done, bad);
    return bad == 0 ? SK_OK : SK_EFAIL;
}

/* Stop the workers that overran a time limit; the reason is reported when they are reaped. */
static void enforce_limits(struct worker *workers, size_t active, const station_config *st,
                           long order_timeout)
{
    for (size_t k = 0; k < active; k++) {
        struct worker *w = &workers[k];
        worker_watch_poll(&w->watch);
        if (worker_watch_overdue(&w->watch, &st->timeouts, order_timeout))
            kill(w->pid, SIGKILL);
    }
}

static int run(struct owned *own, const struct batch_args *a, const issue_run_secrets *sec,
               struct tally *t, bool tty, sk_err *e)
{
    struct feed *fd = own->fd;
    struct worker *workers = own->workers;
    const char *op = cli_operator(a->operator_name);
    size_t active = 0;
    bool more = true;
    int ret;

    while (more || active > 0) {
        while (more && active < (size_t)a->jobs) {
            struct worker *w = &workers[active];
            if ((ret = feed_next(fd, &w->job, e)) != SK_OK)
                return ret;
            if (w->job.number[0] == '\0') {
                more = false;
            } else if (w->job.outcome != OUT_PENDING) {
                settle(t, &w->job, tty, a->json);
            } else {
                if ((ret = spawn(own, sec, op, w, e)) != SK_OK)
                    return ret;
                active++;
            }
        }
        if (active == 0)
            break;
        /* Poll so that a worker stuck on a dead token is stopped at its time limit. */
        int wstatus = 0;
        pid_t pid = waitpid(-1, &wstatus, WNOHANG);
        if (pid == 0) {
            enforce_limits(workers, active, fd->st, a->timeout);
            struct timespec nap = {0, 20 * 1000 * 1000};
            nanosleep(&nap, NULL);
            continue;
        }
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            return sk_err_set(e, SK_EINTERNAL, "waitpid: %s", strerror(errno));
        }
        for (size_t k = 0; k < active; k++) {
            if (workers[k].pid != pid)
                continue;
            reap(&workers[k], wstatus);
            settle(t, &workers[k].job, tty, a->json);
            workers[k] = workers[--active];
            break;
        }
    }
    return SK_OK;
}

int cmd_batch(int argc, char **argv)
{
    struct batch_args a;
    struct feed fd;
    struct owned own = {.fd = &fd};
    struct tally t;
    bool tty = isatty(STDOUT_FILENO), started = false;
    sk_err e;
    int ret;

    memset(&t, 0, sizeof(t));
    memset(&fd, 0, sizeof(fd));
    sk_err_clear(&e);
    if ((ret = parse(argc, argv, &a)) != SK_OK)
        return ret < 0 ? SK_OK : ret;
    if (a.json)
        tty = false;
    if ((ret = cli_operator_check(a.operator_name, &e)) != SK_OK ||
        (ret = station_load(cli_station_dir(a.station), &own.st, &e)) != SK_OK ||
        (ret = feed_open(&fd, own.st, a.orders, &e)) != SK_OK)
        goto out;
    if (a.dry_run) {
        ret = dry_run(&fd, &e);
        goto out;
    }
    own.workers = calloc((size_t)a.jobs, sizeof(*own.workers));
    if (own.workers == NULL) {
        ret = sk_err_set(&e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    /* Secrets once, here (a prompt is fine); the workers inherit them and never ask. */
    if ((ret = cli_secrets_new(&own.secrets, &e)) != SK_OK ||
        (ret = cli_issue_secrets(own.st, a.ca_pass, own.secrets->so_pin,
                                 sizeof(own.secrets->so_pin), own.secrets->ca_secret,
                                 sizeof(own.secrets->ca_secret), &e)) != SK_OK)
        goto out;
    issue_run_secrets sec = {.so_pin = own.secrets->so_pin, .ca_secret = own.secrets->ca_secret};

    clock_gettime(CLOCK_MONOTONIC, &t.start);
    t.total = fd.total;
    t.json_first = true;
    if (a.json)
        printf("{\n  \"orders\": [\n");
    started = true;
    if ((ret = run(&own, &a, &sec, &t, tty, &e)) != SK_OK)
        goto out;
    if (tty)
        fputs("\n", stdout);
    if (!a.json) {
        double el = since(&t.start);
        printf("batch: %zu orders: %zu issued, %zu already issued, %zu failed, in %.1f s "
               "(%.2f orders/s)\n",
               t.total, t.issued, t.before, t.failed, el, el > 0 ? (double)t.issued / el : 0.0);
        if (t.elsewhere > 0)
            printf("batch: %zu order(s) were being issued elsewhere and were left to them\n",
                   t.elsewhere);
    }
    ret = t.failed == 0 ? SK_OK : SK_EFAIL;
out:
    /* The --json report stays one JSON document even when the run stops early. */
    if (a.json && started)
        report_summary(&t);
    owned_free(&own, false);
    if (ret == SK_OK || ret == SK_EFAIL)
        return ret;
    return cli_report(&e);
}
