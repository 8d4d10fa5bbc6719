/* The rules' SQL on a driver: the dialect's words filled in, the statement run, its rows
 * read, transactions (issuer/records/ledger_driver.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/ledger_int.h"

/* The dialect's text for a {word}, or NULL if it is none. */
static const char *word(const struct ledger_driver *d, const char *s, size_t *len)
{
    static const char *const names[] = {"{now}", "{for_update}", "{insert_order}"};
    const char *const vals[] = {d->now, d->for_update, d->insert_order};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        *len = strlen(names[i]);
        if (strncmp(s, names[i], *len) == 0)
            return vals[i];
    }
    return NULL;
}

/* The rules' SQL in the driver's dialect, in the manner of snprintf: writes at most cap
 * bytes (cap 0: none) and returns the length of the whole, or -1 for an unknown {word}.
 * Quoted literals are copied as they are. */
static long rewrite(const struct ledger_driver *d, const char *sql, char *buf, size_t cap)
{
    size_t o = 0;
    int param = 0;
    bool quoted = false;

    for (const char *s = sql; *s != '\0'; s++) {
        char num[16];
        const char *put = NULL;
        size_t skip = 0;

        if (*s == '\'')
            quoted = !quoted;
        if (!quoted && *s == '?' && d->numbered_params) {
            snprintf(num, sizeof(num), "$%d", ++param);
            put = num;
        } else if (!quoted && *s == '{') {
            if ((put = word(d, s, &skip)) == NULL)
                return -1;
            s += skip - 1;
        }
        for (size_t k = 0, n = put != NULL ? strlen(put) : 1; k < n; k++, o++)
            if (o + 1 < cap)
                buf[o] = put != NULL ? put[k] : *s;
    }
    if (cap > 0)
        buf[o < cap ? o : cap - 1] = '\0';
    return (long)o;
}

int ledger_sql(ledger *l, const char *sql, const ledger_param *p, int n, const char *what,
               struct ledger_result **res, ledger_failure *failed, sk_err *e)
{
    struct ledger_result *r = NULL;
    long need = rewrite(l->drv, sql, NULL, 0);
    char *text = NULL;
    int ret;

    if (res != NULL)
        *res = NULL;
    if (failed != NULL)
        *failed = LEDGER_FAILED;
    if (need < 0)
        return sk_err_set(e, SK_EINTERNAL, "ledger %s: %s: unknown word in the statement",
                          l->where, what);
    if ((text = malloc((size_t)need + 1)) == NULL)
        return sk_err_set(e, SK_ELEDGER, "ledger %s: out of memory", l->where);
    rewrite(l->drv, sql, text, (size_t)need + 1);
    ret = l->drv->exec(l->db, text, p, n, what, &r, failed, e);
    free(text);
    if (ret == SK_OK && res != NULL) {
        *res = r;
        r = NULL;
    }
    ledger_done(l, r);
    return ret;
}

void ledger_done(ledger *l, struct ledger_result *r)
{
    if (r != NULL)
        l->drv->result_free(r);
}

int ledger_tx_begin(ledger *l, ledger_tx tx, const char *what, sk_err *e)
{
    return l->drv->begin(l->db, tx, what, e);
}

int ledger_tx_end(ledger *l, int ret, sk_err *e)
{
    if (ret == SK_OK && (ret = l->drv->commit(l->db, e)) == SK_OK)
        return SK_OK;
    l->drv->rollback(l->db);
    return ret;
}

void ledger_tx_rollback(ledger *l)
{
    l->drv->rollback(l->db);
}

int ledger_rows(ledger *l, const struct ledger_result *r)
{
    return r != NULL ? l->drv->rows(r) : 0;
}

const char *ledger_text(ledger *l, const struct ledger_result *r, int row, int col)
{
    return l->drv->text(r, row, col);
}

long long ledger_num(ledger *l, const struct ledger_result *r, int row, int col)
{
    return l->drv->num(r, row, col);
}

ledger_col ledger_kind(ledger *l, const struct ledger_result *r, int row, int col)
{
    return l->drv->kind(r, row, col);
}

void ledger_copy(ledger *l, const struct ledger_result *r, int row, int col, char *buf,
                 size_t len)
{
    snprintf(buf, len, "%s", l->drv->text(r, row, col));
}
