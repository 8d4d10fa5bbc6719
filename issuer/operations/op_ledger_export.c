/* The ledger export operation (issuer/operations/operations.h): the station's ledger and audit log
 * as one document, for moving a station into a shared ledger (docs/ledger.md). */
#include "issuer/operations/operations.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int add_line(void *arg, const char *line)
{
    return json_array_append_new(arg, json_string(line));
}

/* Certificates and the operators' names: private, and never over an existing file. */
static int write_new(const char *path, const char *text, sk_err *e)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return sk_err_set(e, SK_EIO, "%s: cannot create: %s", path, strerror(errno));
    if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        int err = errno;
        close(fd);
        unlink(path);
        return sk_err_set(e, SK_EIO, "%s: write failed: %s", path, strerror(err));
    }
    close(fd);
    return SK_OK;
}

int op_ledger_export(const op_env *env, const char *out_path, char **text,
                     op_export_result *r, sk_err *e)
{
    char *tables = NULL, *out = NULL;
    json_t *doc = NULL, *lines = json_array();
    json_error_t jerr;
    size_t n = 0;
    int ret;

    *text = NULL;
    memset(r, 0, sizeof(*r));
    if ((ret = ledger_export(env->ledger, &tables, e)) != SK_OK)
        goto out;
    if ((doc = json_loads(tables, 0, &jerr)) == NULL || lines == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "export: %s", jerr.text);
        goto out;
    }
    /* A shared ledger's records stay where they are; a file log travels with its ledger. */
    if ((ret = audit_export_lines(env->audit, add_line, lines, &n, e)) != SK_OK) {
        sk_err_wrap(e, "audit log not exported");
        goto out;
    }
    if (json_object_set_new(doc, "station", json_string(env->st->station_id)) != 0 ||
        json_object_set(doc, "audit", lines) != 0 ||
        (out = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "export: out of memory");
        goto out;
    }
    if (out_path != NULL && (ret = write_new(out_path, out, e)) != SK_OK)
        goto out;
    r->issuances = json_array_size(json_object_get(json_object_get(doc, "tables"), "issuances"));
    r->audit_records = json_array_size(lines);
    if (out_path == NULL) {
        *text = out;
        out = NULL;
    }
out:
    free(out);
    free(tables);
    json_decref(lines);
    json_decref(doc);
    return ret;
}
