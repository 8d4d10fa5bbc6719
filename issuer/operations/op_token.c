/* `sealkey token` (issuer/operations/op_token.h): a token after its issuance. */
#include "issuer/operations/op_token.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issuer/issuance/issue.h"
#include "util/sk_file.h"
#include "util/sk_secmem.h"
#include "util/sk_secret.h"

/* Fixed-size ledger and token fields: a longer text is cut, as the ledger's own copies are. */
static void copy(char *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);

    memcpy(dst, src, n);
    dst[n] = '\0';
}
#define COPY(dst, src) copy((dst), sizeof(dst), (src))

/* The serial a URI names (serial=), without looking at any token. */
static int uri_serial(const char *uri, char *serial, size_t len, sk_err *e)
{
    tok_uri u;
    int ret;

    if ((ret = tok_uri_parse(uri, &u, e)) != SK_OK)
        return ret;
    if (!u.has_serial || u.serial[0] == '\0')
        return sk_err_set(e, SK_EUSAGE, "--token %s: name the token by serial= (the ledger "
                          "knows tokens by serial), or use --order", uri);
    snprintf(serial, len, "%s", u.serial);
    return SK_OK;
}

int op_token_order(const op_env *env, const op_token_ref *ref, char *number, size_t len,
                   sk_err *e)
{
    char serial[40];
    ledger_issuance iss;
    bool found = false;
    int ret;

    if (ref->order != NULL) {
        snprintf(number, len, "%s", ref->order);
        return SK_OK;
    }
    if (ref->uri != NULL) {
        if ((ret = uri_serial(ref->uri, serial, sizeof(serial), e)) != SK_OK)
            return ret;
    } else {
        COPY(serial, ref->serial != NULL ? ref->serial : "");
    }
    if ((ret = ledger_token_live(env->ledger, serial, &iss, &found, e)) != SK_OK)
        return ret;
    if (!found)
        return sk_err_set(e, SK_ESTATE, "token %s carries no live or held certificate in the "
                          "ledger", serial);
    snprintf(number, len, "%s", iss.order_number);
    return SK_OK;
}

static int audit_one(const op_env *env, audit_ev ev, const char *number,
                     const ledger_issuance *iss, const char *detail, sk_err *e)
{
    audit_event a = {.event = ev,
                     .result = AUDIT_OK,
                     .order = number,
                     .token_serial = iss != NULL ? iss->token_serial : NULL,
                     .cert_serial = iss != NULL ? iss->cert_serial : NULL,
                     .detail = detail};
    int ret = audit_append(env->audit, &a, e);

    return ret == SK_OK ? SK_OK : sk_err_wrap(e, "audit log");
}

int op_token_hold(const op_env *env, const char *number, const char *operator_name,
                  ledger_issuance *held, sk_err *e)
{
    int ret = ledger_hold(env->ledger, number, env->st->station_id, operator_name, "", held, e);

    if (ret == SK_OK)
        ret = audit_one(env, AUDIT_EV_CERT_HELD, number, held, LEDGER_HOLD_REASON, e);
    return ret;
}

int op_token_release(const op_env *env, const char *number, const char *operator_name,
                     ledger_issuance *released, sk_err *e)
{
    int ret = ledger_hold_lift(env->ledger, number, env->st->station_id, operator_name, "",
                               released, e);

    if (ret == SK_OK)
        ret = audit_one(env, AUDIT_EV_CERT_RELEASED, number, released, "hold lifted", e);
    return ret;
}

/* Has the token been marked lost while it carried issuance id? */
static int marked_lost(const op_env *env, const char *serial, long long id, bool *lost,
                       sk_err *e)
{
    ledger_token_event *ev = NULL;
    size_t n = 0;
    int ret = ledger_token_events(env->ledger, serial, &ev, &n, e);

    *lost = false;
    for (size_t i = 0; ret == SK_OK && i < n; i++)
        *lost = *lost || (strcmp(ev[i].event, "lost") == 0 && ev[i].issuance_id == id);
    free(ev);
    return ret;
}

/* The issuance whose token is lost: the order's verified one (live or held), else, for a
 * re-run after the revocation, the latest revoked one that was issued on a token. */
static int lost_issuance(const op_env *env, const char *number, ledger_issuance *out,
                         bool *revoked_before, sk_err *e)
{
    ledger_issuance *all = NULL;
    size_t n = 0;
    bool found = false;
    int ret;

    *revoked_before = false;
    if ((ret = ledger_current(env->ledger, number, out, &found, e)) != SK_OK || found)
        return ret;
    if ((ret = ledger_list(env->ledger, number, &all, &n, e)) != SK_OK)
        return ret;
    for (size_t i = n; i > 0 && !found; i--) {
        if (all[i - 1].step == ISS_REVOKED && all[i - 1].token_serial[0] != '\0') {
            *out = all[i - 1];
            found = *revoked_before = true;
        }
    }
    free(all);
    if (!found)
        return sk_err_set(e, SK_ESTATE, "order %s has no issued token in the ledger", number);
    return SK_OK;
}

int op_token_lost(const op_env *env, const char *number, const char *reason,
                  const char *operator_name, op_token_lost_result *r, sk_err *e)
{
    ledger_issuance iss;
    ledger_token_event ev;
    bool revoked_before = false, lost = false;
    char detail[128];
    int ret;

    memset(r, 0, sizeof(*r));
    if ((ret = ca_revocation_reason(reason != NULL ? reason : "keyCompromise", &r->reason,
                                    e)) != SK_OK ||
        (ret = lost_issuance(env, number, &iss, &revoked_before, e)) != SK_OK ||
        (ret = marked_lost(env, iss.token_serial, iss.id, &lost, e)) != SK_OK)
        return ret;
    if (lost)
        return sk_err_set(e, SK_ESTATE, "order %s: token %s is marked lost already",
                          number, iss.token_serial);
    COPY(r->token_serial, iss.token_serial);
    COPY(r->cert_serial, iss.cert_serial);
    /* Revoke first: a token marked lost whose certificate is still valid would be the worse
     * half of a crash in between. A re-run finds the revocation done (nothing left to
     * revoke) and goes on to mark the token. */
    if (!revoked_before) {
        ret = op_revoke(env, number, r->reason, &r->revoke, e);
        if (ret != SK_OK)
            return ret;
    } else {
        r->reason = iss.revocation_reason;
    }
    memset(&ev, 0, sizeof(ev));
    COPY(ev.token_serial, iss.token_serial);
    COPY(ev.order_number, number);
    ev.issuance_id = iss.id;
    COPY(ev.event, "lost");
    COPY(ev.station_id, env->st->station_id);
    COPY(ev.operator_name, operator_name);
    snprintf(detail, sizeof(detail), "certificate %s revoked (%s)", iss.cert_serial,
             r->reason);
    COPY(ev.detail, detail);
    if ((ret = ledger_token_event_add(env->ledger, &ev, e)) != SK_OK)
        return ret;
    return audit_one(env, AUDIT_EV_TOKEN_LOST, number, &iss, detail, e);
}

void op_token_lost_result_free(op_token_lost_result *r)
{
    op_revoke_result_free(&r->revoke);
}

/* "pkcs11:serial=..." for a serial read from the ledger, percent-encoded (RFC 7512). */
static int serial_uri(const char *serial, char *uri, size_t len, sk_err *e)
{
    size_t o = (size_t)snprintf(uri, len, "pkcs11:serial=");

    for (const char *p = serial; *p != '\0'; p++) {
        int n = isalnum((unsigned char)*p) ? snprintf(uri + o, len - o, "%c", *p)
                                           : snprintf(uri + o, len - o, "%%%02X",
                                                      (unsigned char)*p);
        if (n < 0 || (size_t)n >= len - o)
            return sk_err_set(e, SK_EINPUT, "token serial '%s' is too long", serial);
        o += (size_t)n;
    }
    return SK_OK;
}

/* The token with this serial among the module's, if present. */
static int find_present(tok_module *m, const char *serial, tok_info *info, bool *present,
                        sk_err *e)
{
    tok_info *all = NULL;
    size_t n = 0;
    int ret = tok_list_tokens(m, &all, &n, e);

    *present = false;
    for (size_t i = 0; ret == SK_OK && i < n && !*present; i++) {
        if (strcmp(all[i].serial, serial) == 0) {
            *info = all[i];
            *present = true;
        }
    }
    free(all);
    return ret;
}

static int select_serial(tok_module *m, const char *serial, tok_slot **slot, sk_err *e)
{
    char uri[160];
    int ret = serial_uri(serial, uri, sizeof(uri), e);

    return ret == SK_OK ? tok_select(m, uri, slot, e) : ret;
}

/* The token serial a ref names, reading the token for a URI that does not say it. */
static int ref_serial(tok_module *m, const op_token_ref *ref, char *serial, size_t len,
                      sk_err *e)
{
    tok_slot *slot = NULL;
    tok_info info;
    int ret;

    if (ref->serial != NULL) {
        snprintf(serial, len, "%s", ref->serial);
        return SK_OK;
    }
    if (m == NULL)
        return uri_serial(ref->uri, serial, len, e);
    if ((ret = tok_select(m, ref->uri, &slot, e)) == SK_OK &&
        (ret = tok_get_info(slot, &info, e)) == SK_OK)
        snprintf(serial, len, "%s", info.serial);
    tok_slot_free(slot);
    return ret;
}

/* What the ledger says about a token: the order's issuance when named by order, else the
 * live or held one on the token, else its latest. */
static int ledger_side(const op_env *env, const op_token_ref *ref, op_token_view *v, sk_err *e)
{
    bool found = false;
    int ret;

    if (ref->order != NULL) {
        if ((ret = ledger_current(env->ledger, ref->order, &v->iss, &found, e)) != SK_OK ||
            (!found && (ret = ledger_latest(env->ledger, ref->order, &v->iss, &found, e)) !=
                           SK_OK))
            return ret;
        if (!found)
            return sk_err_set(e, SK_EINPUT, "order %s is not in the ledger", ref->order);
        COPY(v->token_serial, v->iss.token_serial);
    } else {
        if ((ret = ledger_token_live(env->ledger, v->token_serial, &v->iss, &found, e)) !=
                SK_OK ||
            (!found && (ret = ledger_token_latest(env->ledger, v->token_serial, &v->iss,
                                                  &found, e)) != SK_OK))
            return ret;
    }
    v->in_ledger = found;
    if (!found)
        return SK_OK;
    COPY(v->order, v->iss.order_number);
    v->held = ledger_issuance_held(&v->iss);
    if (v->token_serial[0] == '\0')
        return SK_OK;
    if ((ret = ledger_token_events(env->ledger, v->token_serial, &v->events, &v->n_events,
                                   e)) != SK_OK)
        return ret;
    for (size_t i = 0; i < v->n_events; i++)
        v->lost = v->lost || (strcmp(v->events[i].event, "lost") == 0 &&
                              v->events[i].issuance_id == v->iss.id);
    return SK_OK;
}

int op_token_show(const op_env *env, tok_module *m, const op_token_ref *ref, op_token_view *v,
                  sk_err *e)
{
    tok_slot *slot = NULL;
    sk_err oe;
    int ret;

    memset(v, 0, sizeof(*v));
    if (ref->order == NULL &&
        (ret = ref_serial(m, ref, v->token_serial, sizeof(v->token_serial), e)) != SK_OK)
        goto out;
    if ((ret = ledger_side(env, ref, v, e)) != SK_OK)
        goto out;
    if (m == NULL || v->token_serial[0] == '\0')
        goto out;
    if ((ret = find_present(m, v->token_serial, &v->info, &v->present, e)) != SK_OK ||
        !v->present)
        goto out;
    /* Public objects only, with no login: a token's objects that cannot be listed are a
     * finding to show, not a reason to show nothing. */
    sk_err_clear(&oe);
    if (select_serial(m, v->token_serial, &slot, &oe) != SK_OK ||
        tok_list_objects(slot, &v->objects, &v->n_objects, &oe) != SK_OK)
        COPY(v->objects_error, oe.msg);
out:
    tok_slot_free(slot);
    return ret;
}

void op_token_view_free(op_token_view *v)
{
    free(v->events);
    tok_objects_free(v->objects, v->n_objects);
    memset(v, 0, sizeof(*v));
}

/* The first out/ORDER/pin-mailer-unblock-N.txt that does not exist, created with the PIN;
 * an earlier mailer is never replaced (sk_file_create_atomic refuses a name taken even a
 * moment ago, and the next N is tried). */
static int new_mailer(const station_config *st, const order *o, const tok_info *info,
                      const char *pin, char *path, size_t len, sk_err *e)
{
    char dir[PATH_MAX], name[64];
    int ret;

    if ((ret = station_order_dir(st, o->number, dir, sizeof(dir), e)) != SK_OK)
        return ret;
    for (int n = 1; n <= 999; n++) {
        snprintf(name, sizeof(name), "pin-mailer-unblock-%d.txt", n);
        if ((ret = sk_path_join(path, len, dir, name, e)) != SK_OK)
            return ret;
        if (sk_file_exists(path))
            continue;
        ret = issue_create_pin_mailer(path, o, info->label, info->serial, pin, e);
        if (ret != SK_ESTATE)
            return ret;
        sk_err_clear(e);
    }
    return sk_err_set(e, SK_EIO, "%s: 999 unblock PIN mailers already; move old ones away", dir);
}

/* The order and the token an unblock works on: the ledger's live or held token of an order,
 * present, and still labelled with the order. */
static int unblock_target(const op_env *env, tok_module *m, const op_token_ref *ref,
                          op_token_unblock_result *r, tok_info *info, sk_err *e)
{
    ledger_issuance iss;
    char serial[40] = "";
    bool found = false, present = false;
    int ret;

    if (ref->order != NULL) {
        if ((ret = ledger_current(env->ledger, ref->order, &iss, &found, e)) != SK_OK)
            return ret;
        if (!found)
            return sk_err_set(e, SK_ESTATE, "order %s has no issued (verified) token in the "
                              "ledger", ref->order);
    } else {
        if ((ret = ref_serial(m, ref, serial, sizeof(serial), e)) != SK_OK ||
            (ret = ledger_token_live(env->ledger, serial, &iss, &found, e)) != SK_OK)
            return ret;
        if (!found)
            return sk_err_set(e, SK_ESTATE, "token %s carries no live or held certificate in "
                              "the ledger; only an issued token is unblocked", serial);
    }
    COPY(r->order, iss.order_number);
    COPY(r->token_serial, iss.token_serial);
    if ((ret = find_present(m, iss.token_serial, info, &present, e)) != SK_OK)
        return ret;
    if (!present)
        return sk_err_set(e, SK_ETOKEN, "token %s of order %s is not in a reader",
                          iss.token_serial, iss.order_number);
    if (strcmp(info->label, iss.order_number) != 0)
        return sk_err_set(e, SK_ESTATE, "token %s is labelled '%s', not %s as the ledger "
                          "records: not unblocking it (sealkey ledger reconcile)",
                          info->serial, info->label, iss.order_number);
    COPY(r->token_label, info->label);
    r->was_locked = info->user_pin_locked;
    return SK_OK;
}

int op_token_unblock(const op_env *env, tok_module *m, const op_token_ref *ref,
                     const char *so_pin, bool force, const order *o, const char *operator_name,
                     op_token_unblock_result *r, sk_err *e)
{
    const station_config *st = env->st;
    tok_slot *slot = NULL;
    tok_info info;
    order blank;
    ledger_token_event ev;
    ledger_issuance holder;
    audit_event a = {.event = AUDIT_EV_PIN_UNBLOCKED, .result = AUDIT_OK};
    char *pin = NULL; /* the new user PIN: locked memory, wiped when freed */
    char detail[PATH_MAX + 64];
    const char *base;
    bool mailer_made = false, pin_set = false, found = false;
    int ret;

    memset(r, 0, sizeof(*r));
    if ((ret = unblock_target(env, m, ref, r, &info, e)) != SK_OK)
        goto out;
    if (o != NULL && strcmp(o->number, r->order) != 0) {
        ret = sk_err_set(e, SK_EINPUT, "token %s is order %s's, not order %s's", r->token_serial,
                         r->order, o->number);
        goto out;
    }
    if (!r->was_locked && !force) {
        ret = sk_err_set(e, SK_ESTATE, "token %s (order %s): the user PIN is not locked%s; "
                         "--force sets a new one all the same", r->token_serial, r->order,
                         info.user_pin_final_try ? " (final try)" :
                         info.user_pin_count_low ? " (a wrong PIN was entered)" : "");
        goto out;
    }
    if (o == NULL) {
        /* No order file: the mailer names the order and the token, the unit and recipient
         * stay blank for the operator to fill in. */
        memset(&blank, 0, sizeof(blank));
        blank.number = r->order;
        blank.unit_name = "";
        o = &blank;
    }
    if ((ret = sk_secmem_alloc(SK_SECRET_MAX, (void **)&pin, e)) != SK_OK ||
        (ret = issue_random_pin(st->user_pin_min, st->user_pin_max, pin, SK_SECRET_MAX, e)) !=
            SK_OK)
        goto out;
    /* The mailer before the PIN, as at issuance: a PIN set that no mailer carries would
     * lock the holder out for good. */
    if ((ret = new_mailer(st, o, &info, pin, r->pin_mailer, sizeof(r->pin_mailer), e)) != SK_OK)
        goto out;
    mailer_made = true;
    if ((ret = select_serial(m, r->token_serial, &slot, e)) != SK_OK ||
        (ret = tok_init_user_pin(slot, so_pin, pin, e)) != SK_OK)
        goto out;
    pin_set = true;
    /* Read back: the holder's first login must work. */
    if ((ret = tok_login_user(slot, pin, e)) != SK_OK ||
        (ret = tok_logout(slot, e)) != SK_OK) {
        sk_err_wrap(e, "logging in with the new user PIN");
        goto out;
    }
    base = strrchr(r->pin_mailer, '/');
    snprintf(detail, sizeof(detail), "new user PIN in %s; the PIN was %slocked",
             base != NULL ? base + 1 : r->pin_mailer, r->was_locked ? "" : "not ");
    memset(&ev, 0, sizeof(ev));
    COPY(ev.token_serial, r->token_serial);
    COPY(ev.order_number, r->order);
    COPY(ev.event, "unblocked");
    COPY(ev.station_id, st->station_id);
    COPY(ev.operator_name, operator_name);
    COPY(ev.detail, detail);
    if ((ret = ledger_token_live(env->ledger, r->token_serial, &holder, &found, e)) != SK_OK)
        goto out;
    ev.issuance_id = found ? holder.id : 0;
    if ((ret = ledger_token_event_add(env->ledger, &ev, e)) != SK_OK)
        goto out;
    a.order = r->order;
    a.token_serial = r->token_serial;
    a.detail = detail;
    if ((ret = audit_append(env->audit, &a, e)) != SK_OK)
        sk_err_wrap(e, "audit log");
out:
    /* A PIN that was never set must not sit in a mailer as if it were. */
    if (ret != SK_OK && mailer_made && !pin_set) {
        (void)unlink(r->pin_mailer);
        r->pin_mailer[0] = '\0';
    }
    tok_slot_free(slot);
    sk_secmem_free(pin, SK_SECRET_MAX);
    return ret;
}
