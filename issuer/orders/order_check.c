/* Validating orders: the content rules of docs/orders.md, one message per problem. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "issuer/orders/order.h"
#include "issuer/orders/order_fields.h"

/* The order being checked, and where its problems go. */
typedef struct checker {
    sk_problems *probs;
    char label[64]; /* order_label */
    size_t index;
    size_t count; /* problems found so far */
} checker;

static void report(checker *c, const char *path, enum sk_problem_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(checker *c, const char *path, enum sk_problem_code code, const char *fmt, ...)
{
    char why[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    sk_problems_add(c->probs, c->label, c->index, path, code, "%s", why);
    c->count++;
}

static bool upper_alnum(const char *s, size_t lo, size_t hi)
{
    size_t n = strlen(s);

    if (n < lo || n > hi)
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static void project_codes(const station_config *st, char *buf, size_t buflen)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < st->n_projects && used + 1 < buflen; i++) {
        int n = snprintf(buf + used, buflen - used, "%s%s", i ? ", " : "", st->projects[i].code);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* The seed allows jpeg/jpg/png/bmp scans of at most 1 MB each. Symlinks are refused like
 * "..": they would lead outside the order file's directory. */
static void check_scan(checker *c, const char *path, const char *field)
{
    static const char *const exts[] = {".jpg", ".jpeg", ".png", ".bmp", NULL};
    const char *dot = strrchr(path, '.');
    bool ext_ok = false;
    struct stat sb;

    for (size_t i = 0; exts[i] != NULL && dot != NULL; i++)
        ext_ok = ext_ok || strcasecmp(dot, exts[i]) == 0;
    if (!ext_ok) {
        report(c, field, SK_PROB_SCAN, "'%s' is not a .jpg, .jpeg, .png or .bmp file", path);
        return;
    }
    if (lstat(path, &sb) != 0) {
        report(c, field, SK_PROB_SCAN, "'%s' does not exist", path);
        return;
    }
    if (!S_ISREG(sb.st_mode))
        report(c, field, SK_PROB_SCAN, "'%s' is not a regular file", path);
    else if (sb.st_size == 0)
        report(c, field, SK_PROB_SCAN, "'%s' is empty", path);
    else if ((unsigned long long)sb.st_size > ORDER_SCAN_MAX_BYTES)
        report(c, field, SK_PROB_SCAN, "'%s' is %lld bytes, the limit for a scan is %u", path,
               (long long)sb.st_size, ORDER_SCAN_MAX_BYTES);
}

static void check_field(checker *c, const order *o, const order_field *f, const station_config *st)
{
    const char *v = f->kind == OK_AMOUNT ? NULL : order_value(o, f);
    char path[64];
    char why[512];
    enum sk_problem_code code;

    order_field_path(f, path, sizeof(path));
    if (f->kind == OK_AMOUNT) {
        if (o->payment_amount_fen == ORDER_AMOUNT_ABSENT)
            report(c, path, SK_PROB_MISSING, "missing");
        else if (o->payment_amount_fen <= 0)
            report(c, path, SK_PROB_BAD_VALUE, "is zero; a paid order has a positive amount");
        return;
    }
    if (v == NULL) {
        if (f->required)
            report(c, path, SK_PROB_MISSING, "missing");
        return;
    }
    why[0] = '\0';
    switch (f->kind) {
    case OK_NUMBER:
    case OK_USCC:
    case OK_RESID:
    case OK_MOBILE:
    case OK_EMAIL:
    case OK_TAXNO:
        if ((code = order_id_check(f->kind, v, why, sizeof(why))) != SK_PROB_NONE)
            report(c, path, code, "'%s': %s", v, why);
        return;
    case OK_PROJECT:
        if (!upper_alnum(v, 1, 16)) {
            report(c, path, SK_PROB_BAD_FORMAT, "'%s' is not 1-16 characters of A-Z and 0-9", v);
        } else if (st != NULL && station_project_find(st, v) == NULL) {
            char codes[256];
            project_codes(st, codes, sizeof(codes));
            report(c, path, SK_PROB_UNKNOWN_PROJECT, "'%s' is not a project of station %s (%s)", v,
                   st->station_id, codes);
        }
        return;
    case OK_CHANNEL:
        if (strcmp(v, "wechat") != 0 && strcmp(v, "alipay") != 0)
            report(c, path, SK_PROB_BAD_VALUE, "'%s' is not a payment channel (wechat or alipay)",
                   v);
        return;
    case OK_STATUS:
        if (strcmp(v, "approved") != 0)
            report(c, path, SK_PROB_NOT_APPROVED, "is '%s'; only approved orders are issued", v);
        return;
    case OK_TRACKING:
        if (!upper_alnum(v, 6, 32))
            report(c, path, SK_PROB_BAD_FORMAT, "'%s' is not 6-32 characters of A-Z and 0-9", v);
        return;
    case OK_SCAN: check_scan(c, v, path); return;
    default: return;
    }
}

size_t order_validate(const order *o, const station_config *st, sk_problems *probs)
{
    checker c = {.probs = probs, .index = o->index, .count = 0};

    order_label(o, c.label, sizeof(c.label));
    for (size_t i = 0; i < order_n_fields; i++)
        if (((o->load_bad >> i) & 1) == 0)
            check_field(&c, o, &order_fields[i], st);
    return c.count;
}

static int by_number(const void *a, const void *b)
{
    const order *x = *(const order *const *)a, *y = *(const order *const *)b;
    int c = strcmp(x->number, y->number);

    if (c != 0)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Sorting finds duplicates in n log n: a file of 50,000 orders must not take n^2. */
static size_t check_duplicates(const order_file *f, size_t *counts, sk_problems *probs)
{
    const order **v = NULL;
    size_t n = 0, total = 0;

    if (f->n < 2)
        return 0;
    v = malloc(f->n * sizeof(*v));
    /* Like sk_problems_add: a checker that skipped this check would pass bad input. */
    if (v == NULL)
        abort();
    for (size_t i = 0; i < f->n; i++)
        if (f->orders[i].number != NULL)
            v[n++] = &f->orders[i];
    qsort(v, n, sizeof(*v), by_number);
    for (size_t i = 1; i < n; i++) {
        size_t first = i - 1;
        char label[64];
        if (strcmp(v[i]->number, v[i - 1]->number) != 0)
            continue;
        while (first > 0 && strcmp(v[first - 1]->number, v[i]->number) == 0)
            first--;
        order_label(v[i], label, sizeof(label));
        sk_problems_add(probs, label, v[i]->index, "order_number", SK_PROB_DUPLICATE,
                        "order #%zu (line %zu) repeats the number of order #%zu (line %zu)",
                        v[i]->index, v[i]->line, v[first]->index, v[first]->line);
        total++;
        if (counts != NULL)
            counts[v[i] - f->orders]++;
    }
    free(v);
    return total;
}

size_t order_file_check(const order_file *f, const station_config *st,
                        const sk_problems *load_probs, sk_problems *probs, size_t *bad_orders)
{
    size_t total = 0, bad = 0, next_load = 0;
    size_t *counts = NULL;

    if (f->n > 0) {
        counts = calloc(f->n, sizeof(*counts));
        if (counts == NULL)
            abort();
    }
    for (size_t i = 0; i < f->n; i++) {
        /* The loader added problems order by order, so they come off the list in turn. */
        for (size_t k = 0; load_probs != NULL && k < f->orders[i].load_problems &&
                           next_load < load_probs->n; k++)
            sk_problems_copy(probs, &load_probs->items[next_load++]);
        counts[i] = f->orders[i].load_problems + order_validate(&f->orders[i], st, probs);
        total += counts[i];
    }
    total += check_duplicates(f, counts, probs);
    for (size_t i = 0; i < f->n; i++)
        bad += counts[i] > 0;
    if (bad_orders != NULL)
        *bad_orders = bad;
    free(counts);
    return total;
}

size_t order_file_validate(const order_file *f, const station_config *st, sk_problems *probs)
{
    size_t total = 0;

    for (size_t i = 0; i < f->n; i++)
        total += order_validate(&f->orders[i], st, probs);
    return total + check_duplicates(f, NULL, probs);
}
