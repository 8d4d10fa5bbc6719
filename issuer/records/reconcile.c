/* The reconcile check (issuer/records/reconcile.h): the ledger against itself, against the tokens
 * present, and against the audit log. */
#include "issuer/records/reconcile.h"

#include <ctype.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <p11-kit/pkcs11.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/records/audit.h"
#include "issuer/orders/order.h"
#include "skf/skf.h"
#include "util/sk_file.h"
#include "util/sk_pem.h"

#define SERIAL_HEX 80

static const char *const kind_names[] = {
    [RECONCILE_SERIAL_UNACCOUNTED] = "serial_unaccounted",
    [RECONCILE_SERIAL_NOT_VOID] = "serial_not_void",
    [RECONCILE_ORDER_TWO_LIVE] = "order_two_live",
    [RECONCILE_TOKEN_TWO_LIVE] = "token_two_live",
    [RECONCILE_INTERRUPTED] = "interrupted",
    [RECONCILE_TOKEN_UNKNOWN] = "token_unknown",
    [RECONCILE_TOKEN_WIPED] = "token_wiped",
    [RECONCILE_TOKEN_UNREADABLE] = "token_unreadable",
    [RECONCILE_AUDIT] = "audit",
};

const char *reconcile_kind_name(reconcile_kind k)
{
    if ((unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]))
        return kind_names[k];
    return "unknown";
}

void reconcile_report_free(reconcile_report *r)
{
    if (r == NULL)
        return;
    free(r->v);
    memset(r, 0, sizeof(*r));
}

static int add(reconcile_report *r, reconcile_kind kind, const char *order_number,
               const char *serial, const char *token, sk_err *e, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int add(reconcile_report *r, reconcile_kind kind, const char *order_number,
               const char *serial, const char *token, sk_err *e, const char *fmt, ...)
{
    reconcile_violation *v;
    va_list ap;

    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        reconcile_violation *nv = realloc(r->v, cap * sizeof(*nv));
        if (nv == NULL)
            return sk_err_set(e, SK_EINTERNAL, "out of memory");
        r->v = nv;
        r->cap = cap;
    }
    v = &r->v[r->n++];
    memset(v, 0, sizeof(*v));
    v->kind = kind;
    snprintf(v->order, sizeof(v->order), "%s", order_number != NULL ? order_number : "");
    snprintf(v->serial, sizeof(v->serial), "%s", serial != NULL ? serial : "");
    snprintf(v->token, sizeof(v->token), "%s", token != NULL ? token : "");
    va_start(ap, fmt);
    vsnprintf(v->message, sizeof(v->message), fmt, ap); /* a long message is cut, not lost */
    va_end(ap);
    return SK_OK;
}

static bool is_live(const ledger_issuance *i)
{
    return i->step == ISS_VERIFIED && i->revoked_at[0] == '\0';
}

static bool is_revoked(const ledger_issuance *i)
{
    return i->revoked_at[0] != '\0';
}

/* On hold (sealkey token hold): on the CRL like a revoked certificate, so accounted for, but
 * still its order's and its token's, and live again once released: it takes the order's and
 * the token's one place as a live one does. */
static bool holds_place(const ledger_issuance *i)
{
    return is_live(i) || ledger_issuance_held(i);
}

/* Reserved .. written: still being made, or stopped part-way. */
static bool unfinished(const ledger_issuance *i)
{
    return (int)i->step >= (int)ISS_RESERVED && (int)i->step < (int)ISS_VERIFIED;
}

/* Serials as one spelling: upper-case hex without leading zeros, so a serial read from a
 * certificate compares with the ledger's. */
static void serial_norm(const char *hex, char out[SERIAL_HEX])
{
    size_t o = 0;

    while (hex[0] == '0' && hex[1] != '\0')
        hex++;
    for (; *hex != '\0' && o + 1 < SERIAL_HEX; hex++)
        out[o++] = (char)toupper((unsigned char)*hex);
    out[o] = '\0';
}

static bool serial_eq(const char *a, const char *b)
{
    char na[SERIAL_HEX], nb[SERIAL_HEX];

    serial_norm(a, na);
    serial_norm(b, nb);
    return strcmp(na, nb) == 0;
}

/* The issuance with this id; ledger_list gives them sorted by id. */
static const ledger_issuance *by_id(const ledger_issuance *v, size_t n, long long id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].id < id)
            lo = mid + 1;
        else if (v[mid].id > id)
            hi = mid;
        else
            return &v[mid];
    }
    return NULL;
}

/* Every serial belongs to an issuance, a signed one is live or revoked once its issuance is
 * over (an unfinished one is the interrupted check's), and none stays merely reserved. */
static int check_serials(const ledger_issuance *iss, size_t n_iss, const ledger_serial *ser,
                         size_t n_ser, reconcile_report *r, sk_err *e)
{
    int ret = SK_OK;

    for (size_t k = 0; ret == SK_OK && k < n_ser; k++) {
        const ledger_serial *s = &ser[k];
        const ledger_issuance *i = by_id(iss, n_iss, s->issuance_id);
        bool used = strcmp(s->state, "used") == 0;

        r->serials++;
        r->signed_certs += used;
        if (i == NULL) {
            ret = add(r, RECONCILE_SERIAL_UNACCOUNTED, "", s->serial, "", e,
                      "serial %s (%s) belongs to issuance %lld, which the ledger does not hold",
                      s->serial, s->state, s->issuance_id);
            continue;
        }
        if (used && !unfinished(i) && !is_live(i) && !is_revoked(i))
            ret = add(r, RECONCILE_SERIAL_UNACCOUNTED, i->order_number, s->serial,
                      i->token_serial, e,
                      "certificate serial %s was signed for order %s (issuance %lld, now %s) but "
                      "is neither live nor revoked: a valid certificate on no CRL",
                      s->serial, i->order_number, i->id, iss_step_name(i->step));
        else if (strcmp(s->state, "reserved") == 0 && !unfinished(i) &&
                 i->step != ISS_AWAITING_CERT) /* its serial is voided when the cert comes */
            ret = add(r, RECONCILE_SERIAL_NOT_VOID, i->order_number, s->serial,
                      i->token_serial, e,
                      "serial %s is still reserved, but issuance %lld of order %s is %s; it "
                      "should be void", s->serial, i->id, i->order_number,
                      iss_step_name(i->step));
    }
    return ret;
}

static int cmp_order(const void *a, const void *b)
{
    const ledger_issuance *x = *(const ledger_issuance *const *)a;
    const ledger_issuance *y = *(const ledger_issuance *const *)b;
    int c = strcmp(x->order_number, y->order_number);

    return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

static int cmp_token(const void *a, const void *b)
{
    const ledger_issuance *x = *(const ledger_issuance *const *)a;
    const ledger_issuance *y = *(const ledger_issuance *const *)b;
    int c = strcmp(x->token_serial, y->token_serial);

    return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

/* One live certificate per order, one live issuance per token. */
static int check_live(const ledger_issuance *iss, size_t n_iss, reconcile_report *r, sk_err *e)
{
    const ledger_issuance **live = NULL;
    size_t n = 0;
    int ret = SK_OK;

    if (n_iss > 0 && (live = calloc(n_iss, sizeof(*live))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    for (size_t i = 0; i < n_iss; i++) {
        bool held = ledger_issuance_held(&iss[i]);
        r->held += held;
        r->revoked += is_revoked(&iss[i]) && !held;
        r->live += is_live(&iss[i]);
        if (holds_place(&iss[i]))
            live[n++] = &iss[i];
    }
    qsort(live, n, sizeof(*live), cmp_order);
    for (size_t i = 1; ret == SK_OK && i < n; i++) {
        const ledger_issuance *a = live[i - 1], *b = live[i];
        if (strcmp(a->order_number, b->order_number) == 0)
            ret = add(r, RECONCILE_ORDER_TWO_LIVE, b->order_number, b->cert_serial,
                      b->token_serial, e,
                      "order %s has two live certificates: %s on token %s (issuance %lld%s) and "
                      "%s on token %s (issuance %lld%s)", b->order_number, a->cert_serial,
                      a->token_serial, a->id, ledger_issuance_held(a) ? ", on hold" : "",
                      b->cert_serial, b->token_serial, b->id,
                      ledger_issuance_held(b) ? ", on hold" : "");
    }
    qsort(live, n, sizeof(*live), cmp_token);
    for (size_t i = 1; ret == SK_OK && i < n; i++) {
        const ledger_issuance *a = live[i - 1], *b = live[i];
        if (b->token_serial[0] != '\0' && strcmp(a->token_serial, b->token_serial) == 0)
            ret = add(r, RECONCILE_TOKEN_TWO_LIVE, b->order_number, b->cert_serial,
                      b->token_serial, e,
                      "token %s holds two live issuances: order %s (certificate %s%s) and order "
                      "%s (certificate %s%s); one token can carry only one", b->token_serial,
                      a->order_number, a->cert_serial, ledger_issuance_held(a) ? ", on hold" : "",
                      b->order_number, b->cert_serial,
                      ledger_issuance_held(b) ? ", on hold" : "");
    }
    free(live);
    return ret;
}

/* An unfinished issuance whose order nobody holds stopped for good (a crash, a pulled
 * token): the order needs a re-run, which closes it and redoes the token. One that a running
 * process holds is simply being made. */
static int check_unfinished(ledger *l, const ledger_issuance *iss, size_t n_iss,
                            const ledger_serial *ser, size_t n_ser, reconcile_report *r,
                            sk_err *e)
{
    int ret = SK_OK;

    for (size_t k = 0; ret == SK_OK && k < n_iss; k++) {
        const ledger_issuance *i = &iss[k];
        bool got = false, signed_cert = false;

        if (!unfinished(i))
            continue;
        if ((ret = ledger_claim(l, i->order_number, &got, e)) != SK_OK)
            break;
        if (!got) {
            r->in_progress++;
            continue;
        }
        ledger_release(l, i->order_number);
        for (size_t s = 0; s < n_ser; s++)
            signed_cert = signed_cert ||
                          (ser[s].issuance_id == i->id && strcmp(ser[s].state, "used") == 0);
        ret = add(r, RECONCILE_INTERRUPTED, i->order_number, i->cert_serial, i->token_serial, e,
                  "issuance %lld of order %s stopped at step %s (%s) and no process is working "
                  "on it: re-run the order%s", i->id, i->order_number, iss_step_name(i->step),
                  i->updated_at,
                  signed_cert ? "; its certificate was already signed and is valid until then"
                              : "");
    }
    return ret;
}

/* ca/issuing.crt of the station (issuer/ca/ca.h), or NULL when the station has no CA yet. */
static int issuing_cert(const station_config *st, X509 **out, sk_err *e)
{
    char path[PATH_MAX];
    int ret;

    *out = NULL;
    if ((ret = station_path(st, "ca/issuing.crt", path, sizeof(path), e)) != SK_OK ||
        !sk_file_exists(path))
        return ret;
    return sk_pem_read_cert(path, out, e);
}

/* What a token carries that matters here: its label and the serials of the certificates the
 * station's issuing CA signed. */
struct token_view {
    tok_info info;
    char (*certs)[SERIAL_HEX];
    size_t n_certs;
    bool readable;
};

/* The token's public objects (no login): the certificate objects the issuing CA signed. */
static int read_token(tok_module *m, X509 *issuing, struct token_view *t, sk_err *e)
{
    char uri[64];
    tok_slot *slot = NULL;
    tok_object *objs = NULL;
    size_t n = 0;
    int ret;

    snprintf(uri, sizeof(uri), "pkcs11:slot-id=%lu", t->info.slot_id);
    if ((ret = tok_select(m, uri, &slot, e)) != SK_OK ||
        (ret = tok_list_objects(slot, &objs, &n, e)) != SK_OK)
        goto out;
    if (n > 0 && (t->certs = calloc(n, sizeof(*t->certs))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n && issuing != NULL; i++) {
        const unsigned char *p = objs[i].value;
        X509 *c = NULL;
        BIGNUM *bn = NULL;
        char *hex = NULL;

        if (objs[i].cls != CKO_CERTIFICATE || p == NULL ||
            (c = d2i_X509(NULL, &p, (long)objs[i].value_len)) == NULL) {
            ERR_clear_error();
            continue;
        }
        if (X509_check_issued(issuing, c) == X509_V_OK &&
            X509_verify(c, X509_get0_pubkey(issuing)) == 1 &&
            (bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c), NULL)) != NULL &&
            (hex = BN_bn2hex(bn)) != NULL)
            serial_norm(hex, t->certs[t->n_certs++]);
        ERR_clear_error();
        OPENSSL_free(hex);
        BN_free(bn);
        X509_free(c);
    }
    t->readable = true;
out:
    tok_objects_free(objs, n);
    tok_slot_free(slot);
    return ret;
}

static bool token_has_cert(const struct token_view *t, const char *serial)
{
    for (size_t i = 0; i < t->n_certs; i++)
        if (serial_eq(t->certs[i], serial))
            return true;
    return false;
}

/* A token present that carries an order's label or one of the CA's certificates must be
 * where the ledger says: an issuance of that order on that token serial. */
static int check_token(const struct token_view *t, const ledger_issuance *iss, size_t n_iss,
                       reconcile_report *r, sk_err *e)
{
    const char *label = t->info.label, *ser = t->info.serial;
    int ret = SK_OK;

    if (order_number_valid(label, NULL, 0)) {
        bool known = false;
        for (size_t k = 0; k < n_iss && !known; k++)
            known = strcmp(iss[k].order_number, label) == 0 &&
                    strcmp(iss[k].token_serial, ser) == 0;
        if (!known)
            ret = add(r, RECONCILE_TOKEN_UNKNOWN, label, "", ser, e,
                      "token %s is labelled %s, but the ledger holds no issuance of that order "
                      "on it (initialised outside sealkey, or by an attempt the ledger lost)",
                      ser, label);
    }
    for (size_t c = 0; ret == SK_OK && c < t->n_certs; c++) {
        const ledger_issuance *owner = NULL;
        for (size_t k = 0; k < n_iss && owner == NULL; k++)
            if (serial_eq(iss[k].cert_serial, t->certs[c]))
                owner = &iss[k];
        if (owner == NULL)
            ret = add(r, RECONCILE_TOKEN_UNKNOWN, "", t->certs[c], ser, e,
                      "token %s (label '%s') carries certificate %s signed by this station's "
                      "issuing CA, which the ledger does not hold", ser, label, t->certs[c]);
        else if (strcmp(owner->token_serial, ser) != 0)
            ret = add(r, RECONCILE_TOKEN_UNKNOWN, owner->order_number, owner->cert_serial, ser,
                      e,
                      "token %s (label '%s') carries certificate %s of order %s, which the "
                      "ledger records on %s%s", ser, label, owner->cert_serial,
                      owner->order_number, owner->token_serial[0] ? "token " : "no token",
                      owner->token_serial);
    }
    return ret;
}

/* A live issuance whose token is present: the token must still carry the order's label and
 * the live certificate. An absent token is not a finding: it has been shipped, or is not in
 * a reader. */
static int check_live_tokens(const struct token_view *tv, size_t n_tv,
                             const ledger_issuance *iss, size_t n_iss, reconcile_report *r,
                             sk_err *e)
{
    int ret = SK_OK;

    for (size_t k = 0; ret == SK_OK && k < n_iss; k++) {
        const ledger_issuance *i = &iss[k];
        const struct token_view *t = NULL;

        /* A held certificate is live again once released: its token must still carry it. */
        if (!holds_place(i) || i->token_serial[0] == '\0')
            continue;
        for (size_t j = 0; j < n_tv && t == NULL; j++)
            if (strcmp(tv[j].info.serial, i->token_serial) == 0)
                t = &tv[j];
        if (t == NULL || (t->info.initialized && !t->readable))
            continue;
        if (!t->info.initialized || strcmp(t->info.label, i->order_number) != 0)
            ret = add(r, RECONCILE_TOKEN_WIPED, i->order_number, i->cert_serial, i->token_serial,
                      e,
                      "the live token %s of order %s is now %s%s%s (wiped or reused); its "
                      "certificate %s is still valid and on no CRL", i->token_serial,
                      i->order_number, t->info.initialized ? "labelled '" : "blank",
                      t->info.initialized ? t->info.label : "",
                      t->info.initialized ? "'" : "", i->cert_serial);
        else if (!token_has_cert(t, i->cert_serial))
            ret = add(r, RECONCILE_TOKEN_WIPED, i->order_number, i->cert_serial, i->token_serial,
                      e,
                      "the live token %s of order %s no longer carries its certificate %s "
                      "(wiped?); the certificate is still valid and on no CRL", i->token_serial,
                      i->order_number, i->cert_serial);
    }
    return ret;
}

/* The CA's own HSM token, when it shares the module, is none of the ledger's business. */
static bool is_ca_token(const station_config *st, const tok_info *t)
{
    tok_uri u;
    sk_err e;

    if (st->ca_key_uri == NULL || tok_uri_parse(st->ca_key_uri, &u, &e) != SK_OK)
        return false;
    if (!u.has_token && !u.has_serial)
        return false;
    return (!u.has_token || strcmp(u.token, t->label) == 0) &&
           (!u.has_serial || strcmp(u.serial, t->serial) == 0);
}

static int check_tokens(const station_config *st, tok_module *m, const ledger_issuance *iss,
                        size_t n_iss, reconcile_report *r, sk_err *e)
{
    tok_info *infos = NULL;
    struct token_view *tv = NULL;
    size_t n = 0, n_tv = 0;
    X509 *issuing = NULL;
    int ret;

    if ((ret = issuing_cert(st, &issuing, e)) != SK_OK ||
        (ret = tok_list_tokens(m, &infos, &n, e)) != SK_OK)
        goto out;
    if (n > 0 && (tv = calloc(n, sizeof(*tv))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct token_view *t = &tv[n_tv];
        sk_err te;

        if (is_ca_token(st, &infos[i]))
            continue;
        t->info = infos[i];
        n_tv++;
        if (!t->info.initialized)
            continue;
        r->tokens++;
        sk_err_clear(&te);
        if (read_token(m, issuing, t, &te) != SK_OK) {
            if ((ret = add(r, RECONCILE_TOKEN_UNREADABLE, "", "", t->info.serial, e,
                           "token %s (label '%s') cannot be read: %s", t->info.serial,
                           t->info.label, te.msg)) != SK_OK)
                goto out;
            continue;
        }
        if ((ret = check_token(t, iss, n_iss, r, e)) != SK_OK)
            goto out;
    }
    r->tokens_checked = true;
    ret = check_live_tokens(tv, n_tv, iss, n_iss, r, e);
out:
    for (size_t i = 0; tv != NULL && i < n; i++)
        free(tv[i].certs);
    free(tv);
    free(infos);
    X509_free(issuing);
    return ret;
}

/* The audit log (every station's, on a shared ledger) whole and where the ledger says it
 * ends (issuer/records/audit.h); damage is a finding, an unreadable file an error. */
static int check_audit(audit_sink *audit, reconcile_report *r, sk_err *e)
{
    size_t n = 0, stations = 0;
    sk_err ae;
    int ret;

    sk_err_clear(&ae);
    ret = audit_verify_all(audit, &n, &stations, &ae);
    r->audit_records = n;
    if (ret == SK_EFAIL)
        return add(r, RECONCILE_AUDIT, "", "", "", e, "%s", ae.msg);
    if (ret != SK_OK) {
        *e = ae;
        return sk_err_wrap(e, "audit log");
    }
    return SK_OK;
}

int reconcile_run(const station_config *st, ledger *l, audit_sink *audit, tok_module *tokens,
                  reconcile_report *r, sk_err *e)
{
    ledger_issuance *iss = NULL;
    ledger_serial *ser = NULL;
    size_t n_iss = 0, n_ser = 0;
    int ret;

    memset(r, 0, sizeof(*r));
    if ((ret = ledger_list(l, NULL, &iss, &n_iss, e)) != SK_OK ||
        (ret = ledger_serials(l, &ser, &n_ser, e)) != SK_OK)
        goto out;
    r->issuances = n_iss;
    if ((ret = check_serials(iss, n_iss, ser, n_ser, r, e)) != SK_OK ||
        (ret = check_live(iss, n_iss, r, e)) != SK_OK ||
        (ret = check_unfinished(l, iss, n_iss, ser, n_ser, r, e)) != SK_OK)
        goto out;
    if (tokens != NULL && (ret = check_tokens(st, tokens, iss, n_iss, r, e)) != SK_OK)
        goto out;
    ret = check_audit(audit, r, e);
out:
    free(iss);
    free(ser);
    return ret;
}

/* SKF devices (issue 15): what can be read without a PIN. A device's label and applications
 * are public; its containers and certificates need the user PIN on the devices we know
 * (GM/T 0016 leaves it to the vendor), so the certificates are not read here. A device
 * labelled with an order must hold that order's issuance in the ledger; the device of a live
 * issuance, when present, must still carry the order's label and the application sealkey
 * made (ISSUE_SKF_APP, "SEALKEY"). */
static bool skf_has_app(skf_lib *lib, const skf_dev_info *d, const char *app)
{
    skf_dev *dev = NULL;
    char **names = NULL;
    size_t n = 0;
    bool found = false;
    sk_err e;

    if (skf_select(lib, d->name, d->serial, &dev, &e) == SK_OK &&
        skf_app_list(dev, &names, &n, &e) == SK_OK)
        for (size_t i = 0; i < n && !found; i++)
            found = strcmp(names[i], app) == 0;
    skf_names_free(names, n);
    skf_dev_free(dev);
    return found;
}

int reconcile_skf_devices(ledger *l, skf_lib *lib, reconcile_report *r, sk_err *e)
{
    ledger_issuance *iss = NULL;
    skf_dev_info *devs = NULL;
    size_t n_iss = 0, n = 0;
    int ret;

    if ((ret = ledger_list(l, NULL, &iss, &n_iss, e)) != SK_OK ||
        (ret = skf_list_devices(lib, &devs, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; ret == SK_OK && i < n; i++) {
        const skf_dev_info *d = &devs[i];
        bool known = false;

        if (d->n_apps == 0)
            continue;
        r->tokens++;
        if (!order_number_valid(d->label, NULL, 0))
            continue;
        for (size_t k = 0; k < n_iss && !known; k++)
            known = strcmp(iss[k].order_number, d->label) == 0 &&
                    strcmp(iss[k].token_serial, d->serial) == 0;
        if (!known)
            ret = add(r, RECONCILE_TOKEN_UNKNOWN, d->label, "", d->serial, e,
                      "SKF device %s ('%s') is labelled %s, but the ledger holds no issuance of "
                      "that order on it", d->serial, d->name, d->label);
    }
    for (size_t k = 0; ret == SK_OK && k < n_iss; k++) {
        const ledger_issuance *i = &iss[k];
        const skf_dev_info *d = NULL;

        if (!is_live(i) || i->token_serial[0] == '\0')
            continue;
        for (size_t j = 0; j < n && d == NULL; j++)
            if (strcmp(devs[j].serial, i->token_serial) == 0)
                d = &devs[j];
        if (d == NULL)
            continue; /* shipped, or not plugged in */
        if (strcmp(d->label, i->order_number) != 0 || !skf_has_app(lib, d, "SEALKEY"))
            ret = add(r, RECONCILE_TOKEN_WIPED, i->order_number, i->cert_serial, i->token_serial,
                      e,
                      "the live SKF device %s of order %s is now labelled '%s'%s (wiped or "
                      "reused); its certificate %s is still valid and on no CRL",
                      i->token_serial, i->order_number, d->label,
                      d->n_apps == 0 ? " with no application" : "", i->cert_serial);
    }
    if (ret == SK_OK)
        r->tokens_checked = true;
out:
    free(devs);
    free(iss);
    return ret;
}
