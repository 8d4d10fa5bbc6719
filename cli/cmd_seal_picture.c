#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "issuer/station/station.h"
#include "seal/pic.h"
#include "util/sk_file.h"

static const char usage[] =
    "sealkey seal picture --kind official|legal-rep [--size-mm N | --station DIR --project CODE]\n"
    "                     [--max-bytes N] [--out-px N] [--explain] SCAN OUT.png\n"
    "  SCAN is a JPEG, PNG or BMP of one stamped seal (at most 1 MB unless --max-bytes,\n"
    "  40 megapixels, 100 JPEG scans; docs/seal-picture.md lists the BMP variants read).\n"
    "  Writes a square RGBA PNG: the ink in seal red #E60012 on a transparent background.\n"
    "  Refuses, with the reason, a scan a reviewer would refuse: no seal, two seals, faint\n"
    "  ink, too low a resolution, the wrong shape for the kind.\n"
    "  --explain prints what was measured and the decision, accepted or not.";

static int parse_num(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static void explain(const pic_report *r)
{
    printf("scan:          %d x %d px (%.2f megapixels), %zu bytes\n", r->width, r->height,
           r->megapixels, r->bytes);
    printf("red ink:       %.3f%% of the scan\n", 100.0 * r->red_fraction);
    printf("seal regions:  %d\n", r->regions);
    if (r->box_w > 0) {
        printf("seal box:      %d x %d px at (%d, %d)\n", r->box_w, r->box_h, r->box_x, r->box_y);
        printf("ink fill:      %.1f%% of the seal's outline\n", 100.0 * r->ink_fill);
        printf("roundness:     %.2f (disc 1, square 0.64)\n", r->roundness);
        printf("squareness:    %.2f (square 1, disc 0.79), aspect %.2f\n", r->squareness,
               r->aspect);
        printf("rotation:      %.1f degrees\n", r->rotation_deg);
        printf("ink strength:  %.0f (median R - max(G,B); good ink 100-200)\n", r->ink_strength);
        printf("resolution:    %.1f px/mm across %d mm\n", r->px_per_mm, r->size_mm);
    }
    if (r->out_px > 0)
        printf("picture:       %d x %d px, %.1f px/mm\n", r->out_px, r->out_px, r->out_px_per_mm);
    printf("decision:      %s\n", r->decision);
}

struct picture_args {
    const char *project, *scan, *out;
    bool explain;
    pic_opts o;
};

int cmd_seal_picture_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {{"kind", required_argument, NULL, 'k'},
                                         {"size-mm", required_argument, NULL, 's'},
                                         {"max-bytes", required_argument, NULL, 'b'},
                                         {"out-px", required_argument, NULL, 'o'},
                                         {"station", required_argument, NULL, 'S'},
                                         {"project", required_argument, NULL, 'P'},
                                         {"explain", no_argument, NULL, 'x'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct picture_args *a = cli_args(cx, sizeof(*a), NULL);
    const char *kind = NULL;
    pic_opts *o = a != NULL ? &a->o : NULL;
    int c;
    long v;

    if (a == NULL)
        return SK_OK;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': kind = optarg; break;
        case 's':
            if (parse_num(optarg, 1, 100, &v) != 0)
                return cli_usage_error(usage, "seal picture: --size-mm '%s' is not a number",
                                       optarg);
            o->size_mm = (int)v;
            break;
        case 'b':
            if (parse_num(optarg, 1, 64L * 1024 * 1024, &v) != 0)
                return cli_usage_error(usage, "seal picture: --max-bytes '%s' is not 1..64M",
                                       optarg);
            o->max_bytes = (size_t)v;
            break;
        case 'o':
            if (parse_num(optarg, 64, 4096, &v) != 0)
                return cli_usage_error(usage, "seal picture: --out-px '%s' is not 64..4096",
                                       optarg);
            o->out_px = (int)v;
            break;
        case 'S': cx->station_opt = optarg; break;
        case 'P': a->project = optarg; break;
        case 'x': a->explain = true; break;
        case 'h': printf("usage: %s\n", usage); return CLI_DONE;
        default: return cli_usage_error(usage, "seal picture: bad option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(usage, "seal picture: wants SCAN and OUT.png");
    a->scan = argv[optind];
    a->out = argv[optind + 1];
    if (kind != NULL && strcmp(kind, "official") == 0)
        o->kind = PIC_OFFICIAL;
    else if (kind != NULL && strcmp(kind, "legal-rep") == 0)
        o->kind = PIC_LEGAL_REP;
    else
        return cli_usage_error(usage, "seal picture: --kind must be official or legal-rep");
    if ((cx->station_opt != NULL || a->project != NULL) && o->size_mm != 0)
        return cli_usage_error(usage, "seal picture: --size-mm or --project, not both");
    if (cx->station_opt != NULL && a->project == NULL)
        return cli_usage_error(usage, "seal picture: --station needs --project");
    /* The seal's size from the station's project (--station, else $SEALKEY_STATION or .). */
    cx->want_station = a->project != NULL;
    /* Leptonica reports to stderr by default; our messages carry the reasons instead. */
    setMsgSeverity(L_SEVERITY_NONE);
    return SK_OK;
}

int cmd_seal_picture_run(cli_ctx *cx, sk_err *e)
{
    struct picture_args *a = cx->args;
    unsigned char *png = NULL;
    size_t png_len = 0;
    pic_report r;
    int ret;

    if (a->project != NULL) {
        const station_project *proj = station_project_find(cx->st, a->project);
        if (proj == NULL)
            return sk_err_set(e, SK_EINPUT, "station.json: no project '%s'", a->project);
        a->o.size_mm =
            a->o.kind == PIC_OFFICIAL ? proj->official_seal_mm : proj->legal_rep_seal_mm;
    }
    ret = pic_convert_file(a->scan, &a->o, &png, &png_len, &r, e);
    if (a->explain)
        explain(&r);
    if (ret == SK_OK)
        ret = sk_file_write_atomic(a->out, png, png_len, 0644, e);
    free(png);
    return ret;
}
