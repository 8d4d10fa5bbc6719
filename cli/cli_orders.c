#include "cli/cli_orders.h"

#include <errno.h>
#include <stdlib.h>

const char *cli_order_problem(const sk_problems *probs, const order *o)
{
    char label[64];
    const sk_problem *p;

    order_label(o, label, sizeof(label));
    p = sk_problems_find(probs, label);
    return p != NULL ? p->text : NULL;
}

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}
