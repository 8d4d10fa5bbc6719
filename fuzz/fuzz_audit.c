/* The audit log (issuer/records/audit.h): audit_foreach reads DIR/audit.log and DIR/audit.head. The
 * input is the log; if it holds a NUL byte, what follows the first one is audit.head, and
 * without one there is no head file (the state of a log cut before its first head write). */
#include "fuzz/fuzz_util.h"
#include "issuer/records/audit.h"

static int visit(const audit_record *r, void *arg)
{
    size_t *n = arg;

    /* Touch each field the way `sealkey audit show` prints it. */
    *n += strlen(r->time) + r->line;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    char head[640];
    size_t n = 0, sum = 0;
    audit_place place = {.dir = fuzz_dir(), .station_id = "FUZZ"};
    audit_sink *sink = NULL;
    sk_err e;

    sk_err_clear(&e);
    if (nul != NULL) {
        fuzz_write(AUDIT_LOG_NAME, data, (size_t)(nul - data));
        fuzz_write(AUDIT_HEAD_NAME, nul + 1, size - (size_t)(nul - data) - 1);
    } else {
        fuzz_write(AUDIT_LOG_NAME, data, size);
        unlink(fuzz_path(AUDIT_HEAD_NAME, head, sizeof(head)));
    }
    if (audit_sink_open(&place, NULL, NULL, &sink, &e) != SK_OK)
        return 0;
    (void)audit_foreach(sink, NULL, NULL, &n, NULL, &e);
    (void)audit_foreach(sink, visit, &sum, &n, NULL, &e);
    audit_sink_free(sink);
    return 0;
}
