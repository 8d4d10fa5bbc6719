/* The audit sink: where a station's records go, opened once from its loaded config, and
 * appending one record there. The record itself is audit_record.c's; the file log
 * audit_file.c's, the shared ledger's audit_shared.c's; reading back audit_verify.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/audit_int.h"

int audit_sink_open(const audit_place *p, ledger *l, const char *operator_name,
                    audit_sink **out, sk_err *e)
{
    audit_sink *s = NULL;
    const char *id = p->station_id != NULL ? p->station_id : "";
    int ret = SK_OK;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    s->l = l;
    s->shared = p->shared_uri != NULL;
    if (snprintf(s->dir, sizeof(s->dir), "%s", p->dir) >= (int)sizeof(s->dir)) {
        ret = sk_err_set(e, SK_EINPUT, "%s: path too long for the audit log", p->dir);
        goto out;
    }
    /* A shared log is kept per station id: it must have one that fits a record. */
    if (strlen(id) > AUDIT_FIELD_MAX || (s->shared && id[0] == '\0') ||
        (s->shared && snprintf(s->uri, sizeof(s->uri), "%s", p->shared_uri) >=
                          (int)sizeof(s->uri))) {
        ret = sk_err_set(e, SK_EINPUT, "%s: ledger or station_id missing or too long for the "
                         "audit log", p->dir);
        goto out;
    }
    snprintf(s->station_id, sizeof(s->station_id), "%s", id);
    if (operator_name != NULL && (s->operator_name = strdup(operator_name)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    *out = s;
    s = NULL;
out:
    audit_sink_free(s);
    return ret;
}

int audit_sink_open_station(const station_config *st, ledger *l, const char *operator_name,
                            audit_sink **out, sk_err *e)
{
    /* The same test as station_path's: a location with a scheme is not a file. */
    audit_place p = {.dir = st->dir,
                     .station_id = st->station_id,
                     .shared_uri = strstr(st->ledger, "://") != NULL ? st->ledger : NULL};

    return audit_sink_open(&p, l, operator_name, out, e);
}

void audit_sink_free(audit_sink *s)
{
    if (s == NULL)
        return;
    free(s->operator_name);
    free(s);
}

bool audit_sink_shared(const audit_sink *s)
{
    return s->shared;
}

int audit_append(audit_sink *s, const audit_event *ev, sk_err *e)
{
    int ret;

    /* The operator before the log is opened (and perhaps created): a refused record
     * leaves no trace. audit_record_build() checks it again for the shared ledger's path. */
    if ((ret = audit_event_check(ev, e)) != SK_OK ||
        (ret = audit_operator_check(s->operator_name, "audit record: operator", e)) != SK_OK)
        return ret;
    if (!s->shared)
        return audit_file_append(s->dir, s->station_id, s->operator_name, ev, s->l, e);
    return audit_db_append(s, ev, e);
}
