/* SKF device events for the station loop: a watcher process blocks in SKF_WaitForDevEvent and
 * writes each event to a pipe; the loop polls the pipe with its own timeout
 * (sup_skf_watch.h). A process, not a thread: the station forks a worker per order, and a
 * fork while another thread sits inside the vendor's library (or the allocator) can leave
 * the worker holding a lock no one will release; the supervisor stays single-threaded. */
#include "issuer/supervisor/sup_skf_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skf/skf.h"

#define MAX_BATCH 64

/* What the watcher writes: one event, or its failure. */
struct msg {
    int event; /* SKF_EVENT_INSERTED / _REMOVED, or SKF_EVENT_NONE with failed */
    bool failed;
    char name[PCSC_READER_NAME_MAX];
    sk_err err;
};

struct sup_skf_watch {
    skf_lib *lib;
    int fds[2];
    pid_t watcher;         /* the process in SKF_WaitForDevEvent, 0 if none */
    skf_dev_info *present; /* the devices present at the start, reported by the first wait */
    size_t n_present;
    pcsc_event ev[(PCSC_MAX_READERS > MAX_BATCH ? PCSC_MAX_READERS : MAX_BATCH) * 2];
};

/* The watcher process: every event into the pipe until a wait fails (that failure goes into
 * the pipe too) or the station ends it. It goes with the station (PR_SET_PDEATHSIG) and
 * leaves Ctrl-C to the station, which stops it when it is done draining. */
static void watch(sup_skf_watch *w)
{
    struct msg m;

    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    close(w->fds[0]);
    for (;;) {
        memset(&m, 0, sizeof(m));
        sk_err_clear(&m.err);
        /* A station's device names fit a reader name (longer ones fail here, not cut). */
        if (skf_wait_event(w->lib, m.name, sizeof(m.name), &m.event, &m.err) != SK_OK)
            m.failed = true;
        if (!m.failed && m.event == SKF_EVENT_NONE)
            continue; /* a cancel that was not ours */
        if (write(w->fds[1], &m, sizeof(m)) != (ssize_t)sizeof(m) || m.failed)
            _exit(0);
    }
}

int sup_skf_watch_new(const char *library, sup_skf_watch **out, sk_err *e)
{
    sup_skf_watch *w = calloc(1, sizeof(*w));
    int ret;

    *out = NULL;
    if (w == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    w->fds[0] = w->fds[1] = -1;
    if ((ret = skf_lib_open(library, &w->lib, e)) != SK_OK)
        goto out;
    /* Close-on-exec: a worker process has no use for them. */
    if (pipe(w->fds) != 0 || fcntl(w->fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(w->fds[1], F_SETFD, FD_CLOEXEC) != 0) {
        ret = sk_err_set(e, SK_EIO, "SKF device events: pipe: %s", strerror(errno));
        goto out;
    }
    /* The devices present now, reported as insertions by the first wait; the library's first
     * SKF_WaitForDevEvent takes them as its start. */
    if ((ret = skf_list_devices(w->lib, &w->present, &w->n_present, e)) != SK_OK)
        goto out;
    fflush(NULL); /* nothing buffered is written twice */
    if ((w->watcher = fork()) < 0) {
        w->watcher = 0;
        ret = sk_err_set(e, SK_EIO, "SKF device events: fork: %s", strerror(errno));
        goto out;
    }
    if (w->watcher == 0)
        watch(w); /* never returns */
    close(w->fds[1]);
    w->fds[1] = -1;
    *out = w;
    w = NULL;
out:
    sup_skf_watch_free(w);
    return ret;
}

void sup_skf_watch_free(sup_skf_watch *w)
{
    if (w == NULL)
        return;
    if (w->watcher > 0) {
        kill(w->watcher, SIGTERM);
        while (waitpid(w->watcher, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (w->fds[0] >= 0)
        close(w->fds[0]);
    if (w->fds[1] >= 0)
        close(w->fds[1]);
    skf_lib_free(w->lib);
    free(w->present);
    free(w);
}

int sup_skf_watch_wait(sup_skf_watch *w, unsigned long timeout_ms, const pcsc_event **ev,
                       size_t *n, sk_err *e)
{
    struct pollfd p = {.fd = w->fds[0], .events = POLLIN};
    struct msg m;
    size_t k = 0;
    int r = w->present != NULL ? 0 : poll(&p, 1, (int)timeout_ms);

    *ev = w->ev;
    *n = 0;
    if (w->present != NULL) {
        for (size_t i = 0; i < w->n_present && k + 2 <= sizeof(w->ev) / sizeof(w->ev[0]); i++) {
            size_t len = strlen(w->present[i].name);
            if (len >= PCSC_READER_NAME_MAX)
                return sk_err_set(e, SK_ETOKEN, "SKF device name of %zu bytes: a station takes "
                                  "names of at most %d", len, PCSC_READER_NAME_MAX - 1);
            w->ev[k].kind = PCSC_READER_ADDED;
            memcpy(w->ev[k++].reader, w->present[i].name, len + 1);
            w->ev[k].kind = PCSC_CARD_INSERTED;
            memcpy(w->ev[k++].reader, w->present[i].name, len + 1);
        }
        free(w->present);
        w->present = NULL;
        *n = k;
        return SK_OK;
    }
    if (r < 0 && errno != EINTR)
        return sk_err_set(e, SK_EIO, "SKF device events: poll: %s", strerror(errno));
    while (r > 0 && k + 2 <= MAX_BATCH * 2) {
        if (read(w->fds[0], &m, sizeof(m)) != (ssize_t)sizeof(m))
            return sk_err_set(e, SK_EIO, "SKF device events: short read");
        if (m.failed) {
            *e = m.err;
            return m.err.code != SK_OK ? m.err.code : SK_ETOKEN;
        }
        bool in = m.event == SKF_EVENT_INSERTED;
        w->ev[k].kind = in ? PCSC_READER_ADDED : PCSC_CARD_REMOVED;
        snprintf(w->ev[k++].reader, PCSC_READER_NAME_MAX, "%s", m.name);
        w->ev[k].kind = in ? PCSC_CARD_INSERTED : PCSC_READER_REMOVED;
        snprintf(w->ev[k++].reader, PCSC_READER_NAME_MAX, "%s", m.name);
        p.revents = 0;
        r = poll(&p, 1, 0);
    }
    *n = k;
    return SK_OK;
}
