/* Order files (issuer/orders/order.h): order_file_load reads a path, so the input is written to
 * a file first; every order it returns is then validated as `sealkey order check` does.
 * Every problem must name one of the file's orders by its label and position, carry a kind,
 * and read "order LABEL: ..." (commands find an order's problems by that order field). */
#include "fuzz/fuzz_util.h"
#include "issuer/orders/order.h"

static void check_problem(const order_file *f, const sk_problem *p)
{
    char label[128];
    size_t n = strlen(p->order);

    if (p->code == SK_PROB_NONE || p->index == 0 || p->index > f->n)
        abort();
    order_label(&f->orders[p->index - 1], label, sizeof(label));
    if (strcmp(label, p->order) != 0 || strncmp(p->text, "order ", 6) != 0 ||
        strncmp(p->text + 6, p->order, n) != 0 || strncmp(p->text + 6 + n, ": ", 2) != 0)
        abort();
}

/* order_file_check's count of orders with problems is the number of positions named. */
static void check_bad_orders(const order_file *f, const sk_problems *probs, size_t bad)
{
    unsigned char *seen = calloc(f->n + 1, 1);
    size_t named = 0;

    if (seen == NULL)
        abort();
    for (size_t i = 0; i < probs->n; i++) {
        named += seen[probs->items[i].index] == 0;
        seen[probs->items[i].index] = 1;
    }
    free(seen);
    if (named != bad)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[640];
    order_file *f = NULL;
    sk_problems load, probs;
    sk_err e;
    size_t bad = 0;

    sk_problems_init(&load);
    sk_problems_init(&probs);
    sk_err_clear(&e);
    fuzz_write("orders.json", data, size);
    if (order_file_load(fuzz_path("orders.json", path, sizeof(path)), &f, &load, &e) == SK_OK) {
        char label[128];
        (void)order_file_check(f, NULL, &load, &probs, &bad);
        for (size_t i = 0; i < probs.n; i++)
            check_problem(f, &probs.items[i]);
        check_bad_orders(f, &probs, bad);
        for (size_t i = 0; i < f->n; i++) {
            const sk_problem *p;
            order_label(&f->orders[i], label, sizeof(label));
            p = sk_problems_find(&probs, label);
            if (p != NULL && strcmp(p->order, label) != 0)
                abort();
        }
        if (f->n > 0)
            (void)order_file_find(f, f->orders[0].number != NULL ? f->orders[0].number : "");
    }
    order_file_free(f);
    sk_problems_free(&load);
    sk_problems_free(&probs);
    return 0;
}
