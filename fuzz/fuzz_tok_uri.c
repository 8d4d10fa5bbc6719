/* RFC 7512 PKCS#11 URIs (pkcs11/tok.h), from station.json and the command line. */
#include "fuzz/fuzz_util.h"
#include "pkcs11/tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    tok_uri u;
    sk_err e;

    sk_err_clear(&e);
    (void)tok_uri_parse(s, &u, &e);
    free(s);
    return 0;
}
