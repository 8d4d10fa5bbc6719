/* A worker process: forked, run, watched over its pipe, held to the time limits, reaped. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "issuer/issuance/issue_env.h"
#include "issuer/supervisor/sup_int.h"

static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return; /* the supervisor is gone: nobody left to tell */
        p += k;
        n -= (size_t)k;
    }
}

void sup_worker_send_step(void *fd_ptr, iss_step step)
{
    unsigned char frame[8];
    size_t n = 0;
    sk_err e;

    if (sup_wire_step(step, frame, sizeof(frame), &n, &e) == SK_OK)
        write_all(*(const int *)fd_ptr, frame, n);
}

/* A worker inherits the supervisor's signal handlers, which mean nothing in it. SIGTERM is how
 * the supervisor stops a worker: its default action. A supervisor that catches SIGINT (a
 * station: Ctrl-C once drains) decides itself what stops, so its workers ignore the terminal's
 * Ctrl-C; one that does not (a batch) leaves SIGINT to kill its workers with it. */
static void worker_signals(void)
{
    struct sigaction sa, cur;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &sa, NULL);
    if (sigaction(SIGINT, NULL, &cur) == 0 &&
        ((cur.sa_flags & SA_SIGINFO) != 0 ||
         (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN))) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGINT, &sa, NULL);
    }
}

/* The worker: fn's result on the pipe, then everything inherited wiped and freed. */
static void worker_main(sup *s, sup_work_fn fn, void *arg, int fd)
{
    unsigned char frame[SUP_WIRE_MAX];
    sup_result r;
    size_t n = 0;
    sk_err e;
    int ret;

    worker_signals();
    memset(&r, 0, sizeof(r));
    ret = fn(s, arg, fd, &r);
    r.status = ret;
    if (sup_wire_result(&r, frame, sizeof(frame), &n, &e) == SK_OK)
        write_all(fd, frame, n);
    close(fd);
    sup_release_in_worker(s);
    _exit(ret);
}

int sup_worker_spawn(sup *s, sup_worker *w, const char *label, sup_work_fn fn, void *arg,
                     sk_err *e)
{
    int p[2];
    pid_t pid;

    /* SQLite and libpq connections must not cross a fork; the planner reopens it when needed. */
    ledger_free(s->l);
    s->l = NULL;
    if (pipe(p) != 0)
        return sk_err_set(e, SK_EIO, "pipe: %s", strerror(errno));
    /* Nothing is printed here, but the worker inherits the caller's stdio buffers, and one
     * flush of them in the worker (valgrind's libc clean-up at exit does) would print the
     * caller's output twice: they are emptied first. */
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return sk_err_set(e, SK_EIO, "fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(p[0]);
        worker_main(s, fn, arg, p[1]);
    }
    close(p[1]);
    (void)fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    memset(w, 0, sizeof(*w));
    w->pid = pid;
    w->fd = p[0];
    w->last_step = -1;
    w->start = w->step_start = sup_now();
    snprintf(w->order, sizeof(w->order), "%s", label);
    return SK_OK;
}

struct issue_job {
    const order *o;
    const char *token_uri;
};

/* The issuance, in the worker. */
static int issue_work(sup *s, void *arg, int fd, sup_result *res)
{
    const struct issue_job *j = arg;
    issue_run_secrets sec = {.so_pin = s->sec->so_pin, .ca_secret = s->sec->ca_secret};
    issue_opts opts;
    issue_result r;
    sk_err e;
    int ret;

    memset(&opts, 0, sizeof(opts));
    /* Another process may have finished the order since it was planned: that is success. */
    opts.issued_is_done = true;
    opts.on_step = sup_worker_send_step;
    opts.on_step_ctx = &fd;
    if (j->token_uri != NULL)
        opts.token_uri = issue_resume_uri(s->st, j->o, j->token_uri);
    sk_err_clear(&e);
    ret = issue_run(s->st, j->o, &sec, s->operator_name, &opts, &r, &e);
    if (ret == SK_OK) {
        res->already_issued = r.already_issued;
        res->awaiting_cert = r.awaiting_cert;
        res->validity_capped = r.not_after_capped;
        snprintf(res->not_after, sizeof(res->not_after), "%s", r.not_after);
        snprintf(res->token_serial, sizeof(res->token_serial), "%s", r.token_serial);
        snprintf(res->cert_serial, sizeof(res->cert_serial), "%s", r.cert_serial);
        res->n_seals = r.n_seals < 2 ? r.n_seals : 2;
        for (size_t k = 0; k < res->n_seals; k++)
            snprintf(res->seal_ids[k], sizeof(res->seal_ids[k]), "%s", r.seal_ids[k]);
    } else {
        snprintf(res->message, sizeof(res->message), "%s", e.msg);
    }
    OPENSSL_cleanse(&r, sizeof(r));
    return ret;
}

int sup_worker_issue(sup *s, sup_worker *w, const order *o, const char *token_uri, sk_err *e)
{
    struct issue_job j = {.o = o, .token_uri = token_uri};
    char label[64];

    if (s->sec == NULL)
        return sk_err_set(e, SK_EINTERNAL, "supervisor: a worker needs the secrets first");
    order_label(o, label, sizeof(label));
    return sup_worker_spawn(s, w, label, issue_work, &j, e);
}

/* Take the whole frames at the front of w->buf. */
static void take_frames(sup *s, sup_worker *w)
{
    sup_frame f;
    size_t used = 0;
    sk_err e;

    while (!w->broken && w->len > 0) {
        if (sup_wire_take(w->buf, w->len, &f, &used, &e) != SK_OK) {
            w->broken = true;
            snprintf(w->broken_msg, sizeof(w->broken_msg), "%.250s", e.msg);
            break;
        }
        if (used == 0)
            break;
        memmove(w->buf, w->buf + used, w->len - used);
        w->len -= used;
        if (f.kind == SUP_FRAME_RESULT) {
            w->result = f.result;
            w->have_result = true;
        } else {
            sup_event ev = {.kind = SUP_EV_STEP, .order = w->order, .reader = w->reader,
                            .step = f.step};
            w->last_step = (int)f.step;
            w->step_start = sup_now();
            sup_emit(s, &ev);
        }
    }
}

/* Read what the worker wrote so far (never blocks). After a refused frame the rest is read
 * and dropped, so that a worker never blocks on a full pipe. */
static void read_pipe(sup *s, sup_worker *w)
{
    unsigned char sink[512];

    while (w->fd >= 0) {
        unsigned char *to = w->broken ? sink : w->buf + w->len;
        size_t room = w->broken ? sizeof(sink) : sizeof(w->buf) - w->len;
        ssize_t n;

        if (room == 0)
            break;
        n = read(w->fd, to, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (!w->broken) {
            w->len += (size_t)n;
            take_frames(s, w);
        }
    }
}

/* Has the worker just overrun a limit? True once, when w->limit gets which one. */
static bool overdue(const sup *s, sup_worker *w)
{
    const station_timeouts *t = &s->st->timeouts;
    long limit = s->order_timeout > 0 ? s->order_timeout : t->order;
    int next = w->last_step + 1;
    double now = sup_now();

    if (w->limit[0] != '\0')
        return false;
    if (limit > 0 && now - w->start > (double)limit) {
        snprintf(w->limit, sizeof(w->limit), "timed out: the order took over %ld s (%s)", limit,
                 s->order_timeout > 0 ? "--order-timeout" : "timeouts.order in station.json");
        return true;
    }
    if (next >= 0 && next < STATION_STEPS && t->step[next] > 0 &&
        now - w->step_start > (double)t->step[next]) {
        snprintf(w->limit, sizeof(w->limit),
                 "timed out: step %s took over %d s (timeouts.%s in station.json)",
                 iss_step_name((iss_step)next), t->step[next], iss_step_name((iss_step)next));
        return true;
    }
    return false;
}

void sup_worker_poll(sup *s, sup_worker *w)
{
    read_pipe(s, w);
    if (w->pid <= 0)
        return;
    if (w->stopping) {
        if (sup_now() > w->stop_at)
            kill(w->pid, SIGKILL);
        return;
    }
    if (overdue(s, w)) {
        /* A hung token: the ledger keeps the step it reached, and the order resumes there. */
        sup_event ev = {.kind = SUP_EV_LIMIT, .order = w->order, .reader = w->reader,
                        .message = w->limit};
        kill(w->pid, SIGKILL);
        sup_emit(s, &ev);
    }
}

void sup_worker_stop(sup_worker *w, double grace)
{
    if (w->pid <= 0 || w->stopping)
        return;
    kill(w->pid, SIGTERM);
    w->stopping = true;
    w->stop_at = sup_now() + grace;
}

void sup_worker_kill(sup_worker *w)
{
    if (w->pid <= 0)
        return;
    kill(w->pid, SIGKILL);
    while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    w->pid = 0;
}

/* What the worker came to, from its exit and its result. */
static void judge_end(const sup_worker *w, int wstatus, sup_report *rep)
{
    bool exited = WIFEXITED(wstatus);
    int code = exited ? WEXITSTATUS(wstatus) : SK_EINTERNAL;
    sup_result *r = &rep->result;
    const char *said = w->have_result ? w->result.message : "";

    if (exited && code == SK_OK && w->have_result && w->result.status == SK_OK) {
        *r = w->result;
        rep->outcome = r->already_issued ? SUP_DONE_BEFORE : SUP_ISSUED;
        return;
    }
    rep->outcome = SUP_FAILED;
    r->status = code;
    if (w->stopping) {
        /* Stopped on purpose: the ledger keeps its step, and the order is resumed. */
        rep->outcome = SUP_STOPPED;
        snprintf(r->message, sizeof(r->message), "%s", said);
    } else if (exited && code == SK_EBUSY) {
        /* Another batch or station holds the order: theirs to finish, not a failure. */
        rep->outcome = SUP_ELSEWHERE;
        snprintf(r->message, sizeof(r->message), "%s", said[0] ? said : "claimed elsewhere");
    } else if (w->limit[0] != '\0') {
        rep->limit = true;
        r->status = SK_ETOKEN;
        snprintf(r->message, sizeof(r->message), "%s", w->limit);
    } else if (exited && code == SK_OK) {
        r->status = SK_EINTERNAL;
        snprintf(r->message, sizeof(r->message), "worker ended without a result%s%s",
                 w->broken ? ": " : "", w->broken ? w->broken_msg : "");
    } else if (exited) {
        snprintf(r->message, sizeof(r->message), "%s", said[0] ? said : "worker failed");
    } else {
        snprintf(r->message, sizeof(r->message), "worker ended by signal %d",
                 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
    }
}

bool sup_worker_reap(sup *s, sup_worker *w, sup_report *rep)
{
    int wstatus = 0;
    pid_t pid;

    if (w->pid <= 0)
        return false;
    do
        pid = waitpid(w->pid, &wstatus, WNOHANG);
    while (pid < 0 && errno == EINTR);
    if (pid == 0)
        return false;
    if (pid < 0)
        wstatus = SIGKILL; /* lost (ECHILD): a wait status that reads "ended by signal 9" */
    /* It has exited, so the pipe holds all it will ever say. */
    read_pipe(s, w);
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->pid = 0;
    memset(rep, 0, sizeof(*rep));
    snprintf(rep->order, sizeof(rep->order), "%s", w->order);
    rep->seconds = sup_now() - w->start;
    judge_end(w, wstatus, rep);
    return true;
}
