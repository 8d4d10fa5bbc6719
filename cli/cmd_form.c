#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_form.h"
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
    "  --templates DIR  the template descriptions (default $SEALKEY_TEMPLATES, else the\n"
    "                   installed ones: <datadir>/sealkey/templates beside the binary)\n"
    "  --waybill N      the courier waybill number for the delivery note (blank if absent)\n"
    "Fonts are embedded as subsets: any character an installed font has prints (CJK\n"
    "Extensions B-F included); one no font has is refused, naming order, field and code\n"
    "point (exit 3). Dates print as 2026年12月1日 in Beijing time, amounts as ¥220.00.";

struct form_args {
    form_request rq;
    const char *out;
};

int cmd_form_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {
        {"orders", required_argument, NULL, 'O'},  {"order", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},  {"station", required_argument, NULL, 's'},
        {"templates", required_argument, NULL, 't'}, {"waybill", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    static const char *const forms[] = {"application", "authorization", "seal-collection",
                                        "delivery"};
    struct form_args *a = cli_args(cx, sizeof(*a), NULL);
    form_request *rq = a != NULL ? &a->rq : NULL;
    int c;

    if (a == NULL)
        return SK_OK;
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: %s\n", usage);
        return CLI_DONE;
    }
    if (argc < 2)
        return cli_usage_error(usage, "form: which one?");
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (strcmp(argv[1], forms[i]) == 0)
            rq->form = forms[i];
    if (rq->form == NULL)
        return cli_usage_error(usage, "form: '%s' is not a form", argv[1]);
    argc--;
    argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'O': rq->orders_path = optarg; break;
        case 'n': rq->order_number = optarg; break;
        case 'o': a->out = optarg; break;
        case 's': cx->station_opt = optarg; break;
        case 't': rq->template_dir = optarg; break;
        case 'w': rq->waybill = optarg; break;
        case 'h': printf("usage: %s\n", usage); return CLI_DONE;
        default: return cli_usage_error(usage, "form %s: bad option", rq->form);
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "form %s: unexpected argument '%s'", rq->form,
                               argv[optind]);
    if (rq->orders_path == NULL || rq->order_number == NULL || a->out == NULL)
        return cli_usage_error(usage, "form %s: wants --orders, --order and -o", rq->form);
    if (rq->waybill != NULL && strcmp(rq->form, "delivery") != 0)
        return cli_usage_error(usage, "form %s: --waybill is for the delivery note", rq->form);
    if (rq->waybill != NULL && (strlen(rq->waybill) == 0 || strlen(rq->waybill) > 40))
        return cli_usage_error(usage, "form delivery: --waybill must be 1-40 characters");
    return SK_OK;
}

int cmd_form_run(cli_ctx *cx, sk_err *e)
{
    struct form_args *a = cx->args;
    unsigned char *pdf = NULL;
    size_t pdf_len = 0;
    bool has_pin = false;
    int ret;

    a->rq.st = cx->st;
    if ((ret = form_make(&a->rq, &pdf, &pdf_len, &has_pin, e)) != SK_OK)
        goto out;
    /* A page carrying the user PIN is as private as the PIN mailer it came from. */
    ret = sk_file_write_atomic(a->out, pdf, pdf_len, has_pin ? 0600 : 0644, e);
out:
    if (pdf != NULL && has_pin)
        OPENSSL_cleanse(pdf, pdf_len);
    free(pdf);
    return ret;
}
