/* Seal scans (seal/pic.h) through the whole picture pipeline: decode (any format Leptonica
 * reads), quality gate, render. A small output side keeps each run fast; the first byte picks
 * the seal kind so both gates are reached. */
#include "fuzz/fuzz_util.h"
#include "seal/pic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *png = NULL;
    size_t png_len = 0;
    pic_opts o;
    pic_report r;
    sk_err e;

    if (size < 1)
        return 0;
    sk_err_clear(&e);
    pic_opts_init(&o, (data[0] & 1) ? PIC_LEGAL_REP : PIC_OFFICIAL);
    o.out_px = 64;
    memset(&r, 0, sizeof(r));
    (void)pic_convert_mem(data + 1, size - 1, "fuzz", &o, &png, &png_len, &r, &e);
    free(png);
    return 0;
}
