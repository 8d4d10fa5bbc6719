/* Duplicate order numbers across a file read as a stream (issuer/orders/order.h). */
#include <stdlib.h>
#include <string.h>

#include "issuer/orders/order.h"

/* FNV-1a: not a defence against crafted numbers, which the acceptance system assigns; an
 * attacker who can write the order file has easier ways to refuse an order. */
static unsigned long long hash(const char *s)
{
    unsigned long long h = 14695981039346656037ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int order_numbers_add(order_numbers *ns, const char *number, sk_err *e)
{
    if (number == NULL)
        return SK_OK;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 1024;
        unsigned long long *p = realloc(ns->h, cap * sizeof(*p));
        if (p == NULL)
            return sk_err_set(e, SK_EINTERNAL, "out of memory for order numbers");
        ns->h = p;
        ns->cap = cap;
    }
    ns->h[ns->n++] = hash(number);
    ns->sorted = false;
    return SK_OK;
}

static int cmp(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

    return x < y ? -1 : x > y;
}

size_t order_numbers_count(order_numbers *ns, const char *number)
{
    unsigned long long h;
    size_t lo = 0, hi = ns->n, count = 0;

    if (number == NULL || ns->n == 0)
        return 0;
    if (!ns->sorted) {
        qsort(ns->h, ns->n, sizeof(*ns->h), cmp);
        ns->sorted = true;
    }
    h = hash(number);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ns->h[mid] < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo + count < ns->n && ns->h[lo + count] == h)
        count++;
    return count;
}

void order_numbers_free(order_numbers *ns)
{
    free(ns->h);
    memset(ns, 0, sizeof(*ns));
}
