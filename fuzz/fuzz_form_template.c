/* Form template descriptions (templates/form.h): form_template_load reads DIR/NAME.json.
 * A template that loads is also rendered with a few variables, since positions, fonts and
 * texts from the file only get used there. */
#include "fuzz/fuzz_util.h"
#include "templates/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    form_template *t = NULL;
    form_vars *v = NULL;
    unsigned char *pdf = NULL;
    size_t pdf_len = 0;
    sk_err e;

    sk_err_clear(&e);
    fuzz_write("fuzz.json", data, size);
    if (form_template_load(fuzz_dir(), "fuzz", &t, &e) != SK_OK)
        goto out;
    (void)form_template_id(t);
    if (form_vars_new(&v, &e) != SK_OK)
        goto out;
    (void)form_vars_set(v, "order.number", "JX2026-000101", &e);
    (void)form_vars_set(v, "unit.name", "江西赣鄱建设工程有限公司", &e);
    (void)form_vars_set(v, "station.id", "JX-01", &e);
    (void)form_render(t, v, "fuzz", &pdf, &pdf_len, &e);
out:
    free(pdf);
    form_vars_free(v);
    form_template_free(t);
    return 0;
}
