/* A file log's lines as written, checked first, for moving it into a shared ledger. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/audit_int.h"

int audit_export_lines(audit_sink *s, audit_line_fn fn, void *arg, size_t *n, sk_err *e)
{
    char log[PATH_MAX], hd[PATH_MAX];
    size_t cap = 0, i;
    char *line = NULL;
    FILE *f = NULL;
    int ret;

    *n = 0;
    if (s->shared)
        return SK_OK;
    if ((ret = audit_foreach(s, NULL, NULL, n, NULL, e)) != SK_OK || *n == 0)
        return ret;
    if ((ret = audit_paths(s->dir, log, hd, e)) != SK_OK)
        return ret;
    if ((f = fopen(log, "re")) == NULL)
        return sk_err_set(e, SK_EIO, "%s: %s", log, strerror(errno));
    /* Only the records the check counted; anything appended since is not vouched for. */
    for (i = 0; i < *n && getline(&line, &cap, f) > 0; i++) {
        line[strcspn(line, "\n")] = '\0';
        if (fn(arg, line) != 0) {
            ret = sk_err_set(e, SK_EINPUT, "%s: line %zu: not UTF-8", log, i + 1);
            break;
        }
    }
    if (ret == SK_OK && i < *n)
        ret = sk_err_set(e, SK_EIO, "%s: the log ended before record %zu", log, i + 1);
    free(line);
    fclose(f);
    return ret;
}
