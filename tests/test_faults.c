/* libp11fault.so on its own: rules, sticky failures, delays, the call log, configuration
 * errors, and one shared state for libp11 and a second dlopen (as pkcs11/tok_module.c
 * loads a module). The wrapper reads its environment once per process, so every scenario
 * runs in a child process of its own. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pkcs11/tok_int.h"
#include "tests/test.h"

static char store[] = "/tmp/sk-faults.XXXXXX";
static const char *wrapper;

static void make_store(void)
{
    char path[512];
    FILE *f;

    if (mkdtemp(store) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    snprintf(path, sizeof(path), "%s/tokens", store);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/softhsm2.conf", store);
    f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
               "log.level = ERROR\nslots.removable = false\n", store);
    fclose(f);
    setenv("SOFTHSM2_CONF", path, 1);
}

static CK_FUNCTION_LIST_PTR load(CK_RV *rv)
{
    void *dl = dlopen(wrapper, RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList getfl;
    CK_FUNCTION_LIST_PTR f = NULL;

    *rv = CKR_GENERAL_ERROR;
    if (dl == NULL)
        return NULL;
    *(void **)&getfl = dlsym(dl, "C_GetFunctionList");
    if (getfl != NULL)
        *rv = getfl(&f);
    return *rv == CKR_OK ? f : NULL;
}

static CK_RV slots(CK_FUNCTION_LIST_PTR f)
{
    CK_ULONG n = 0;

    return f->C_GetSlotList(CK_FALSE, NULL, &n);
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run body in a child with the given P11FAULT_* settings; its failures count here. */
static void scenario(const char *name, const char *fail, const char *delay, const char *log,
                     void (*body)(const char *log))
{
    pid_t pid;
    int status = 0;

    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        if (fail)
            setenv("P11FAULT_FAIL", fail, 1);
        if (delay)
            setenv("P11FAULT_DELAY_MS", delay, 1);
        if (log)
            setenv("P11FAULT_LOG", log, 1);
        body(log);
        fflush(NULL);
        _exit(test_failures > 0 ? 1 : 0);
    }
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "scenario '%s' failed", name);
}

static void nth_call(const char *log)
{
    CK_RV rv;
    CK_FUNCTION_LIST_PTR f = load(&rv);

    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(f->C_Initialize(NULL) == CKR_OK);
    CHECK(slots(f) == CKR_OK);
    CHECK(slots(f) == CKR_DEVICE_REMOVED);  /* the 2nd C_GetSlotList */
    CHECK(slots(f) == CKR_OK);
    CHECK(f->C_Finalize(NULL) == CKR_OK);
}

static void global_call(const char *log)
{
    CK_RV rv;
    CK_FUNCTION_LIST_PTR f = load(&rv);
    CK_INFO info;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(f->C_Initialize(NULL) == CKR_OK);           /* call 1 */
    CHECK(f->C_GetInfo(&info) == CKR_OK);             /* call 2 */
    CHECK(slots(f) == CKR_DEVICE_MEMORY);             /* call 3: "*:3" */
    CHECK(f->C_GetInfo(&info) == CKR_OK);
    CHECK(f->C_Finalize(NULL) == CKR_OK);
}

static void sticky(const char *log)
{
    CK_RV rv;
    CK_FUNCTION_LIST_PTR f = load(&rv);
    CK_TOKEN_INFO ti;
    CK_INFO info;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(f->C_Initialize(NULL) == CKR_OK);
    CHECK(slots(f) == CKR_OK);
    CHECK(slots(f) == CKR_TOKEN_NOT_PRESENT);
    /* Removed stays removed, for every function that needs the token ... */
    CHECK(slots(f) == CKR_TOKEN_NOT_PRESENT);
    CHECK(f->C_GetTokenInfo(0, &ti) == CKR_TOKEN_NOT_PRESENT);
    /* ... while the library itself still answers and finalises. */
    CHECK(f->C_GetInfo(&info) == CKR_OK);
    CHECK(f->C_Finalize(NULL) == CKR_OK);
}

static void delay(const char *log)
{
    CK_RV rv;
    CK_FUNCTION_LIST_PTR f = load(&rv);
    CK_INFO info;
    double t0, t1, t2;

    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(f->C_Initialize(NULL) == CKR_OK);
    t0 = now_ms();
    CHECK(f->C_GetInfo(&info) == CKR_OK);
    t1 = now_ms();
    CHECK(slots(f) == CKR_OK);
    t2 = now_ms();
    /* Lower bounds only: a loaded machine may be slower, never faster. */
    CHECK_MSG(t1 - t0 >= 150, "C_GetInfo took %.0f ms, want >= 150", t1 - t0);
    CHECK_MSG(t2 - t1 >= 20, "C_GetSlotList took %.0f ms, want >= 20 ('*')", t2 - t1);
    CHECK(f->C_Finalize(NULL) == CKR_OK);
}

/* libp11 and a second dlopen share one function list, one counter and one log. */
static void shared(const char *log)
{
    tok_module *m = NULL;
    sk_err e;
    CK_RV rv;
    CK_FUNCTION_LIST_PTR f;
    char line[256];
    FILE *lf;
    unsigned long want = 1, n;
    int ok = 1, saw_already = 0;

    sk_err_clear(&e);
    CHECK_MSG(tok_module_open(wrapper, &m, &e) == SK_OK, "%s", e.msg);
    if (m == NULL)
        return;
    f = load(&rv);
    CHECK(f != NULL && f == m->f);
    CHECK(slots(m->f) == CKR_OK);
    tok_module_free(m);
    lf = fopen(log, "r");
    CHECK(lf != NULL);
    while (lf != NULL && fgets(line, sizeof(line), lf) != NULL) {
        char fn[64], rvname[64], how[16];
        unsigned long k;

        /* Numbers run 1, 2, 3, ... across libp11's calls and ours: one counter. */
        if (sscanf(line, "%lu %63s %lu %63s %15s", &n, fn, &k, rvname, how) != 5 || n != want++)
            ok = 0;
        if (strcmp(fn, "C_Initialize") == 0 && strcmp(rvname, "CKR_CRYPTOKI_ALREADY_INITIALIZED") == 0)
            saw_already = 1;
    }
    if (lf != NULL)
        fclose(lf);
    CHECK_MSG(ok, "log %s: lines not numbered 1, 2, 3, ... in the documented format", log);
    CHECK_MSG(saw_already, "log %s: the second C_Initialize did not reach the same instance",
              log);
    CHECK(want > 5);
}

static void bad_spec(const char *log)
{
    CK_RV rv;

    CHECK(load(&rv) == NULL);
    CHECK(rv == CKR_ARGUMENTS_BAD);
}

static void no_module(const char *log)
{
    CK_RV rv;

    setenv("P11FAULT_MODULE", "/nonexistent/libnothing.so", 1);
    CHECK(load(&rv) == NULL);
    CHECK(rv == CKR_GENERAL_ERROR);
}

int main(void)
{
    char log[600];

    wrapper = getenv("P11FAULT_SO");
    if (wrapper == NULL) {
        fprintf(stderr, "P11FAULT_SO is not set (run through ctest)\n");
        return 2;
    }
    make_store();
    snprintf(log, sizeof(log), "%s/calls.log", store);
    scenario("nth call", "C_GetSlotList:2:CKR_DEVICE_REMOVED", NULL, NULL, nth_call);
    scenario("global call", "*:3:CKR_DEVICE_MEMORY", NULL, NULL, global_call);
    scenario("sticky", "C_GetSlotList:2:CKR_TOKEN_NOT_PRESENT:sticky", NULL, NULL, sticky);
    scenario("delay", NULL, "*:20,C_GetInfo:150", NULL, delay);
    scenario("libp11 + dlopen share state", NULL, NULL, log, shared);
    scenario("bad function name", "C_Nope:1:CKR_DEVICE_MEMORY", NULL, NULL, bad_spec);
    scenario("bad call number", "C_Login:0:CKR_DEVICE_MEMORY", NULL, NULL, bad_spec);
    scenario("bad CKR", "C_Login:1:CKR_BOGUS", NULL, NULL, bad_spec);
    scenario("bad sticky", "C_Login:1:CKR_PIN_INCORRECT:forever", NULL, NULL, bad_spec);
    scenario("bad delay", NULL, "C_Login:-5", NULL, bad_spec);
    scenario("missing real module", NULL, NULL, NULL, no_module);
    {
        char cmd[700];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", store);
    }
    TEST_DONE();
}
