/* pic_bench SCAN KIND N: convert SCAN N times with pic_convert_file, print ms per seal.
 * Used by bench/seal_picture.sh; here because bench/ links only the PKCS#11 layer. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "seal/pic.h"

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    pic_opts o;
    pic_report r;
    sk_err e;
    unsigned char *png = NULL;
    size_t len = 0;
    int n = argc > 3 ? atoi(argv[3]) : 20;

    if (argc < 3 || n < 1) {
        fprintf(stderr, "usage: pic_bench SCAN official|legal-rep [N]\n");
        return 2;
    }
    setMsgSeverity(L_SEVERITY_NONE);
    pic_opts_init(&o, argv[2][0] == 'l' ? PIC_LEGAL_REP : PIC_OFFICIAL);
    o.max_bytes = 64u << 20;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        if (pic_convert_file(argv[1], &o, &png, &len, &r, &e) != SK_OK) {
            fprintf(stderr, "pic_bench: %s\n", e.msg);
            return 1;
        }
        free(png);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.1f\n", ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / n);
    return 0;
}
