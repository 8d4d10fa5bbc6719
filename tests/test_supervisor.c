/* The supervisor without tokens: its pipe frames round-trip and refuse what breaks the rules,
 * and real forked workers (running small functions instead of an issuance) are held to the
 * time limits, stopped, reaped and judged as a batch or station would see them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "issuer/supervisor/sup_int.h"
#include "test.h"

/* ---- frames ---- */

static void fill(char *s, size_t cap, char c)
{
    memset(s, c, cap - 1);
    s[cap - 1] = '\0';
}

static void test_round_trip(void)
{
    unsigned char buf[SUP_WIRE_MAX + 16];
    sup_result r, empty;
    sup_frame f;
    size_t n = 0, used = 0;
    sk_err e;

    /* Every string as long as its field allows. */
    memset(&r, 0, sizeof(r));
    r.status = SK_OK;
    r.already_issued = true;
    r.n_seals = 2;
    fill(r.token_serial, sizeof(r.token_serial), 't');
    fill(r.cert_serial, sizeof(r.cert_serial), 'C');
    fill(r.seal_ids[0], sizeof(r.seal_ids[0]), 'a');
    fill(r.seal_ids[1], sizeof(r.seal_ids[1]), 'b');
    fill(r.message, sizeof(r.message), 'm');
    fill(r.not_after, sizeof(r.not_after), 'z');
    CHECK(sup_wire_result(&r, buf, sizeof(buf), &n, &e) == SK_OK);
    CHECK(n == SUP_WIRE_MAX);
    CHECK(sup_wire_take(buf, n, &f, &used, &e) == SK_OK);
    CHECK(used == n);
    CHECK(f.kind == SUP_FRAME_RESULT);
    CHECK(memcmp(&f.result, &r, sizeof(r)) == 0);

    /* A failure, with every string empty but the message. */
    memset(&empty, 0, sizeof(empty));
    empty.status = SK_ETOKEN;
    snprintf(empty.message, sizeof(empty.message), "order X: C_GenerateKeyPair: CKR_DEVICE_MEMORY");
    CHECK(sup_wire_result(&empty, buf, sizeof(buf), &n, &e) == SK_OK);
    CHECK(sup_wire_take(buf, n, &f, &used, &e) == SK_OK && used == n);
    CHECK(memcmp(&f.result, &empty, sizeof(empty)) == 0);

    /* External signing: an order left waiting for its certificate (issue 14). */
    sup_result waiting;
    memset(&waiting, 0, sizeof(waiting));
    waiting.awaiting_cert = true;
    CHECK(sup_wire_result(&waiting, buf, sizeof(buf), &n, &e) == SK_OK);
    CHECK(sup_wire_take(buf, n, &f, &used, &e) == SK_OK && used == n);
    CHECK(f.result.awaiting_cert && !f.result.already_issued);

    /* A certificate capped at the issuing CA's notAfter, and that date (issue 16). */
    sup_result capped;
    memset(&capped, 0, sizeof(capped));
    capped.validity_capped = true;
    snprintf(capped.not_after, sizeof(capped.not_after), "2027-03-11T08:00:00Z");
    CHECK(sup_wire_result(&capped, buf, sizeof(buf), &n, &e) == SK_OK);
    CHECK(sup_wire_take(buf, n, &f, &used, &e) == SK_OK && used == n);
    CHECK(memcmp(&f.result, &capped, sizeof(capped)) == 0);

    /* Steps then a result in one read; every cut short of a whole frame waits for more. */
    size_t at = 0, k;
    for (int s = ISS_RESERVED; s <= ISS_VERIFIED; s++) {
        CHECK(sup_wire_step((iss_step)s, buf + at, sizeof(buf) - at, &k, &e) == SK_OK);
        at += k;
    }
    CHECK(sup_wire_result(&empty, buf + at, sizeof(buf) - at, &k, &e) == SK_OK);
    at += k;
    for (size_t cut = 0; cut < 4; cut++)
        CHECK(sup_wire_take(buf, cut, &f, &used, &e) == SK_OK && used == 0);
    size_t off = 0;
    for (int s = ISS_RESERVED; s <= ISS_VERIFIED; s++) {
        CHECK(sup_wire_take(buf + off, at - off, &f, &used, &e) == SK_OK && used == 4);
        CHECK(f.kind == SUP_FRAME_STEP && f.step == (iss_step)s);
        off += used;
    }
    CHECK(sup_wire_take(buf + off, at - off - 1, &f, &used, &e) == SK_OK && used == 0);
    CHECK(sup_wire_take(buf + off, at - off, &f, &used, &e) == SK_OK && used == at - off);
    CHECK(f.kind == SUP_FRAME_RESULT && f.result.status == SK_ETOKEN);

    /* What cannot be encoded is refused, not cut. */
    CHECK(sup_wire_step(ISS_FAILED, buf, sizeof(buf), &n, &e) == SK_EINTERNAL);
    r.status = 300;
    CHECK(sup_wire_result(&r, buf, sizeof(buf), &n, &e) == SK_EINTERNAL);
    r.status = SK_OK;
    CHECK(sup_wire_result(&r, buf, SUP_WIRE_MAX - 1, &n, &e) == SK_EINTERNAL);
}

/* A frame changed by edit(buf) is refused with a message containing want. */
static void refused(void (*edit)(unsigned char *buf, size_t *n), const char *want)
{
    unsigned char buf[SUP_WIRE_MAX + 16];
    sup_result r;
    sup_frame f;
    size_t n = 0, used = 99;
    sk_err e;

    memset(&r, 0, sizeof(r));
    snprintf(r.token_serial, sizeof(r.token_serial), "0123456789abcdef");
    snprintf(r.cert_serial, sizeof(r.cert_serial), "ABCDEF");
    CHECK(sup_wire_result(&r, buf, sizeof(buf), &n, &e) == SK_OK);
    edit(buf, &n);
    sk_err_clear(&e);
    CHECK_MSG(sup_wire_take(buf, n, &f, &used, &e) == SK_EINPUT, "edit for '%s' accepted", want);
    CHECK(used == 0);
    CHECK_CONTAINS(e.msg, want);
}

static void bad_kind(unsigned char *b, size_t *n) { b[0] = 'X'; (void)n; }
/* Bits 0 to 2 are already_issued, awaiting_cert and validity_capped; bit 3 is nothing. */
static void bad_flags(unsigned char *b, size_t *n) { b[4] = 8; (void)n; }
static void bad_seals(unsigned char *b, size_t *n) { b[5] = 3; (void)n; }
static void nul_in_serial(unsigned char *b, size_t *n) { b[8 + 3] = '\0'; (void)n; }
/* token_serial claims 40 bytes: more than its field holds (39 and the NUL). */
static void serial_too_long(unsigned char *b, size_t *n)
{
    unsigned char big[SUP_WIRE_MAX];
    size_t len = *n - 8 - 16, payload;

    memcpy(big, b + 8 + 16, len);
    b[6] = 0;
    b[7] = 40;
    memset(b + 8, 'f', 40);
    memcpy(b + 8 + 40, big, len);
    *n += 24;
    payload = *n - 3;
    b[1] = (unsigned char)(payload >> 8);
    b[2] = (unsigned char)payload;
}
/* One byte more in the payload than its strings take. */
static void left_over(unsigned char *b, size_t *n)
{
    size_t payload = *n - 3 + 1;

    b[(*n)++] = 'z';
    b[1] = (unsigned char)(payload >> 8);
    b[2] = (unsigned char)payload;
}
static void huge(unsigned char *b, size_t *n) { b[1] = 0xff; b[2] = 0xff; (void)n; }

static void test_refusals(void)
{
    refused(bad_kind, "unknown kind 0x58");
    refused(bad_flags, "flags 8");
    refused(bad_seals, "3 seals");
    refused(nul_in_serial, "token_serial: holds a NUL byte");
    refused(serial_too_long, "token_serial: 40 bytes, at most 39");
    refused(left_over, "1 bytes left over");
    refused(huge, "65538 bytes, at most");
}

/* ---- workers ---- */

struct seen {
    int steps, limits, settled;
    char limit[256];
};

static void on_event(void *ctx, const sup_event *ev)
{
    struct seen *s = ctx;

    s->steps += ev->kind == SUP_EV_STEP;
    if (ev->kind == SUP_EV_LIMIT) {
        s->limits++;
        snprintf(s->limit, sizeof(s->limit), "%s", ev->message);
    }
}

static sup *new_sup(long order_timeout, int key_generated_limit, struct seen *seen)
{
    station_config *st = calloc(1, sizeof(*st));
    sup_config cfg = {.operator_name = "tester",
                      .order_timeout = order_timeout,
                      .on_event = on_event,
                      .ctx = seen};
    sup *s = NULL;
    sk_err e;

    if (st == NULL)
        abort();
    st->timeouts.order = 600;
    st->timeouts.step[ISS_KEY_GENERATED] = key_generated_limit;
    memset(seen, 0, sizeof(*seen));
    CHECK(sup_new(st, &cfg, &s, &e) == SK_OK);
    return s;
}

/* Run fn in a worker and supervise it to its end (at most 10 s). */
static void supervise(sup *s, sup_work_fn fn, void *arg, double stop_after, sup_report *rep)
{
    sup_worker w;
    sk_err e;
    double t0;
    bool ended = false;

    memset(rep, 0, sizeof(*rep));
    CHECK(sup_worker_spawn(s, &w, "T-0001", fn, arg, &e) == SK_OK);
    t0 = sup_now();
    while (!ended && sup_now() - t0 < 10) {
        struct timespec nap = {0, 10 * 1000 * 1000};
        if ((ended = sup_worker_reap(s, &w, rep)))
            break;
        if (stop_after > 0 && sup_now() - t0 > stop_after)
            sup_worker_stop(&w, 1.0);
        sup_worker_poll(s, &w);
        nanosleep(&nap, NULL);
    }
    CHECK(ended);
    if (!ended)
        sup_worker_kill(&w);
    if (w.fd >= 0)
        close(w.fd);
}

/* Records two steps, then hangs in key generation. */
static int hangs_in_keygen(sup *s, void *arg, int fd, sup_result *r)
{
    (void)s, (void)arg, (void)r;
    sup_worker_send_step(&fd, ISS_RESERVED);
    sup_worker_send_step(&fd, ISS_TOKEN_INITIALISED);
    sleep(10);
    return SK_OK;
}

static int issues(sup *s, void *arg, int fd, sup_result *r)
{
    (void)s, (void)arg;
    for (int k = ISS_RESERVED; k <= ISS_VERIFIED; k++)
        sup_worker_send_step(&fd, (iss_step)k);
    snprintf(r->token_serial, sizeof(r->token_serial), "0123456789abcdef");
    snprintf(r->cert_serial, sizeof(r->cert_serial), "0A1B2C");
    r->n_seals = 1;
    snprintf(r->seal_ids[0], sizeof(r->seal_ids[0]), "seal-1");
    return SK_OK;
}

static int fails_with(sup *s, void *arg, int fd, sup_result *r)
{
    (void)s, (void)fd;
    snprintf(r->message, sizeof(r->message), "order T-0001: it went wrong");
    return *(const int *)arg;
}

static int writes_garbage(sup *s, void *arg, int fd, sup_result *r)
{
    (void)s, (void)arg, (void)r;
    if (write(fd, "step key_generated\n", 19) != 19)
        return SK_EINTERNAL;
    return SK_OK;
}

static void test_step_limit(void)
{
    struct seen seen;
    sup *s = new_sup(0, 1, &seen);
    sup_report rep;

    supervise(s, hangs_in_keygen, NULL, 0, &rep);
    CHECK(rep.outcome == SUP_FAILED);
    CHECK(rep.limit);
    CHECK(rep.result.status == SK_ETOKEN);
    CHECK(strcmp(rep.result.message, "timed out: step key_generated took over 1 s "
                                     "(timeouts.key_generated in station.json)") == 0);
    CHECK(strcmp(seen.limit, rep.result.message) == 0);
    CHECK(seen.steps == 2 && seen.limits == 1);
    CHECK(rep.seconds > 1.0 && rep.seconds < 5.0);
    sup_free(s);
}

static void test_order_limit(void)
{
    struct seen seen;
    sup *s = new_sup(1, 0, &seen);
    sup_report rep;

    supervise(s, hangs_in_keygen, NULL, 0, &rep);
    CHECK(rep.outcome == SUP_FAILED && rep.limit && rep.result.status == SK_ETOKEN);
    CHECK_CONTAINS(rep.result.message, "timed out: the order took over 1 s (--order-timeout)");
    sup_free(s);
}

static void test_results(void)
{
    static const sup_policy station = {.max_attempts = 3, .requeue_elsewhere = true};
    static const sup_policy batch = {.max_attempts = 1, .requeue_elsewhere = false};
    struct seen seen;
    sup *s = new_sup(0, 0, &seen);
    sup_report rep;
    int code, tries = 0;

    supervise(s, issues, NULL, 0, &rep);
    CHECK(rep.outcome == SUP_ISSUED && rep.result.status == SK_OK && !rep.limit);
    CHECK(strcmp(rep.order, "T-0001") == 0);
    CHECK(strcmp(rep.result.token_serial, "0123456789abcdef") == 0);
    CHECK(strcmp(rep.result.cert_serial, "0A1B2C") == 0);
    CHECK(rep.result.n_seals == 1 && strcmp(rep.result.seal_ids[0], "seal-1") == 0);
    CHECK(seen.steps == ISS_VERIFIED + 1);
    CHECK(sup_policy_next(&station, &rep, &tries) == SUP_NEXT_DONE);

    code = SK_EBUSY;
    supervise(s, fails_with, &code, 0, &rep);
    CHECK(rep.outcome == SUP_ELSEWHERE && rep.result.status == SK_EBUSY);
    CHECK(sup_policy_next(&station, &rep, &tries) == SUP_NEXT_BACK);
    CHECK(sup_policy_next(&batch, &rep, &tries) == SUP_NEXT_DONE);

    /* Bad input is dropped at once; a token error gets three tries at a station, one in a
     * batch. */
    code = SK_EINPUT;
    supervise(s, fails_with, &code, 0, &rep);
    CHECK(rep.outcome == SUP_FAILED && rep.result.status == SK_EINPUT);
    CHECK(strcmp(rep.result.message, "order T-0001: it went wrong") == 0);
    CHECK(sup_policy_next(&station, &rep, &tries) == SUP_NEXT_DROPPED);
    code = SK_ETOKEN;
    supervise(s, fails_with, &code, 0, &rep);
    tries = 0;
    CHECK(sup_policy_next(&station, &rep, &tries) == SUP_NEXT_BACK);
    CHECK(sup_policy_next(&station, &rep, &tries) == SUP_NEXT_BACK);
    CHECK(sup_policy_next(&station, &rep, &tries) == SUP_NEXT_DROPPED);
    tries = 0;
    CHECK(sup_policy_next(&batch, &rep, &tries) == SUP_NEXT_DROPPED);

    /* A worker that talks in anything but frames has no result, even when it exits 0. */
    supervise(s, writes_garbage, NULL, 0, &rep);
    CHECK(rep.outcome == SUP_FAILED && rep.result.status == SK_EINTERNAL);
    CHECK_CONTAINS(rep.result.message, "worker ended without a result: worker frame: unknown kind");

    /* Stopped on purpose (SIGTERM): back to the front of the queue. */
    supervise(s, hangs_in_keygen, NULL, 0.2, &rep);
    CHECK(rep.outcome == SUP_STOPPED);
    CHECK(sup_policy_next(&station, &rep, &tries) == SUP_NEXT_FRONT);
    sup_free(s);
}

int main(void)
{
    test_round_trip();
    test_refusals();
    test_results();
    test_step_limit();
    test_order_limit();
    TEST_DONE();
}
