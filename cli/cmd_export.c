#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "issuer/orders/order.h"
#include "util/sk_problems.h"
#include "util/sk_time.h"

static const char usage[] =
    "sealkey export status [--since TIME] [--json|--csv [--bom]] [--station DIR]\n"
    "       sealkey export shipping --orders FILE [--all] [--json|--csv [--bom]] [--station DIR]\n"
    "  status    the produced orders for the acceptance system: order number, status\n"
    "            (issued, revoked, replaced), token serial, certificate serial, seal ids,\n"
    "            produced-at and waybill; --since keeps those produced at or after TIME\n"
    "            (RFC 3339: 2026-11-25, midnight UTC; 2026-11-25T08:00:00Z; or with an\n"
    "            offset, 2026-11-25T00:00:00+08:00 for midnight in Beijing; a time needs\n"
    "            its zone, and an impossible date such as 2026-02-30 is refused).\n"
    "  shipping  the parcel manifest for the courier's bulk upload: recipient name, mobile,\n"
    "            address, order number, delivery-note id, for issued orders not yet shipped\n"
    "            (--all: shipped ones too). Recipients come from the order FILE.\n"
    CLI_HELP_JSON CLI_HELP_CSV;


static void csv_cell(FILE *f, const char *v, bool last)
{
    bool quote = strpbrk(v, ",\"\r\n") != NULL;

    if (quote)
        fputc('"', f);
    /* A cell starting with = + - @ is a formula to spreadsheet programs. */
    if (strchr("=+-@", v[0]) != NULL && v[0] != '\0')
        fputc('\'', f);
    for (const char *p = v; *p != '\0'; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    if (quote)
        fputc('"', f);
    fputc(last ? '\n' : ',', f);
}

static void emit(cli_format fmt, json_t *arr, const char *const *keys, const char *const *vals,
                 size_t n, bool *header)
{
    if (fmt == CLI_FMT_JSON) {
        json_t *o = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set_new(o, keys[i], json_string(vals[i]));
        json_array_append_new(arr, o);
        return;
    }
    if (!*header) {
        for (size_t i = 0; i < n; i++)
            csv_cell(stdout, keys[i], i + 1 == n);
        *header = true;
    }
    for (size_t i = 0; i < n; i++)
        csv_cell(stdout, vals[i], i + 1 == n);
}

static const char *status_name(iss_step s)
{
    return s == ISS_REVOKED ? "revoked" : s == ISS_SUPERSEDED ? "replaced" : "issued";
}

static int export_status(ledger *l, const char *since, cli_format fmt, json_t *arr, sk_err *e)
{
    static const char *const keys[] = {"order_number", "status", "token_serial", "cert_serial",
                                       "seal_ids", "produced_at", "waybill"};
    ledger_issuance *v = NULL;
    size_t n = 0;
    bool header = false;
    int ret;

    if ((ret = ledger_list(l, NULL, &v, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        ledger_seal *seals = NULL;
        size_t ns = 0;
        char ids[256] = "";
        if (v[i].produced_at[0] == '\0' || (since != NULL && strcmp(v[i].produced_at, since) < 0))
            continue;
        if ((ret = ledger_seal_list(l, v[i].id, &seals, &ns, e)) != SK_OK)
            goto out;
        for (size_t k = 0; k < ns; k++) {
            size_t used = strlen(ids);
            snprintf(ids + used, sizeof(ids) - used, "%s%s", k ? ";" : "", seals[k].es_id);
        }
        free(seals);
        const char *vals[] = {v[i].order_number, status_name(v[i].step), v[i].token_serial,
                              v[i].cert_serial, ids, v[i].produced_at, v[i].waybill};
        emit(fmt, arr, keys, vals, 7, &header);
    }
    ret = SK_OK;
out:
    free(v);
    return ret;
}

static int export_shipping(ledger *l, const char *orders, bool all, cli_format fmt, json_t *arr,
                           sk_err *e)
{
    static const char *const keys[] = {"recipient_name", "recipient_mobile", "recipient_address",
                                       "order_number", "delivery_note_id"};
    order_file *f = NULL;
    sk_problems probs;
    bool header = false;
    int ret;

    sk_problems_init(&probs);
    if ((ret = order_file_load(orders, &f, &probs, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < f->n; i++) {
        const order *o = &f->orders[i];
        ledger_issuance r;
        bool found = false;
        char dn[32];
        if (o->number == NULL)
            continue;
        if ((ret = ledger_live(l, o->number, &r, &found, e)) != SK_OK)
            goto out;
        if (!found || (!all && r.waybill[0] != '\0'))
            continue;
        snprintf(dn, sizeof(dn), LEDGER_DELIVERY_NOTE_FMT, r.id);
        const char *vals[] = {o->recipient_name ? o->recipient_name : "",
                              o->recipient_mobile ? o->recipient_mobile : "",
                              o->recipient_address ? o->recipient_address : "", o->number, dn};
        emit(fmt, arr, keys, vals, 5, &header);
    }
    ret = SK_OK;
out:
    sk_problems_free(&probs);
    order_file_free(f);
    return ret;
}

struct export_args {
    const char *what, *since, *orders;
    bool all;
    cli_output out;
    char since_buf[80];
};

/* Ledger times are "YYYY-MM-DDTHH:MM:SSZ", which compare as text: --since in that form. */
static int parse_since(struct export_args *a, sk_err *e)
{
    time_t t;
    int ret = sk_time_parse("--since", a->since, &t, e);

    if (ret != SK_OK)
        return ret;
    sk_time_format(t, a->since_buf, sizeof(a->since_buf));
    a->since = a->since_buf;
    return SK_OK;
}

int cmd_export_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"since", required_argument, NULL, 'S'},
                                         {"orders", required_argument, NULL, 'f'},
                                         {"all", no_argument, NULL, 'a'},
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_CSV_ROWS,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct export_args *a = cli_args(cx, sizeof(*a), NULL);
    sk_err e;
    int c, ret;

    if (a == NULL)
        return SK_OK;
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        if (argc >= 2) {
            printf("usage: %s\n", usage);
            return CLI_DONE;
        }
        return cli_usage_error(usage, "export: which one, status or shipping?");
    }
    a->what = argv[1];
    if (strcmp(a->what, "status") != 0 && strcmp(a->what, "shipping") != 0)
        return cli_usage_error(usage, "export: '%s' is not status or shipping", a->what);
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'S': a->since = optarg; break;
        case 'f': a->orders = optarg; break;
        case 'a': a->all = true; break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "export")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "export")) != SK_OK)
        return ret;
    if (cli_output_check(&a->out, CLI_FMT_CSV, usage, "export") != SK_OK)
        return SK_EUSAGE;
    if (strcmp(a->what, "shipping") == 0 && a->orders == NULL)
        return cli_usage_error(usage, "export shipping: --orders is required");
    sk_err_clear(&e);
    if (a->since != NULL && parse_since(a, &e) != SK_OK)
        return cli_usage_error(usage, "export: %s", e.msg);
    return SK_OK;
}

int cmd_export_run(cli_ctx *cx, sk_err *e)
{
    const struct export_args *a = cx->args;
    json_t *arr = json_array();
    audit_event ev = {.event = AUDIT_EV_EXPORTED, .result = AUDIT_OK, .detail = a->what};
    int ret;

    if ((ret = cli_csv_begin(&a->out, stdout, e)) != SK_OK)
        goto out;
    ret = strcmp(a->what, "status") == 0
              ? export_status(cx->ledger, a->since, a->out.format, arr, e)
              : export_shipping(cx->ledger, a->orders, a->all, a->out.format, arr, e);
    if (ret == SK_OK && (ret = audit_append(cx->audit, &ev, e)) != SK_OK)
        sk_err_wrap(e, "audit log");
    if (ret == SK_OK && a->out.format == CLI_FMT_JSON) {
        ret = cli_json_print(arr, e);
        arr = NULL;
    }
out:
    json_decref(arr);
    return ret;
}
