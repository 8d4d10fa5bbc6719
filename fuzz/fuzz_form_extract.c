/* Scanned seal-collection forms (templates/form.h form_extract): the QR code, the four
 * registration marks and the seal boxes, read from a scan file with the built-in templates. */
#include "fuzz/fuzz_util.h"
#include "templates/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[640];
    form_extract_result r;
    sk_err e;

    sk_err_clear(&e);
    memset(&r, 0, sizeof(r));
    fuzz_write("scan", data, size);
    (void)form_extract(form_template_dir(NULL), fuzz_path("scan", path, sizeof(path)), NULL, 0,
                       &r, &e);
    form_extract_result_clear(&r);
    return 0;
}
