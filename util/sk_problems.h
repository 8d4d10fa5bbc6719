/* A list of problems found in an input, for commands that report all of them at once. */
#ifndef SK_PROBLEMS_H
#define SK_PROBLEMS_H

#include <stddef.h>

typedef struct sk_problems {
    char **msgs;
    size_t n;
    size_t cap;
} sk_problems;

void sk_problems_init(sk_problems *p);
void sk_problems_free(sk_problems *p);
/* Add one formatted message (truncated at 1 KiB). Aborts when memory runs out: a checker
 * that silently dropped a problem would pass bad input. */
void sk_problems_add(sk_problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
