/* Secret sources (util/sk_secret.h): "env:NAME", "file:PATH", "fd:N", "prompt". Only the
 * spec is parsed; nothing is read, so no input makes the harness open a file or a tty. */
#include "fuzz/fuzz_util.h"
#include "util/sk_secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    sk_secret_src src;
    sk_err e;

    sk_err_clear(&e);
    (void)sk_secret_src_parse(s, "fuzz", &src, &e);
    free(s);
    return 0;
}
