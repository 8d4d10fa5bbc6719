/* Template variables: a small name -> value list, filled from orders, station and ledger. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "templates/form_int.h"

#define FORM_VARS_MAX 128
#define FORM_VAR_MAX_BYTES 4096

struct form_vars {
    char *name[FORM_VARS_MAX];
    char *value[FORM_VARS_MAX];
    size_t n;
};

static void wipe_free(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

int form_vars_new(form_vars **out, sk_err *e)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return sk_err_set(e, SK_EINTERNAL, "form variables: out of memory");
    return SK_OK;
}

void form_vars_free(form_vars *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->name[i]);
        wipe_free(v->value[i]);
    }
    free(v);
}

int form_vars_set(form_vars *v, const char *name, const char *value, sk_err *e)
{
    char *copy;
    size_t i;

    if (value == NULL)
        value = "";
    if (strlen(value) > FORM_VAR_MAX_BYTES)
        return sk_err_set(e, SK_EINPUT, "form variable %s: longer than %u bytes", name,
                          FORM_VAR_MAX_BYTES);
    if ((copy = strdup(value)) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "form variables: out of memory");
    for (i = 0; i < v->n; i++)
        if (strcmp(v->name[i], name) == 0)
            break;
    if (i == v->n) {
        if (v->n == FORM_VARS_MAX || (v->name[i] = strdup(name)) == NULL) {
            wipe_free(copy);
            return sk_err_set(e, SK_EINTERNAL, "form variables: cannot add %s", name);
        }
        v->value[i] = NULL;
        v->n++;
    }
    wipe_free(v->value[i]);
    v->value[i] = copy;
    return SK_OK;
}

const char *form_vars_get(const form_vars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->name[i], name) == 0)
            return v->value[i];
    return NULL;
}

static int set_int(form_vars *v, const char *name, long n, sk_err *e)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%ld", n);
    return form_vars_set(v, name, buf, e);
}

int form_vars_from_order(form_vars *v, const order *o, const station_config *st, sk_err *e)
{
    const station_project *p;
    char buf[256], label[80], alg[32];
    int ret, n;
    const struct {
        const char *name;
        const char *value;
    } fields[] = {
        {"order.number", o->number},
        {"project.code", o->project_code},
        {"unit.name", o->unit_name},
        {"unit.uscc", o->uscc},
        {"legal_rep.name", o->legal_rep_name},
        {"legal_rep.id_number", o->legal_rep_id},
        {"handler.name", o->handler_name},
        {"handler.id_number", o->handler_id},
        {"handler.mobile", o->handler_mobile},
        {"invoice.title", o->invoice_title},
        {"invoice.tax_number", o->invoice_tax_number},
        {"invoice.email", o->invoice_email},
        {"recipient.name", o->recipient_name},
        {"recipient.mobile", o->recipient_mobile},
        {"recipient.address", o->recipient_address},
        {"paper.tracking_number", o->paper_tracking_number},
        {"payment.reference", o->payment_reference},
        {"station.id", st->station_id},
        /* The CA as applicants know it: its Chinese name where the station gives one. */
        {"ca.name", st->ca_name_zh != NULL ? st->ca_name_zh : st->ca_name},
    };

    order_label(o, label, sizeof(label));
    p = o->project_code != NULL ? station_project_find(st, o->project_code) : NULL;
    if (p == NULL)
        return sk_err_set(e, SK_EINPUT, "order %s: project '%s' is not in station.json", label,
                          o->project_code != NULL ? o->project_code : "");
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if ((ret = form_vars_set(v, fields[i].name, fields[i].value, e)) != SK_OK)
            return ret;
    if ((ret = form_vars_set(v, "project.name", p->name != NULL ? p->name : p->code, e)) != SK_OK)
        return ret;
    if ((ret = form_zh_amount(o->payment_amount_fen, buf, sizeof(buf), e)) != SK_OK) {
        sk_err_wrap(e, "order %s: payment.amount_cny", label);
        return ret;
    }
    if ((ret = form_vars_set(v, "payment.amount", buf, e)) != SK_OK)
        return ret;
    /* The day the form is printed, for its footer. */
    if ((ret = form_zh_date((long long)time(NULL), buf, sizeof(buf), e)) != SK_OK ||
        (ret = form_vars_set(v, "form.date", buf, e)) != SK_OK)
        return ret;
    if ((ret = form_vars_set(v, "payment.channel",
                             o->payment_channel == NULL                       ? ""
                             : strcmp(o->payment_channel, "wechat") == 0 ? "微信支付"
                             : strcmp(o->payment_channel, "alipay") == 0 ? "支付宝"
                                                                          : o->payment_channel,
                             e)) != SK_OK)
        return ret;
    /* The certificate an order buys: an organisation signing certificate with its seals. */
    n = snprintf(buf, sizeof(buf), "单位数字证书（%s，%s，有效期 %d 天）含电子印章",
                 p->name != NULL ? p->name : p->code,
                 form_zh_keyalg(sk_keyalg_name(p->key_alg), alg, sizeof(alg)), p->validity_days);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return sk_err_set(e, SK_EINPUT, "order %s: project name too long", label);
    if ((ret = form_vars_set(v, "cert.type", buf, e)) != SK_OK)
        return ret;
    if ((ret = set_int(v, "seal.official_mm", p->official_seal_mm, e)) != SK_OK)
        return ret;
    return set_int(v, "seal.legal_rep_mm", p->legal_rep_seal_mm, e);
}

int form_vars_from_issuance(form_vars *v, const ledger_issuance *iss, const ledger_seal *seals,
                            size_t n_seals, sk_err *e)
{
    char ids[1024], date[64];
    size_t used = 0;
    int ret, n;
    const struct {
        const char *name;
        const char *value;
    } fields[] = {
        {"token.serial", iss->token_serial},
        {"token.label", iss->token_label},
        {"cert.serial", iss->cert_serial},
    }, dates[] = {
        {"cert.not_before", iss->not_before},
        {"cert.not_after", iss->not_after},
    };

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if ((ret = form_vars_set(v, fields[i].name, fields[i].value, e)) != SK_OK)
            return ret;
    /* The ledger's UTC timestamps as the applicant's calendar date in Beijing. */
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        date[0] = '\0';
        if (dates[i].value[0] != '\0' &&
            (ret = form_zh_date_iso(dates[i].value, date, sizeof(date), e)) != SK_OK) {
            sk_err_wrap(e, "order %s: ledger %s", iss->order_number, dates[i].name);
            return ret;
        }
        if ((ret = form_vars_set(v, dates[i].name, date, e)) != SK_OK)
            return ret;
    }
    ids[0] = '\0';
    for (size_t i = 0; i < n_seals; i++) {
        n = snprintf(ids + used, sizeof(ids) - used, "%s%s（%s）", i > 0 ? "；" : "",
                     seals[i].es_id,
                     strcmp(seals[i].kind, "official") == 0 ? "公章" : "法人章");
        if (n < 0 || (size_t)n >= sizeof(ids) - used)
            return sk_err_set(e, SK_EINPUT, "order %s: too many seal ids for the delivery note",
                              iss->order_number);
        used += (size_t)n;
    }
    return form_vars_set(v, "seal.ids", ids, e);
}
