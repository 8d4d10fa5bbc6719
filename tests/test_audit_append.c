/* Helper for audit_cli.sh: append COUNT records tagged TAG to DIR's audit log, as one
 * process of several writing at once. Exit status: the first failure's code. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "issuer/records/audit.h"

int main(int argc, char **argv)
{
    char *end;
    long count;
    sk_err e;

    if (argc != 4) {
        fprintf(stderr, "usage: test_audit_append DIR COUNT TAG\n");
        return 2;
    }
    errno = 0;
    count = strtol(argv[2], &end, 10);
    if (errno != 0 || *end != '\0' || count < 1 || count > 100000) {
        fprintf(stderr, "test_audit_append: COUNT '%s' is not 1..100000\n", argv[2]);
        return 2;
    }
    sk_err_clear(&e);
    audit_place place = {.dir = argv[1], .station_id = "JX-NC-01"};
    audit_sink *sink = NULL;
    if (audit_sink_open(&place, NULL, "tester", &sink, &e) != SK_OK) {
        fprintf(stderr, "test_audit_append: %s\n", e.msg);
        return e.code;
    }
    for (long i = 0; i < count; i++) {
        char detail[64];
        audit_event ev = {.event = AUDIT_EV_KEY_GENERATED, .order = argv[3],
                          .token_serial = "0123456789abcdef", .result = AUDIT_OK,
                          .detail = detail};
        int ret;

        snprintf(detail, sizeof(detail), "%s #%ld", argv[3], i + 1);
        if ((ret = audit_append(sink, &ev, &e)) != SK_OK) {
            fprintf(stderr, "test_audit_append: %s\n", e.msg);
            audit_sink_free(sink);
            return ret;
        }
    }
    audit_sink_free(sink);
    return 0;
}
