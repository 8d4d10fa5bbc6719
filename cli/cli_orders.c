#include "cli/cli_orders.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *cli_order_problem(const sk_problems *probs, const order *o)
{
    char label[128];
    size_t llen;

    order_label(o, label, sizeof(label));
    llen = strlen(label);
    for (size_t k = 0; k < probs->n; k++) {
        const char *m = probs->msgs[k] ? strstr(probs->msgs[k], label) : NULL;
        /* The label must end there: order JX-1 is not order JX-10. */
        if (m != NULL && (m[llen] == ':' || m[llen] == '\0'))
            return probs->msgs[k];
    }
    return NULL;
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
