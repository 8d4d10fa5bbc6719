#include "util/sk_problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sk_problems_init(sk_problems *p)
{
    p->msgs = NULL;
    p->n = 0;
    p->cap = 0;
}

void sk_problems_free(sk_problems *p)
{
    for (size_t i = 0; i < p->n && p->msgs != NULL; i++)
        free(p->msgs[i]);
    free(p->msgs);
    sk_problems_init(p);
}

void sk_problems_add(sk_problems *p, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        char **m = realloc(p->msgs, cap * sizeof(*m));
        /* Like git's xmalloc: a checker that silently drops a problem would pass bad input. */
        if (m == NULL)
            abort();
        p->msgs = m;
        p->cap = cap;
    }
    p->msgs[p->n] = strdup(buf);
    if (p->msgs[p->n] == NULL)
        abort();
    p->n++;
}
