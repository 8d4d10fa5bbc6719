/* sealkey token show: the ledger's record of a token and the token itself, side by side. */
#include <getopt.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_token.h"
#include "util/sk_name.h"

static const char usage[] =
    "sealkey token show (--order NUMBER | --serial TOKEN-SERIAL | --token URI)\n"
    "              [--json] [--no-token] [--station DIR]\n"
    "  What the ledger says about a token (order, issuance step, certificate serial, live,\n"
    "  on hold, revoked or lost, its events) beside what the token holds (label, serial,\n"
    "  PIN counters, its public objects: read without a PIN). A token that is not in a\n"
    "  reader shows the ledger side alone. What the token says is shown escaped (\\xHH).\n"
    CLI_HELP_JSON "                    ({\"token_serial\", \"ledger\", \"token\", \"events\"})\n"
    "  --no-token  do not open the token module\n"
    "  Exit status: 3 the order is not in the ledger, 5 token module failure.";

int cmd_token_show_parse(int argc, char **argv, cli_ctx *cx)
{
    return cmd_token_parse_common("show", usage, "jn", argc, argv, cx);
}

static const char *or_dash(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : "-";
}

/* What the ledger's record means now, in a word or two. */
static const char *ledger_status(const op_token_view *v)
{
    if (!v->in_ledger)
        return "unknown to the ledger";
    if (v->lost)
        return "lost (revoked)";
    if (v->held)
        return "on hold";
    if (v->iss.revoked_at[0] != '\0')
        return "revoked";
    if (v->iss.step == ISS_VERIFIED)
        return "live";
    if (v->iss.step < ISS_VERIFIED)
        return "being issued or interrupted";
    return iss_step_name(v->iss.step);
}

static const char *user_pin_state(const tok_info *t)
{
    if (!t->user_pin_initialized)
        return "not initialised";
    if (t->user_pin_locked)
        return "locked";
    if (t->user_pin_final_try)
        return "final try";
    if (t->user_pin_count_low)
        return "count low (a wrong PIN was entered)";
    return "ok";
}

static const char *class_name(unsigned long cls)
{
    switch (cls) {
    case CKO_CERTIFICATE: return "certificate";
    case CKO_PUBLIC_KEY: return "public key";
    case CKO_PRIVATE_KEY: return "private key";
    case CKO_DATA: return "data";
    case CKO_SECRET_KEY: return "secret key";
    default: return "other";
    }
}

/* Text a token gave (labels, manufacturer, a certificate's CN) as it is shown: any token can
 * be put in a reader, so its bytes are escaped (sk_name_escape) before they reach a terminal,
 * and are valid UTF-8 for JSON. In place, cut at a character boundary to cap. */
static void shown(char *s, size_t cap)
{
    char *esc = sk_name_escape(s);
    size_t n;

    if (esc == NULL) {
        snprintf(s, cap, "?");
        return;
    }
    n = strlen(esc);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)esc[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(s, esc, n);
    s[n] = '\0';
    free(esc);
}

static void shown_view(op_token_view *v)
{
    shown(v->token_serial, sizeof(v->token_serial));
    shown(v->info.label, sizeof(v->info.label));
    shown(v->info.serial, sizeof(v->info.serial));
    shown(v->info.manufacturer, sizeof(v->info.manufacturer));
    shown(v->info.model, sizeof(v->info.model));
    shown(v->objects_error, sizeof(v->objects_error));
    for (size_t k = 0; k < v->n_objects; k++) {
        shown(v->objects[k].label, sizeof(v->objects[k].label));
        shown(v->objects[k].application, sizeof(v->objects[k].application));
    }
}

/* A certificate object's serial (upper-case hex) and subject CN, "" when unreadable. */
static void cert_summary(const tok_object *o, char *serial, size_t slen, char *cn, size_t cnlen)
{
    const unsigned char *p = o->value;
    X509 *c = NULL;
    BIGNUM *bn = NULL;
    char *hex = NULL;

    serial[0] = cn[0] = '\0';
    if (p != NULL && (c = d2i_X509(NULL, &p, (long)o->value_len)) != NULL) {
        if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL)) != NULL &&
            (hex = BN_bn2hex(bn)) != NULL)
            snprintf(serial, slen, "%s", hex);
        if (X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, cn,
                                      (int)cnlen) < 0)
            cn[0] = '\0';
    }
    shown(cn, cnlen);
    ERR_clear_error();
    OPENSSL_free(hex);
    BN_free(bn);
    X509_free(c);
}

/* Serials as the ledger and OpenSSL spell them differ in case and leading zeros. */
static int serial_cmp(const char *a, const char *b)
{
    while (*a == '0' && a[1] != '\0')
        a++;
    while (*b == '0' && b[1] != '\0')
        b++;
    return strcasecmp(a, b);
}

static void print_row(const char *field, const char *ledger_side, const char *token_side)
{
    printf("%-14s %-44s %s\n", field, or_dash(ledger_side), or_dash(token_side));
}

/* Does the token carry the ledger's certificate? */
static bool has_ledger_cert(const op_token_view *v)
{
    char serial[80], cn[128];

    for (size_t k = 0; k < v->n_objects; k++) {
        if (v->objects[k].cls != CKO_CERTIFICATE)
            continue;
        cert_summary(&v->objects[k], serial, sizeof(serial), cn, sizeof(cn));
        if (serial[0] != '\0' && serial_cmp(serial, v->iss.cert_serial) == 0)
            return true;
    }
    return false;
}

static void print_text(const op_token_view *v, bool module_opened)
{
    const ledger_issuance *i = &v->iss;
    const tok_info *t = &v->info;
    char buf[128], objs[32];
    bool tok = v->present, led = v->in_ledger;

    printf("token %s\n", or_dash(v->token_serial));
    printf("%-14s %-44s %s\n", "", "ledger", !module_opened ? "token (not looked at)" :
                                              tok ? "token" : "token (not in a reader)");
    print_row("order / label", led ? i->order_number : "", tok ? t->label : "");
    print_row("token serial", led ? i->token_serial : "", tok ? t->serial : "");
    print_row("state", led ? ledger_status(v) : "",
              tok ? (t->initialized ? "initialised" : "blank") : "");
    snprintf(buf, sizeof(buf), "issuance %lld, step %s", i->id, iss_step_name(i->step));
    print_row("issuance", led ? buf : "", "");
    print_row("certificate", led ? i->cert_serial : "",
              tok && led && i->cert_serial[0] != '\0'
                  ? (has_ledger_cert(v) ? "on the token" : "not on the token") : "");
    snprintf(buf, sizeof(buf), "%s%s%s", i->revoked_at, i->revoked_at[0] ? " " : "",
             i->revocation_reason);
    print_row("revoked", led ? buf : "", "");
    print_row("not after", led ? i->not_after : "", "");
    print_row("waybill", led ? i->waybill : "", "");
    snprintf(buf, sizeof(buf), "%s, %s", t->manufacturer, t->model);
    print_row("made by", "", tok ? buf : "");
    print_row("user PIN", "", tok ? user_pin_state(t) : "");
    print_row("SO PIN", "", tok ? (t->so_pin_locked ? "locked" : "ok") : "");
    snprintf(objs, sizeof(objs), "%zu public", v->n_objects);
    print_row("objects", "", tok ? (v->objects_error[0] ? "unreadable" : objs) : "");
    if (v->objects_error[0] != '\0')
        printf("  objects: %s\n", v->objects_error);
    for (size_t k = 0; k < v->n_objects; k++) {
        const tok_object *o = &v->objects[k];
        char serial[80], cn[128];
        if (o->cls == CKO_CERTIFICATE) {
            cert_summary(o, serial, sizeof(serial), cn, sizeof(cn));
            printf("  %-12s %-24s serial %s, CN %s%s\n", class_name(o->cls), o->label,
                   or_dash(serial), or_dash(cn),
                   v->in_ledger && serial[0] && serial_cmp(serial, i->cert_serial) == 0
                       ? " (the ledger's certificate)" : "");
        } else if (o->cls == CKO_DATA) {
            printf("  %-12s %-24s application %s, %zu bytes\n", class_name(o->cls), o->label,
                   or_dash(o->application), o->value_len);
        } else {
            printf("  %-12s %s\n", class_name(o->cls), o->label);
        }
    }
    for (size_t k = 0; k < v->n_events; k++)
        printf("event %s %-9s order %s by %s at station %s: %s\n", v->events[k].at,
               v->events[k].event, or_dash(v->events[k].order_number),
               v->events[k].operator_name, v->events[k].station_id,
               or_dash(v->events[k].detail));
}

static json_t *ledger_json(const op_token_view *v)
{
    const ledger_issuance *i = &v->iss;

    if (!v->in_ledger)
        return json_null();
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:s, s:s, s:s}",
                     "order_number", i->order_number, "issuance", (json_int_t)i->id, "step",
                     iss_step_name(i->step), "status", ledger_status(v), "cert_serial",
                     i->cert_serial, "token_serial", i->token_serial, "held", v->held, "lost",
                     v->lost, "revoked_at", i->revoked_at, "revocation_reason",
                     i->revocation_reason, "not_after", i->not_after, "waybill", i->waybill,
                     "token_label", i->token_label);
}

static json_t *token_json(const op_token_view *v)
{
    const tok_info *t = &v->info;
    json_t *objs = json_array();

    if (!v->present) {
        json_decref(objs);
        return json_null();
    }
    for (size_t k = 0; objs != NULL && k < v->n_objects; k++) {
        const tok_object *o = &v->objects[k];
        char serial[80] = "", cn[128] = "";
        if (o->cls == CKO_CERTIFICATE)
            cert_summary(o, serial, sizeof(serial), cn, sizeof(cn));
        json_array_append_new(objs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "class",
                                              class_name(o->cls), "label", o->label,
                                              "application", o->application, "cert_serial",
                                              serial, "subject_cn", cn, "bytes",
                                              (json_int_t)o->value_len));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:b, s:b, s:b, s:o, s:s*}", "label",
                     t->label, "serial", t->serial, "manufacturer", t->manufacturer, "model",
                     t->model, "initialized", t->initialized, "user_pin", user_pin_state(t),
                     "user_pin_count_low", t->user_pin_count_low, "user_pin_final_try",
                     t->user_pin_final_try, "user_pin_locked", t->user_pin_locked,
                     "so_pin_locked", t->so_pin_locked, "objects", objs, "objects_error",
                     v->objects_error[0] ? v->objects_error : NULL);
}

static int print_json(const op_token_view *v, sk_err *e)
{
    json_t *events = json_array();

    for (size_t k = 0; events != NULL && k < v->n_events; k++)
        json_array_append_new(events, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "at",
                                                v->events[k].at, "event", v->events[k].event,
                                                "order", v->events[k].order_number, "operator",
                                                v->events[k].operator_name, "station",
                                                v->events[k].station_id, "detail",
                                                v->events[k].detail));
    return cli_json_print(json_pack("{s:s, s:o, s:o, s:o}", "token_serial", v->token_serial,
                                    "ledger", ledger_json(v), "token", token_json(v), "events",
                                    events),
                          e);
}

int cmd_token_show_run(cli_ctx *cx, sk_err *e)
{
    const struct token_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_token_view v;
    tok_module *m = NULL;
    int ret;

    memset(&v, 0, sizeof(v));
    if (!a->no_token && (ret = tok_module_open(cx->st->pkcs11_module, &m, e)) != SK_OK) {
        sk_err_wrap(e, "the token not looked at (--no-token shows the ledger alone)");
        goto out;
    }
    if ((ret = op_token_show(&env, m, &a->ref, &v, e)) != SK_OK)
        goto out;
    if (!v.in_ledger && !v.present) {
        ret = sk_err_set(e, SK_EINPUT, "token %s: neither in the ledger nor in a reader",
                         or_dash(v.token_serial));
        goto out;
    }
    shown_view(&v);
    if (a->out.format == CLI_FMT_JSON)
        ret = print_json(&v, e);
    else
        print_text(&v, m != NULL);
out:
    op_token_view_free(&v);
    tok_module_free(m);
    return ret;
}
