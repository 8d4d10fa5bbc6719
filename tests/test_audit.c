/* The audit log library: appending, reading back, limits, and refusing to append where an
 * append would cover up damage. Tampering with a written log is tests/audit_cli.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer/records/audit.h"
#include "tests/test.h"
#include "util/sk_file.h"

typedef struct seen {
    size_t n;
    unsigned long long last_seq;
    char first_prev[80];
    char last_detail[256];
    char last_order[64];
} seen;

static int visit(const audit_record *r, void *arg)
{
    seen *s = arg;

    if (s->n++ == 0)
        snprintf(s->first_prev, sizeof(s->first_prev), "%s", r->prev);
    s->last_seq = r->seq;
    snprintf(s->last_detail, sizeof(s->last_detail), "%s", r->detail);
    snprintf(s->last_order, sizeof(s->last_order), "%s", r->order);
    return 0;
}

static int stop_at_2(const audit_record *r, void *arg)
{
    return r->seq == 2 ? 42 : 0;
}

static int append(audit_sink *sink, audit_ev event, audit_result result, const char *detail,
                  sk_err *e)
{
    audit_event ev = {.event = event, .order = "JX2026-000101", .cert_serial = "0A1B",
                      .result = result, .detail = detail};

    return audit_append(sink, &ev, e);
}

static int verify(audit_sink *sink, size_t *n, sk_err *e)
{
    return audit_foreach(sink, NULL, NULL, n, NULL, e);
}

/* The names in logs written since the first sealkey: a record's hash covers its event's
 * name, so none may ever change. */
static void event_names(void)
{
    static const char *const names[AUDIT_EV_COUNT] = {
        "ca_init", "serial_reserved", "token_initialised", "key_generated", "cert_issued",
        "seal_made", "written", "verified", "revoked", "exported", "issuance_failed",
        "crl_issued", "shipped", "cert_held", "cert_released", "token_lost", "pin_unblocked",
        "cert_requested"};

    for (int i = 0; i < AUDIT_EV_COUNT; i++) {
        CHECK_MSG(audit_ev_name((audit_ev)i) != NULL && strcmp(audit_ev_name((audit_ev)i),
                                                               names[i]) == 0,
                  "event %d is '%s', want '%s'", i, audit_ev_name((audit_ev)i), names[i]);
        CHECK(audit_ev_from_name(names[i]) == i);
    }
    CHECK(audit_ev_name(AUDIT_EV_COUNT) == NULL && audit_ev_name((audit_ev)-1) == NULL);
    CHECK(audit_ev_from_name("Key Generated") == -1 && audit_ev_from_name(NULL) == -1);
}

int main(void)
{
    char dir[] = "/tmp/sk-audit.XXXXXX", path[512], cmd[600];
    char big[AUDIT_DETAIL_MAX + 2];
    size_t n = 99;
    seen s = {0};
    sk_err e;
    struct stat stt;
    audit_sink *sink = NULL;

    if (mkdtemp(dir) == NULL)
        return 2;
    sk_err_clear(&e);
    event_names();
    /* A log of its own, no station config and no ledger: opening reads nothing. */
    audit_place place = {.dir = dir, .station_id = "JX-NC-01"};
    CHECK_MSG(audit_sink_open(&place, NULL, "tester", &sink, &e) == SK_OK, "%s", e.msg);
    CHECK(!audit_sink_shared(sink));

    /* No log yet: nothing to check, and that is fine. */
    CHECK(verify(sink, &n, &e) == SK_OK && n == 0);

    CHECK_MSG(append(sink, AUDIT_EV_CA_INIT, AUDIT_OK, "", &e) == SK_OK, "%s", e.msg);
    CHECK(append(sink, AUDIT_EV_SERIAL_RESERVED, AUDIT_OK, NULL, &e) == SK_OK);
    CHECK(append(sink, AUDIT_EV_ISSUANCE_FAILED, AUDIT_FAILED,
                 "C_GenerateKeyPair: CKR_DEVICE_MEMORY (token is full)\nsecond line", &e) ==
          SK_OK);
    CHECK_MSG(verify(sink, &n, &e) == SK_OK, "%s", e.msg);
    CHECK(n == 3);
    CHECK(audit_foreach(sink, visit, &s, &n, NULL, &e) == SK_OK);
    CHECK(s.n == 3 && s.last_seq == 3);
    CHECK(strspn(s.first_prev, "0") == 64 && strlen(s.first_prev) == 64);
    CHECK_CONTAINS(s.last_detail, "token is full)\nsecond");
    CHECK(strcmp(s.last_order, "JX2026-000101") == 0);

    snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_LOG_NAME);
    CHECK(stat(path, &stt) == 0 && (stt.st_mode & 0777) == 0600);
    snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_HEAD_NAME);
    CHECK(stat(path, &stt) == 0 && (stt.st_mode & 0777) == 0600);

    /* Bad records are refused, and nothing is written. */
    CHECK(append(sink, AUDIT_EV_COUNT, AUDIT_OK, "", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "event");
    CHECK(append(sink, AUDIT_EV_VERIFIED, (audit_result)7, "", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "result");
    CHECK(append(sink, AUDIT_EV_VERIFIED, AUDIT_OK, "\xff\xfe", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "UTF-8");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK(append(sink, AUDIT_EV_VERIFIED, AUDIT_OK, big, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "detail is longer than 1024");
    CHECK(verify(sink, &n, &e) == SK_OK && n == 3);

    /* A visitor's non-zero answer stops the walk and is returned. */
    CHECK(audit_foreach(sink, stop_at_2, NULL, &n, NULL, &e) == 42 && n == 2);

    /* With audit.head gone, an append would make a cut log look whole: refused. */
    snprintf(cmd, sizeof(cmd), "%s.saved", path);
    CHECK(rename(path, cmd) == 0);
    CHECK(append(sink, AUDIT_EV_VERIFIED, AUDIT_OK, "", &e) == SK_EFAIL);
    CHECK_CONTAINS(e.msg, "audit.head is missing");
    CHECK(verify(sink, &n, &e) == SK_EFAIL);
    CHECK(rename(cmd, path) == 0);

    /* A torn last line (crash mid-write, or garbage) is not built upon. */
    snprintf(cmd, sizeof(cmd), "printf '{\"seq\":4,\"ti' >> '%s/%s'", dir, AUDIT_LOG_NAME);
    CHECK(system(cmd) == 0);
    CHECK(append(sink, AUDIT_EV_VERIFIED, AUDIT_OK, "", &e) == SK_EFAIL);
    CHECK_CONTAINS(e.msg, "incomplete");
    CHECK(verify(sink, &n, &e) == SK_EFAIL);
    CHECK_CONTAINS(e.msg, "line 4 (after record 3): incomplete last line");

    audit_sink_free(sink);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    TEST_DONE();
}
