#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_form.h"
#include "templates/form.h"
#include "util/sk_file.h"

static const char usage[] =
    "sealkey seal extract-form SCAN [--order NUMBER] [-o DIR] [--templates DIR]\n"
    "                          [--max-bytes N] [--explain]\n"
    "  SCAN is a scanned, stamped 电子签章采集表 (sealkey form seal-collection): JPEG, PNG,\n"
    "  BMP or TIFF, at least 200 dpi, tilted a few degrees at most. Reads the QR code (order,\n"
    "  form, seal sizes), finds the four corner marks, cuts out both seal boxes and turns each\n"
    "  into a seal picture: DIR/ORDER-official.png and DIR/ORDER-legal-rep.png (default .).\n"
    "  --order   refuse the scan unless its QR code names this order\n"
    "  --explain print what was found in the scan and each box's measurements";

static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 64ul * 1024 * 1024)
        return -1;
    *out = (size_t)v;
    return 0;
}

int cmd_seal_extract_form(int argc, char **argv)
{
    static const struct option opts[] = {
        {"order", required_argument, NULL, 'n'},     {"output", required_argument, NULL, 'o'},
        {"templates", required_argument, NULL, 't'}, {"max-bytes", required_argument, NULL, 'b'},
        {"explain", no_argument, NULL, 'x'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const char *const kinds[2] = {"official", "legal-rep"};
    const char *order_no = NULL, *dir = ".", *tdir = NULL;
    char path[4096], name[128];
    size_t max = 0;
    int c, ret, explain = 0;
    form_extract_result r;
    sk_err e;

    sk_err_clear(&e);
    memset(&r, 0, sizeof(r));
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'n': order_no = optarg; break;
        case 'o': dir = optarg; break;
        case 't': tdir = optarg; break;
        case 'b':
            if (parse_size(optarg, &max) != 0)
                return cli_usage_error(usage, "seal extract-form: --max-bytes '%s' is not 1..64M",
                                       optarg);
            break;
        case 'x': explain = 1; break;
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "seal extract-form: bad option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error(usage, "seal extract-form: wants one SCAN");

    /* Leptonica reports to stderr by default; our messages carry the reasons instead. */
    setMsgSeverity(L_SEVERITY_NONE);
    ret = form_extract(form_template_dir(tdir), argv[optind], order_no, max, &r, &e);
    if (explain && r.order_number[0] != '\0') {
        printf("form:          %s, order %s, seals %d mm / %d mm\n", r.form_id, r.order_number,
               r.official_mm, r.legal_rep_mm);
        printf("page:          tilted %.2f degrees, %.1f px/mm\n", r.rotation_deg, r.px_per_mm);
        for (int k = 0; k < 2; k++)
            if (r.report[k].decision[0] != '\0')
                printf("%-14s %s\n", k == 0 ? "official box:" : "legal-rep box:",
                       r.report[k].decision);
    }
    if (ret != SK_OK)
        goto out;
    for (int k = 0; k < 2; k++) {
        if (snprintf(name, sizeof(name), "%s-%s.png", r.order_number, kinds[k]) >=
                (int)sizeof(name) ||
            (ret = sk_path_join(path, sizeof(path), dir, name, &e)) != SK_OK) {
            ret = ret != SK_OK ? ret : sk_err_set(&e, SK_EINPUT, "output name too long");
            goto out;
        }
        if ((ret = sk_file_write_atomic(path, r.png[k], r.png_len[k], 0644, &e)) != SK_OK)
            goto out;
        printf("%s %s %s\n", r.order_number, kinds[k], path);
    }
out:
    form_extract_result_clear(&r);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
