/* One form for one order: order file + station (+ ledger for the delivery note) -> PDF. */
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates/form.h"
#include "util/sk_file.h"

#define PIN_MAILER_MAX_BYTES (64u * 1024)

int form_read_pin_mailer(const char *path, char *pin, size_t pin_len, sk_err *e)
{
    unsigned char *data = NULL;
    size_t len = 0, n = 0;
    const char *p;
    int ret;

    if ((ret = sk_file_read(path, PIN_MAILER_MAX_BYTES, &data, &len, e)) != SK_OK)
        return ret;
    p = strstr((const char *)data, "\nuser PIN:");
    if (p == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: no 'user PIN:' line", path);
        goto out;
    }
    p += strlen("\nuser PIN:");
    while (*p == ' ' || *p == '\t')
        p++;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    if (n < 4 || n >= pin_len || (p[n] != '\n' && p[n] != '\0')) {
        /* The message does not quote the line: it holds the PIN. */
        ret = sk_err_set(e, SK_EINPUT, "%s: the 'user PIN:' line is not 4 or more digits", path);
        goto out;
    }
    memcpy(pin, p, n);
    pin[n] = '\0';
    ret = SK_OK;
out:
    if (ret != SK_OK)
        OPENSSL_cleanse(pin, pin_len);
    OPENSSL_cleanse(data, len);
    free(data);
    return ret;
}

static int delivery_vars(const form_request *rq, const order *o, form_vars *v, bool *has_pin,
                         sk_err *e)
{
    char path[PATH_MAX], rel[PATH_MAX], pin[64];
    ledger *l = NULL;
    ledger_issuance iss;
    ledger_seal *seals = NULL;
    size_t n_seals = 0;
    bool found = false;
    int ret, n;

    pin[0] = '\0';
    if ((ret = station_path(rq->st, rq->st->ledger, path, sizeof(path), e)) != SK_OK ||
        (ret = ledger_open(path, &l, e)) != SK_OK ||
        (ret = ledger_latest(l, o->number, &iss, &found, e)) != SK_OK)
        goto out;
    if (!found) {
        ret = sk_err_set(e, SK_ESTATE, "order %s: not issued yet (no ledger record)", o->number);
        goto out;
    }
    if (iss.step != ISS_WRITTEN && iss.step != ISS_VERIFIED) {
        ret = sk_err_set(e, SK_ESTATE,
                         "order %s: latest issuance #%lld is at step %s; a delivery note needs "
                         "a written or verified token",
                         o->number, iss.id, iss_step_name(iss.step));
        goto out;
    }
    if ((ret = ledger_seal_list(l, iss.id, &seals, &n_seals, e)) != SK_OK ||
        (ret = form_vars_from_issuance(v, &iss, seals, n_seals, e)) != SK_OK ||
        (ret = form_vars_set(v, "waybill", rq->waybill, e)) != SK_OK)
        goto out;
    if (rq->st->print_user_pin) {
        n = snprintf(rel, sizeof(rel), "%s/%s/pin-mailer.txt", rq->st->out_dir, o->number);
        if (n < 0 || (size_t)n >= sizeof(rel)) {
            ret = sk_err_set(e, SK_EINPUT, "order %s: PIN mailer path too long", o->number);
            goto out;
        }
        if ((ret = station_path(rq->st, rel, path, sizeof(path), e)) != SK_OK ||
            (ret = form_read_pin_mailer(path, pin, sizeof(pin), e)) != SK_OK) {
            sk_err_wrap(e, "order %s: delivery note", o->number);
            goto out;
        }
        *has_pin = true;
    }
    ret = form_vars_set(v, "pin", pin, e);
out:
    OPENSSL_cleanse(pin, sizeof(pin));
    free(seals);
    ledger_free(l);
    return ret;
}

int form_make(const form_request *rq, unsigned char **pdf, size_t *pdf_len, bool *has_pin,
              sk_err *e)
{
    order_file *of = NULL;
    form_template *t = NULL;
    form_vars *v = NULL;
    const order *o;
    sk_problems probs;
    char who[96];
    int ret;

    *has_pin = false;
    sk_problems_init(&probs);
    if ((ret = form_template_load(form_template_dir(rq->template_dir), rq->form, &t, e)) != SK_OK ||
        (ret = order_file_load(rq->orders_path, &of, &probs, e)) != SK_OK)
        goto out;
    if ((o = order_file_find(of, rq->order_number)) == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: no order %s", rq->orders_path, rq->order_number);
        goto out;
    }
    /* The order as loaded: a form printed from a half-read order would mislead. Its own
     * first problem is named, found by its position in the file, not another order's. */
    if (o->load_problems > 0) {
        const sk_problem *p = sk_problems_find_index(&probs, o->index);
        ret = sk_err_set(e, SK_EINPUT, "%s: %s", rq->orders_path,
                         p != NULL ? p->text : "the order has problems (sealkey order check)");
        goto out;
    }
    snprintf(who, sizeof(who), "order %.64s", o->number);
    if ((ret = form_vars_new(&v, e)) != SK_OK ||
        (ret = form_vars_from_order(v, o, rq->st, e)) != SK_OK)
        goto out;
    if (strcmp(rq->form, "delivery") == 0 &&
        (ret = delivery_vars(rq, o, v, has_pin, e)) != SK_OK)
        goto out;
    ret = form_render(t, v, who, pdf, pdf_len, e);
out:
    form_vars_free(v);
    form_template_free(t);
    order_file_free(of);
    sk_problems_free(&probs);
    return ret;
}
