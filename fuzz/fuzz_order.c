/* Order files (issuer/order.h): order_file_load reads a path, so the input is written to
 * a file first; every order it returns is then validated as `sealkey order check` does. */
#include "fuzz/fuzz_util.h"
#include "issuer/order.h"

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
        for (size_t i = 0; i < f->n; i++)
            order_label(&f->orders[i], label, sizeof(label));
        if (f->n > 0)
            (void)order_file_find(f, f->orders[0].number != NULL ? f->orders[0].number : "");
    }
    order_file_free(f);
    sk_problems_free(&load);
    sk_problems_free(&probs);
    return 0;
}
