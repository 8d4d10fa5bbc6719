/* Dates and times given on the command line (util/sk_time.h): export --since, seal verify
 * --at. What it accepts must format back and parse to the same instant. */
#include "fuzz/fuzz_util.h"
#include "util/sk_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char text[SK_TIME_TEXT];
    time_t t = 0, back = 0;
    sk_err e;

    sk_err_clear(&e);
    if (sk_time_parse("--since", s, &t, &e) == SK_OK) {
        sk_time_format(t, text, sizeof(text));
        if (strcmp(text, "?") != 0 && (sk_time_parse("--since", text, &back, &e) != SK_OK ||
                                      back != t))
            abort();
    }
    free(s);
    return 0;
}
