#include "cli/worker_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static double since(const struct timespec *t0)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, s, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return; /* the parent is gone: nobody left to tell */
        s += k;
        n -= (size_t)k;
    }
}

void worker_report_step(void *fd_ptr, iss_step step)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "step %s\n", iss_step_name(step));

    if (n > 0 && (size_t)n < sizeof(line))
        write_all(*(const int *)fd_ptr, line, (size_t)n);
}

void worker_report_end(int fd, const char *text)
{
    write_all(fd, "end ", 4);
    write_all(fd, text, strlen(text));
}

void worker_watch_begin(worker_watch *w, int fd)
{
    memset(w, 0, sizeof(*w));
    w->fd = fd;
    w->last_step = -1;
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    clock_gettime(CLOCK_MONOTONIC, &w->start);
    w->step_start = w->start;
}

/* Consume the complete "step" lines at the front of buf. */
static void take_steps(worker_watch *w)
{
    for (;;) {
        char *nl;
        if (w->ended || w->len < 4)
            return;
        if (memcmp(w->buf, "end ", 4) == 0) {
            w->ended = true;
            memmove(w->buf, w->buf + 4, w->len - 4);
            w->len -= 4;
            w->buf[w->len] = '\0';
            return;
        }
        nl = memchr(w->buf, '\n', w->len);
        if (nl == NULL)
            return;
        *nl = '\0';
        if (strncmp(w->buf, "step ", 5) == 0) {
            int s = ledger_step_from_name(w->buf + 5);
            if (s >= 0) {
                w->last_step = s;
                clock_gettime(CLOCK_MONOTONIC, &w->step_start);
            }
        }
        w->len -= (size_t)(nl + 1 - w->buf);
        memmove(w->buf, nl + 1, w->len);
        w->buf[w->len] = '\0';
    }
}

void worker_watch_poll(worker_watch *w)
{
    for (;;) {
        ssize_t n;
        if (w->fd < 0 || w->len + 1 >= sizeof(w->buf))
            break;
        n = read(w->fd, w->buf + w->len, sizeof(w->buf) - 1 - w->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        w->len += (size_t)n;
        w->buf[w->len] = '\0';
        take_steps(w);
    }
}

const char *worker_watch_finish(worker_watch *w)
{
    if (w->fd >= 0) {
        /* The worker has exited, so the pipe holds all it will ever say. */
        worker_watch_poll(w);
        close(w->fd);
        w->fd = -1;
    }
    w->buf[w->len] = '\0';
    return w->ended ? w->buf : "";
}

bool worker_watch_overdue(worker_watch *w, const station_timeouts *t, long order_timeout)
{
    long limit = order_timeout > 0 ? order_timeout : t->order;
    int next = w->last_step + 1;

    if (w->overdue[0] != '\0')
        return false;
    if (limit > 0 && since(&w->start) > (double)limit) {
        snprintf(w->overdue, sizeof(w->overdue), "timed out: the order took over %ld s (%s)", limit,
                 order_timeout > 0 ? "--order-timeout" : "timeouts.order in station.json");
        return true;
    }
    if (next >= 0 && next < STATION_STEPS && t->step[next] > 0 &&
        since(&w->step_start) > (double)t->step[next]) {
        snprintf(w->overdue, sizeof(w->overdue),
                 "timed out: step %s took over %d s (timeouts.%s in station.json)",
                 iss_step_name((iss_step)next), t->step[next], iss_step_name((iss_step)next));
        return true;
    }
    return false;
}

double worker_watch_seconds(const worker_watch *w)
{
    return since(&w->start);
}
