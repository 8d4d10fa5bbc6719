#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_form.h"
#include "issuer/station.h"
#include "templates/form.h"
#include "util/sk_file.h"

static const char usage[] =
    "sealkey form <application|authorization|seal-collection|delivery>\n"
    "             --orders FILE --order NUMBER -o OUT.pdf [--station DIR] [--templates DIR]\n"
    "             [--waybill NUMBER]\n"
    "  application      数字证书用户申请表, the order number top-left, for the company seal\n"
    "  authorization    法人授权委托书, the legal representative authorises the handler\n"
    "  seal-collection  电子签章采集表: seal boxes at the station's seal sizes, QR code and\n"
    "                   registration marks for `sealkey seal extract-form`\n"
    "  delivery         证书交付单 from the ledger, and the PIN mailer page (the PIN only when\n"
    "                   station.json allows printing it; the PDF is then written 0600)\n"
    "  --templates DIR  the template descriptions (default $SEALKEY_TEMPLATES or built in)\n"
    "  --waybill N      the courier waybill number for the delivery note (blank if absent)";

int cmd_form(int argc, char **argv)
{
    static const struct option opts[] = {
        {"orders", required_argument, NULL, 'O'},  {"order", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},  {"station", required_argument, NULL, 's'},
        {"templates", required_argument, NULL, 't'}, {"waybill", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    static const char *const forms[] = {"application", "authorization", "seal-collection",
                                        "delivery"};
    const char *station = NULL, *out = NULL;
    form_request rq;
    station_config *st = NULL;
    unsigned char *pdf = NULL;
    size_t pdf_len = 0;
    bool has_pin = false;
    sk_err e;
    int c, ret;

    sk_err_clear(&e);
    memset(&rq, 0, sizeof(rq));
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: %s\n", usage);
        return SK_OK;
    }
    if (argc < 2)
        return cli_usage_error(usage, "form: which one?");
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (strcmp(argv[1], forms[i]) == 0)
            rq.form = forms[i];
    if (rq.form == NULL)
        return cli_usage_error(usage, "form: '%s' is not a form", argv[1]);
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'O': rq.orders_path = optarg; break;
        case 'n': rq.order_number = optarg; break;
        case 'o': out = optarg; break;
        case 's': station = optarg; break;
        case 't': rq.template_dir = optarg; break;
        case 'w': rq.waybill = optarg; break;
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "form %s: bad option", rq.form);
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "form %s: unexpected argument '%s'", rq.form, argv[optind]);
    if (rq.orders_path == NULL || rq.order_number == NULL || out == NULL)
        return cli_usage_error(usage, "form %s: wants --orders, --order and -o", rq.form);
    if (rq.waybill != NULL && strcmp(rq.form, "delivery") != 0)
        return cli_usage_error(usage, "form %s: --waybill is for the delivery note", rq.form);
    if (rq.waybill != NULL && (strlen(rq.waybill) == 0 || strlen(rq.waybill) > 40))
        return cli_usage_error(usage, "form delivery: --waybill must be 1-40 characters");

    if ((ret = station_load(cli_station_dir(station), &st, &e)) != SK_OK)
        goto out;
    rq.st = st;
    if ((ret = form_make(&rq, &pdf, &pdf_len, &has_pin, &e)) != SK_OK)
        goto out;
    /* A page carrying the user PIN is as private as the PIN mailer it came from. */
    ret = sk_file_write_atomic(out, pdf, pdf_len, has_pin ? 0600 : 0644, &e);
out:
    if (pdf != NULL && has_pin)
        OPENSSL_cleanse(pdf, pdf_len);
    free(pdf);
    station_free(st);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}
