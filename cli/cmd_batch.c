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
#include "cli/issue_run.h"
#include "issuer/ledger.h"
#include "util/sk_problems.h"
#include "util/sk_secret.h"

static const char usage[] =
    "sealkey batch --orders FILE [--jobs N] [--json] [--station DIR] [--ca-pass SOURCE]\n"
    "              [--order-timeout SECONDS] [--operator NAME] [--dry-run]\n"
    "  Issue every order of FILE that the ledger has not finished (as `sealkey issue` does,\n"
    "  seals included) onto the available blank tokens, N at a time (default 1), each in\n"
    "  its own worker process. Orders already verified are skipped; an order interrupted by\n"
    "  a crash is resumed on its token. A failing order (bad data, bad scan, token error,\n"
    "  timeout) is reported with its reason and does not stop the others.\n"
    "  Progress: a bar on a terminal, else one line per order; --json prints a report.\n"
    "  --dry-run checks the file and the ledger and says what would be issued, touching no\n"
    "  token and no secret.\n"
    "  Exit status: 0 when every order is issued, 1 when any failed, 2/3/6 as usual for\n"
    "  the command line, the station or its secrets.";

enum outcome { OUT_PENDING, OUT_ISSUED, OUT_DONE_BEFORE, OUT_INVALID, OUT_FAILED, OUT_ELSEWHERE };

struct job {
    const order *o;
    enum outcome outcome;
    int status;             /* exit status of the worker (SK_* code) */
    char message[1400];     /* failure reason */
    char token_serial[40], cert_serial[80], seals[2][48];
    double seconds;
};

struct worker {
    pid_t pid;
    int fd;
    size_t job;
    struct timespec start;
};

struct batch_args {
    const char *station, *orders, *ca_pass, *operator_name;
    long jobs, timeout;
    bool json, dry_run;
};

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
    a->timeout = 600;
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

/* Mark invalid orders and those the ledger already finished; the rest are pending. */
static int plan(const station_config *st, order_file *f, const sk_problems *load_probs,
                struct job *jobs, sk_err *e)
{
    sk_problems probs;
    ledger *l = NULL;
    int ret;

    sk_problems_init(&probs);
    order_file_check(f, st, load_probs, &probs, NULL);
    for (size_t i = 0; i < f->n; i++) {
        const char *problem = cli_order_problem(&probs, &f->orders[i]);
        jobs[i].o = &f->orders[i];
        if (problem != NULL) {
            jobs[i].outcome = OUT_INVALID;
            jobs[i].status = SK_EINPUT;
            snprintf(jobs[i].message, sizeof(jobs[i].message), "%s", problem);
        }
    }
    if ((ret = cli_ledger_open(st, &l, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < f->n; i++) {
        ledger_issuance r;
        bool found = false;
        if (jobs[i].outcome != OUT_PENDING)
            continue;
        if ((ret = ledger_latest(l, jobs[i].o->number, &r, &found, e)) != SK_OK)
            goto out;
        if (found && r.step == ISS_VERIFIED) {
            jobs[i].outcome = OUT_DONE_BEFORE;
            snprintf(jobs[i].token_serial, sizeof(jobs[i].token_serial), "%s", r.token_serial);
            snprintf(jobs[i].cert_serial, sizeof(jobs[i].cert_serial), "%s", r.cert_serial);
        }
    }
    ret = SK_OK;
out:
    ledger_free(l);
    sk_problems_free(&probs);
    return ret;
}

/* The worker: one issuance, its outcome written to fd as "token\tcert\tseal\tseal" or the
 * error message, its status as the exit code. */
static void work(const station_config *st, const order *o, const issue_run_secrets *sec,
                 const char *operator_name, int fd)
{
    issue_opts opts;
    issue_result r;
    sk_err e;
    char line[1400];
    int ret, n;

    memset(&opts, 0, sizeof(opts));
    /* Another batch may have finished the order since the plan was made. */
    opts.issued_is_done = true;
    sk_err_clear(&e);
    ret = issue_run(st, o, sec, operator_name, &opts, &r, &e);
    if (ret == SK_OK)
        n = snprintf(line, sizeof(line), "%s\t%s\t%s\t%s\t%s", r.token_serial, r.cert_serial,
                     r.n_seals > 0 ? r.seal_ids[0] : "", r.n_seals > 1 ? r.seal_ids[1] : "",
                     r.already_issued ? "done-before" : "");
    else
        n = snprintf(line, sizeof(line), "%s", e.msg);
    if (n > 0 && write(fd, line, strlen(line)) < 0)
        ret = ret != SK_OK ? ret : SK_EIO;
    OPENSSL_cleanse(&r, sizeof(r));
    _exit(ret);
}

static int spawn(const station_config *st, struct job *j, size_t idx, const issue_run_secrets *sec,
                 const char *operator_name, struct worker *w, sk_err *e)
{
    int p[2];

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
        work(st, j->o, sec, operator_name, p[1]);
    }
    close(p[1]);
    w->fd = p[0];
    w->job = idx;
    clock_gettime(CLOCK_MONOTONIC, &w->start);
    return SK_OK;
}

static void reap(struct worker *w, int wstatus, struct job *j)
{
    char buf[1200];
    size_t got = 0;
    ssize_t n;

    while (got + 1 < sizeof(buf) && (n = read(w->fd, buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(w->fd);
    j->seconds = since(&w->start);
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
        snprintf(j->message, sizeof(j->message), "%s", got ? buf : "claimed elsewhere");
        return;
    }
    if (WIFEXITED(wstatus)) {
        j->status = WEXITSTATUS(wstatus);
        snprintf(j->message, sizeof(j->message), "%s", got ? buf : "worker failed");
    } else {
        j->status = SK_EINTERNAL;
        snprintf(j->message, sizeof(j->message), "worker ended by signal %d%s",
                 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0,
                 WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL ? " (timed out or killed)"
                                                                      : "");
    }
}

struct tally {
    size_t total, issued, before, failed, elsewhere, done;
    struct timespec start;
};

static void progress(const struct tally *t, const struct job *j, bool tty, bool quiet)
{
    double el = since(&t->start);
    size_t finished = t->issued + t->failed;
    double rate = el > 0 ? (double)t->issued / el : 0;
    size_t left = t->total - t->done;

    if (quiet)
        return;
    if (j != NULL && (!tty || j->outcome == OUT_FAILED || j->outcome == OUT_INVALID)) {
        if (tty)
            fputs("\r\033[K", stdout);
        if (j->outcome == OUT_ISSUED)
            printf("%s issued: token %s, certificate %s (%.1f s) [%zu/%zu]\n", j->o->number,
                   j->token_serial, j->cert_serial, j->seconds, t->done, t->total);
        else if (j->outcome == OUT_ELSEWHERE)
            printf("%s skipped: being issued by another process or station [%zu/%zu]\n",
                   j->o->number, t->done, t->total);
        else if (j->outcome == OUT_DONE_BEFORE)
            printf("%s already issued elsewhere: token %s, certificate %s [%zu/%zu]\n",
                   j->o->number, j->token_serial, j->cert_serial, t->done, t->total);
        else
            printf("%s FAILED (%s): %s [%zu/%zu]\n", j->o->number, sk_status_name(j->status),
                   j->message, t->done, t->total);
    }
    if (tty) {
        int width = 30, fill = t->total ? (int)(width * t->done / t->total) : width;
        printf("\r[%.*s%*s] %zu/%zu  %zu issued  %zu failed  %zu left  %.2f/s  ETA %.0f s",
               fill, "##############################", width - fill, "", t->done, t->total,
               t->issued, t->failed, left, rate, rate > 0 ? (double)left / rate : 0.0);
        fflush(stdout);
    }
    (void)finished;
}

static json_t *report(const struct job *jobs, size_t n, const struct tally *t)
{
    static const char *const names[] = {"pending", "issued", "already_issued", "invalid",
                                        "failed", "claimed_elsewhere"};
    json_t *arr = json_array();

    for (size_t i = 0; i < n; i++) {
        const struct job *j = &jobs[i];
        json_t *seals = json_array();
        for (int k = 0; k < 2; k++)
            if (j->seals[k][0] != '\0')
                json_array_append_new(seals, json_string(j->seals[k]));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:f}", "order_number",
                           j->o->number ? j->o->number : "", "status", names[j->outcome],
                           "exit_status", j->status, "error",
                           j->outcome == OUT_FAILED || j->outcome == OUT_INVALID ? j->message : "",
                           "token_serial", j->token_serial, "cert_serial", j->cert_serial,
                           "seal_ids", seals, "seconds", j->seconds));
    }
    return json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:I, s:f}}", "orders", arr, "summary",
                     "orders", (json_int_t)t->total, "issued", (json_int_t)t->issued,
                     "already_issued", (json_int_t)t->before, "failed", (json_int_t)t->failed,
                     "claimed_elsewhere", (json_int_t)t->elsewhere, "seconds",
                     since(&t->start));
}

int cmd_batch(int argc, char **argv)
{
    struct batch_args a;
    station_config *st = NULL;
    order_file *f = NULL;
    sk_problems load_probs;
    struct job *jobs = NULL;
    struct worker *workers = NULL;
    size_t active = 0, next = 0;
    struct tally t;
    char so_pin[SK_SECRET_MAX], ca_secret[SK_SECRET_MAX];
    bool tty = isatty(STDOUT_FILENO);
    sk_err e;
    int ret;

    memset(&t, 0, sizeof(t));
    so_pin[0] = ca_secret[0] = '\0';
    sk_problems_init(&load_probs);
    sk_err_clear(&e);
    if ((ret = parse(argc, argv, &a)) != SK_OK)
        return ret < 0 ? SK_OK : ret;
    if (a.json)
        tty = false;
    if ((ret = station_load(cli_station_dir(a.station), &st, &e)) != SK_OK ||
        (ret = order_file_load(a.orders, &f, &load_probs, &e)) != SK_OK)
        goto out;
    jobs = calloc(f->n ? f->n : 1, sizeof(*jobs));
    workers = calloc((size_t)a.jobs, sizeof(*workers));
    if (jobs == NULL || workers == NULL) {
        ret = sk_err_set(&e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    if ((ret = plan(st, f, &load_probs, jobs, &e)) != SK_OK)
        goto out;
    if (a.dry_run) {
        size_t todo = 0, done = 0, bad = 0;
        for (size_t i = 0; i < f->n; i++) {
            todo += jobs[i].outcome == OUT_PENDING;
            done += jobs[i].outcome == OUT_DONE_BEFORE;
            bad += jobs[i].outcome == OUT_INVALID;
            if (jobs[i].outcome == OUT_INVALID)
                printf("%s\n", jobs[i].message);
        }
        printf("batch (dry run): %zu orders: %zu to issue, %zu already issued, %zu invalid\n",
               f->n, todo, done, bad);
        ret = bad == 0 ? SK_OK : SK_EFAIL;
        goto out;
    }
    /* Secrets once, here (a prompt is fine); the workers inherit them and never ask. */
    if ((ret = cli_issue_secrets(st, a.ca_pass, so_pin, sizeof(so_pin), ca_secret,
                                 sizeof(ca_secret), &e)) != SK_OK)
        goto out;
    issue_run_secrets sec = {.so_pin = so_pin, .ca_secret = ca_secret};
    const char *op = cli_operator(a.operator_name);

    clock_gettime(CLOCK_MONOTONIC, &t.start);
    t.total = f->n;
    for (size_t i = 0; i < f->n; i++) {
        if (jobs[i].outcome == OUT_DONE_BEFORE) {
            t.before++;
            t.done++;
        } else if (jobs[i].outcome == OUT_INVALID) {
            t.failed++;
            t.done++;
            progress(&t, &jobs[i], tty, a.json);
        }
    }
    for (;;) {
        while (active < (size_t)a.jobs && next < f->n) {
            if (jobs[next].outcome != OUT_PENDING) {
                next++;
                continue;
            }
            if ((ret = spawn(st, &jobs[next], next, &sec, op, &workers[active], &e)) != SK_OK)
                goto out;
            active++;
            next++;
        }
        if (active == 0)
            break;
        /* Poll so that a worker stuck on a dead token can be stopped at its timeout. */
        int wstatus = 0;
        pid_t pid = waitpid(-1, &wstatus, WNOHANG);
        if (pid == 0) {
            for (size_t k = 0; k < active; k++)
                if (since(&workers[k].start) > (double)a.timeout)
                    kill(workers[k].pid, SIGKILL);
            struct timespec nap = {0, 20 * 1000 * 1000};
            nanosleep(&nap, NULL);
            continue;
        }
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            ret = sk_err_set(&e, SK_EINTERNAL, "waitpid: %s", strerror(errno));
            goto out;
        }
        for (size_t k = 0; k < active; k++) {
            if (workers[k].pid != pid)
                continue;
            struct job *j = &jobs[workers[k].job];
            reap(&workers[k], wstatus, j);
            if (j->outcome == OUT_ISSUED)
                t.issued++;
            else if (j->outcome == OUT_DONE_BEFORE)
                t.before++;
            else if (j->outcome == OUT_ELSEWHERE)
                t.elsewhere++;
            else
                t.failed++;
            t.done++;
            progress(&t, j, tty, a.json);
            workers[k] = workers[--active];
            break;
        }
    }
    if (tty)
        fputs("\n", stdout);
    if (a.json) {
        json_t *rep = report(jobs, f->n, &t);
        char *s = json_dumps(rep, JSON_INDENT(2));
        if (s != NULL)
            puts(s);
        free(s);
        json_decref(rep);
    } else {
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
    sk_secret_wipe(so_pin, sizeof(so_pin));
    sk_secret_wipe(ca_secret, sizeof(ca_secret));
    free(workers);
    free(jobs);
    sk_problems_free(&load_probs);
    order_file_free(f);
    station_free(st);
    if (ret == SK_OK || ret == SK_EFAIL)
        return ret;
    return cli_report(&e);
}
