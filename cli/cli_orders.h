/* Small pieces the order-queue commands (batch, station) share. */
#ifndef SK_CLI_ORDERS_H
#define SK_CLI_ORDERS_H

#include "issuer/orders/order.h"
#include "util/sk_problems.h"

/* The text of the first problem in probs about order o (its order field is o's label:
 * JX-1's problems are not JX-10's), or NULL when o has none. */
const char *cli_order_problem(const sk_problems *probs, const order *o);

/* A whole decimal number in [lo, hi]; -1 for anything else. */
int cli_parse_long(const char *s, long lo, long hi, long *out);

#endif
