/* libp11fault.so: a PKCS#11 module that forwards every call to a real module and makes
 * chosen calls fail or take longer, configured by environment variables read once, at
 * the first C_GetFunctionList (docs/fault-injection.md):
 *   P11FAULT_MODULE    the real module (default /usr/lib/softhsm/libsofthsm2.so)
 *   P11FAULT_FAIL      FUNCTION:N:CKR_NAME[:sticky],...   (FUNCTION may be '*')
 *   P11FAULT_DELAY_MS  FUNCTION:MS,...                    (FUNCTION may be '*')
 *   P11FAULT_LOG       FILE: one line per call "N FUNCTION K CKR_NAME forwarded|injected PID
 *                      START END" (START, END: the call's wall-clock span, delay included, in
 *                      seconds with microseconds, so logs of several processes can be laid
 *                      side by side to see calls overlap)
 *
 * A test module, not library code: it writes a configuration error to stderr because the
 * PKCS#11 caller can only see a CKR code. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "p11fault_int.h"

#define PF_EXPORT __attribute__((visibility("default")))
#define PF_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

/* A PKCS#11 module is one instance per process by definition: libp11 and sealkey's own
 * dlopen of the same path get the same copy of this library, and must see the same call
 * counters, the same sticky failure and the same real module. So the state lives here,
 * once, behind a mutex (modules may be called from several threads). */
static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    CK_RV load_rv;                 /* CKR_OK once the real module is loaded */
    void *dl;
    CK_FUNCTION_LIST_PTR real;
    CK_FUNCTION_LIST own;
    pf_config conf;
    int log_fd;
    unsigned long calls;           /* all counted calls so far */
    unsigned long fn_calls[PF_NFUNCS];
    CK_RV stuck;                   /* CKR_OK until a sticky rule fires */
} pf = {.once = PTHREAD_ONCE_INIT,
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .load_rv = CKR_GENERAL_ERROR,
        .log_fd = -1,
        .stuck = CKR_OK};

/* Library-level calls a real module answers with its token gone; a sticky failure ("the
 * token was pulled") leaves them alone so the caller can still finalise and reload. */
static int survives_removal(int fn)
{
    return fn == PF_C_Initialize || fn == PF_C_Finalize || fn == PF_C_GetInfo;
}

static void sleep_ms(unsigned long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Count the call, decide its fate and sleep its delay. Returns CKR_OK to forward, or the
 * error to return instead. *n and *k receive the global and per-function call numbers. */
static CK_RV pf_enter(int fn, unsigned long *n, unsigned long *k, struct timespec *start)
{
    CK_RV rv = CKR_OK;
    unsigned long delay = 0;
    int have_own = 0;

    clock_gettime(CLOCK_REALTIME, start);
    pthread_mutex_lock(&pf.lock);
    *n = ++pf.calls;
    *k = ++pf.fn_calls[fn];
    if (pf.stuck != CKR_OK && !survives_removal(fn))
        rv = pf.stuck;
    for (size_t i = 0; i < pf.conf.nrules && rv == CKR_OK; i++) {
        const pf_rule *r = &pf.conf.rules[i];

        if ((r->fn == PF_ANY && r->n == *n) || (r->fn == fn && r->n == *k)) {
            rv = r->rv;
            if (r->sticky)
                pf.stuck = r->rv;
        }
    }
    /* The function's own delay wins over '*'. */
    for (size_t i = 0; i < pf.conf.ndelays; i++) {
        const pf_delay *d = &pf.conf.delays[i];

        if (d->fn == fn) {
            delay = d->ms;
            have_own = 1;
        } else if (d->fn == PF_ANY && !have_own) {
            delay = d->ms;
        }
    }
    pthread_mutex_unlock(&pf.lock);
    if (delay > 0)
        sleep_ms(delay);
    return rv;
}

static CK_RV pf_leave(int fn, unsigned long n, unsigned long k, const struct timespec *start,
                      CK_RV rv, int injected)
{
    char line[200], rvbuf[32];
    struct timespec end;
    int len;

    if (pf.log_fd < 0)
        return rv;
    clock_gettime(CLOCK_REALTIME, &end);
    len = snprintf(line, sizeof(line), "%lu %s %lu %s %s %ld %lld.%06ld %lld.%06ld\n", n,
                   pf_fn_names[fn], k, pf_rv_name(rv, rvbuf, sizeof(rvbuf)),
                   injected ? "injected" : "forwarded", (long)getpid(),
                   (long long)start->tv_sec, start->tv_nsec / 1000, (long long)end.tv_sec,
                   end.tv_nsec / 1000);
    /* One write() per line on an O_APPEND descriptor: lines from threads do not mix. */
    if (len > 0 && len < (int)sizeof(line) && write(pf.log_fd, line, (size_t)len) < 0) {
        /* A log that cannot be written must not change the result the caller sees. */
    }
    return rv;
}

#define PF_WRAP(name, params, args)                                                          \
    static CK_RV pf_##name params                                                            \
    {                                                                                        \
        unsigned long n, k;                                                                  \
        struct timespec start;                                                               \
        CK_RV rv = pf_enter(PF_##name, &n, &k, &start);                                      \
        if (rv != CKR_OK)                                                                    \
            return pf_leave(PF_##name, n, k, &start, rv, 1);                                 \
        if (pf.real->name == NULL)                                                           \
            return pf_leave(PF_##name, n, k, &start, CKR_FUNCTION_NOT_SUPPORTED, 0);         \
        return pf_leave(PF_##name, n, k, &start, pf.real->name args, 0);                     \
    }
P11FAULT_FUNCS(PF_WRAP)
#undef PF_WRAP

static CK_RV pf_get_function_list(CK_FUNCTION_LIST_PTR_PTR list);

static void pf_load(void)
{
    const char *path = getenv("P11FAULT_MODULE");
    const char *log = getenv("P11FAULT_LOG");
    CK_C_GetFunctionList getfl;
    char err[512];

    if (path == NULL || path[0] == '\0')
        path = PF_DEFAULT_MODULE;
    err[0] = '\0';
    if (pf_parse_fail(getenv("P11FAULT_FAIL"), &pf.conf, err, sizeof(err)) != 0 ||
        pf_parse_delay(getenv("P11FAULT_DELAY_MS"), &pf.conf, err, sizeof(err)) != 0) {
        fprintf(stderr, "p11fault: %s\n", err);
        pf.load_rv = CKR_ARGUMENTS_BAD;
        return;
    }
    if (log != NULL && log[0] != '\0') {
        pf.log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (pf.log_fd < 0) {
            fprintf(stderr, "p11fault: P11FAULT_LOG %s: %s\n", log, strerror(errno));
            pf.load_rv = CKR_GENERAL_ERROR;
            return;
        }
    }
    pf.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (pf.dl == NULL) {
        fprintf(stderr, "p11fault: P11FAULT_MODULE %s: %s\n", path, dlerror());
        pf.load_rv = CKR_GENERAL_ERROR;
        return;
    }
    *(void **)&getfl = dlsym(pf.dl, "C_GetFunctionList");
    if (getfl == NULL || getfl(&pf.real) != CKR_OK || pf.real == NULL) {
        fprintf(stderr, "p11fault: %s: no usable C_GetFunctionList\n", path);
        pf.load_rv = CKR_GENERAL_ERROR;
        return;
    }
    /* Report the real module's version so callers see what they are really talking to. */
    pf.own.version = pf.real->version;
#define PF_SET(name, params, args) pf.own.name = pf_##name;
    P11FAULT_FUNCS(PF_SET)
#undef PF_SET
    pf.own.C_GetFunctionList = pf_get_function_list;
    if (pf_pinlock_install(&pf.own, pf.real, err, sizeof(err)) != 0) {
        fprintf(stderr, "p11fault: %s\n", err);
        pf.load_rv = CKR_ARGUMENTS_BAD;
        return;
    }
    pf.load_rv = CKR_OK;
}

static CK_RV pf_get_function_list(CK_FUNCTION_LIST_PTR_PTR list)
{
    if (list == NULL)
        return CKR_ARGUMENTS_BAD;
    pthread_once(&pf.once, pf_load);
    if (pf.load_rv != CKR_OK)
        return pf.load_rv;
    /* Every caller gets the same table, so all of them share counters and state. */
    *list = &pf.own;
    return CKR_OK;
}

PF_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
    return pf_get_function_list(list);
}
