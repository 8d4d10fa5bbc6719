/* scangen: write one synthetic scan (see scangen.h) for tests, examples and the bench. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scangen/scangen.h"

static const char usage[] =
    "scangen official|legal-rep|two|blank|huge OUT.{jpg,png,bmp} [--seed N] [--rotate DEG]\n"
    "        [--signature] [--blue-text] [--faint] [--dpi N] [--size-mm MM] [--quality Q]\n"
    "        [--page WxH] [--at X,Y] [--noise N] [--name TEXT] [--serial DIGITS] [--chars ABCD]\n"
    "  two: two round seals side by side; blank: paper only;\n"
    "  huge: a 7000x6000 flat PNG (42 megapixels in a small file)";

static int num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "scangen: '%s' is not a number in [%g, %g]\n", s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'},    {"rotate", required_argument, NULL, 'r'},
        {"signature", no_argument, NULL, 'S'},     {"blue-text", no_argument, NULL, 'B'},
        {"faint", no_argument, NULL, 'f'},         {"dpi", required_argument, NULL, 'd'},
        {"size-mm", required_argument, NULL, 'm'}, {"quality", required_argument, NULL, 'q'},
        {"page", required_argument, NULL, 'p'},    {"at", required_argument, NULL, 'a'},
        {"noise", required_argument, NULL, 'n'},   {"name", required_argument, NULL, 'N'},
        {"serial", required_argument, NULL, 'C'},  {"chars", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    scangen_page p = {.seed = 1, .dpi = 300, .noise = 6};
    scangen_seal s[2] = {{0}};
    double v, quality = 75, size = 0, atx = -1, aty = -1;
    const char *kind, *out;
    PIX *pix = NULL;
    int c, n = 1, ret = 1;

    s[0].rotate_deg = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': if (num(optarg, 0, 4294967295.0, &v)) return 2; p.seed = (uint32_t)v; break;
        case 'r': if (num(optarg, -45, 45, &s[0].rotate_deg)) return 2; break;
        case 'S': p.signature = 1; break;
        case 'B': p.blue_text = 1; break;
        case 'f': s[0].faint = 1; break;
        case 'd': if (num(optarg, 30, 1200, &v)) return 2; p.dpi = (int)v; break;
        case 'm': if (num(optarg, 5, 100, &size)) return 2; break;
        case 'q': if (num(optarg, 10, 100, &quality)) return 2; break;
        case 'n': if (num(optarg, 0, 60, &v)) return 2; p.noise = (int)v; break;
        case 'N': s[0].name = optarg; break;
        case 'C': s[0].serial = optarg; break;
        case 'c': s[0].chars = optarg; break;
        case 'p':
            if (sscanf(optarg, "%dx%d", &p.width, &p.height) != 2 || p.width < 16 ||
                p.height < 16 || p.width > 12000 || p.height > 12000) {
                fprintf(stderr, "scangen: --page wants WxH\n");
                return 2;
            }
            break;
        case 'a':
            if (sscanf(optarg, "%lf,%lf", &atx, &aty) != 2) {
                fprintf(stderr, "scangen: --at wants X,Y\n");
                return 2;
            }
            break;
        case 'h': printf("usage: %s\n", usage); return 0;
        default: fprintf(stderr, "usage: %s\n", usage); return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: %s\n", usage);
        return 2;
    }
    kind = argv[optind];
    out = argv[optind + 1];
    setMsgSeverity(L_SEVERITY_ERROR);

    if (strcmp(kind, "huge") == 0) {
        /* 1 bpp flat: 42 megapixels that compress to a few kilobytes. */
        if ((pix = pixCreate(7000, 6000, 1)) == NULL)
            return 1;
        ret = pixWrite(out, pix, IFF_PNG) == 0 ? 0 : 1;
        pixDestroy(&pix);
        return ret;
    }
    if (strcmp(kind, "legal-rep") == 0) {
        s[0].kind = SCANGEN_LEGAL_REP;
        s[0].size_mm = size > 0 ? size : 20;
    } else if (strcmp(kind, "official") == 0 || strcmp(kind, "two") == 0 ||
               strcmp(kind, "blank") == 0) {
        s[0].kind = SCANGEN_OFFICIAL;
        s[0].size_mm = size > 0 ? size : 40;
    } else {
        fprintf(stderr, "scangen: unknown kind '%s'\n", kind);
        return 2;
    }
    {
        double px = s[0].size_mm * p.dpi / 25.4;
        if (strcmp(kind, "two") == 0) {
            n = 2;
            s[1] = s[0];
            s[1].name = "NANCHANG SAMPLE WORKS CO LTD";
            s[1].rotate_deg = -s[0].rotate_deg + 7;
            if (p.width == 0) {
                p.width = (int)(px * 2.9);
                p.height = (int)(px * 1.6);
            }
            s[0].cx = p.width * 0.28, s[0].cy = p.height * 0.5;
            s[1].cx = p.width * 0.72, s[1].cy = p.height * 0.52;
        } else {
            if (p.width == 0) {
                p.width = (int)(px * 1.6);
                p.height = (int)(px * 1.45);
            }
            s[0].cx = atx >= 0 ? atx : p.width * 0.52;
            s[0].cy = aty >= 0 ? aty : p.height * 0.48;
        }
        if (strcmp(kind, "blank") == 0)
            n = 0;
    }
    if ((pix = scangen_render(&p, s, n)) == NULL) {
        fprintf(stderr, "scangen: rendering failed\n");
        return 1;
    }
    if (scangen_write(pix, out, (int)quality) != 0) {
        fprintf(stderr, "scangen: cannot write %s\n", out);
        goto cleanup;
    }
    ret = 0;
cleanup:
    pixDestroy(&pix);
    return ret;
}
