#include "issuer/supervisor/sup_wire.h"

#include <string.h>

/* Big-endian 16-bit lengths, written and read byte by byte: no alignment, no host order. */
static void put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static size_t get16(const unsigned char *p)
{
    return (size_t)p[0] << 8 | p[1];
}

/* A frame's header, once its payload's length is known. */
static int frame_begin(unsigned char *buf, size_t len, sup_frame_kind kind, size_t payload,
                       size_t *used, sk_err *e)
{
    if (payload > 0xffff || 3 + payload > len)
        return sk_err_set(e, SK_EINTERNAL, "worker frame: %zu bytes do not fit in %zu",
                          3 + payload, len);
    buf[0] = (unsigned char)kind;
    put16(buf + 1, payload);
    *used = 3 + payload;
    return SK_OK;
}

int sup_wire_step(iss_step step, unsigned char *buf, size_t len, size_t *used, sk_err *e)
{
    int ret;

    if ((int)step < ISS_RESERVED || step > ISS_VERIFIED)
        return sk_err_set(e, SK_EINTERNAL, "worker frame: step %d is not an issuance step",
                          (int)step);
    if ((ret = frame_begin(buf, len, SUP_FRAME_STEP, 1, used, e)) != SK_OK)
        return ret;
    buf[3] = (unsigned char)step;
    return SK_OK;
}

/* The result's strings, in their order on the wire. */
#define N_STRINGS 6
static void result_strings(const sup_result *r, const char *out[N_STRINGS])
{
    out[0] = r->token_serial;
    out[1] = r->cert_serial;
    out[2] = r->seal_ids[0];
    out[3] = r->seal_ids[1];
    out[4] = r->message;
    out[5] = r->not_after;
}

int sup_wire_result(const sup_result *r, unsigned char *buf, size_t len, size_t *used, sk_err *e)
{
    const char *s[N_STRINGS];
    size_t n[N_STRINGS], payload = 3, at;
    int ret;

    if (r->status < 0 || r->status > 255 || r->n_seals > 2)
        return sk_err_set(e, SK_EINTERNAL, "worker frame: status %d or %zu seals out of range",
                          r->status, r->n_seals);
    result_strings(r, s);
    for (int k = 0; k < N_STRINGS; k++) {
        n[k] = strlen(s[k]);
        payload += 2 + n[k];
    }
    if ((ret = frame_begin(buf, len, SUP_FRAME_RESULT, payload, used, e)) != SK_OK)
        return ret;
    buf[3] = (unsigned char)r->status;
    buf[4] = (r->already_issued ? 1 : 0) | (r->awaiting_cert ? 2 : 0) |
             (r->validity_capped ? 4 : 0);
    buf[5] = (unsigned char)r->n_seals;
    at = 6;
    for (int k = 0; k < N_STRINGS; k++) {
        put16(buf + at, n[k]);
        memcpy(buf + at + 2, s[k], n[k]);
        at += 2 + n[k];
    }
    return SK_OK;
}

/* One string of a result payload into a field of size cap. */
static int take_string(const unsigned char *p, size_t len, size_t *at, char *field, size_t cap,
                       const char *name, sk_err *e)
{
    size_t n;

    if (len - *at < 2)
        return sk_err_set(e, SK_EINPUT, "worker result: %s: cut short", name);
    n = get16(p + *at);
    if (n > len - *at - 2)
        return sk_err_set(e, SK_EINPUT, "worker result: %s: %zu bytes, %zu left", name, n,
                          len - *at - 2);
    if (n >= cap)
        return sk_err_set(e, SK_EINPUT, "worker result: %s: %zu bytes, at most %zu", name, n,
                          cap - 1);
    if (memchr(p + *at + 2, '\0', n) != NULL)
        return sk_err_set(e, SK_EINPUT, "worker result: %s: holds a NUL byte", name);
    memcpy(field, p + *at + 2, n);
    field[n] = '\0';
    *at += 2 + n;
    return SK_OK;
}

static int take_result(const unsigned char *p, size_t len, sup_result *r, sk_err *e)
{
    static const char *const names[N_STRINGS] = {"token_serial", "cert_serial", "seal_ids[0]",
                                                 "seal_ids[1]", "message", "not_after"};
    char *fields[N_STRINGS] = {r->token_serial, r->cert_serial, r->seal_ids[0],
                               r->seal_ids[1], r->message, r->not_after};
    const size_t caps[N_STRINGS] = {sizeof(r->token_serial), sizeof(r->cert_serial),
                                    sizeof(r->seal_ids[0]), sizeof(r->seal_ids[1]),
                                    sizeof(r->message), sizeof(r->not_after)};
    size_t at = 3;
    int ret;

    memset(r, 0, sizeof(*r));
    if (len < 3)
        return sk_err_set(e, SK_EINPUT, "worker result: %zu bytes, at least 3", len);
    if (p[1] > 7 || p[2] > 2)
        return sk_err_set(e, SK_EINPUT, "worker result: flags %u or %u seals out of range",
                          p[1], p[2]);
    r->status = p[0];
    r->already_issued = (p[1] & 1) != 0;
    r->awaiting_cert = (p[1] & 2) != 0;
    r->validity_capped = (p[1] & 4) != 0;
    r->n_seals = p[2];
    for (int k = 0; k < N_STRINGS; k++)
        if ((ret = take_string(p, len, &at, fields[k], caps[k], names[k], e)) != SK_OK)
            return ret;
    if (at != len)
        return sk_err_set(e, SK_EINPUT, "worker result: %zu bytes left over", len - at);
    return SK_OK;
}

int sup_wire_take(const unsigned char *buf, size_t len, sup_frame *f, size_t *used, sk_err *e)
{
    size_t payload;
    int ret;

    *used = 0;
    if (len < 3)
        return SK_OK;
    payload = get16(buf + 1);
    if (buf[0] != SUP_FRAME_STEP && buf[0] != SUP_FRAME_RESULT)
        return sk_err_set(e, SK_EINPUT, "worker frame: unknown kind 0x%02x", buf[0]);
    /* Refused as soon as the header is in: a reader with room for SUP_WIRE_MAX bytes would
     * otherwise wait for the rest forever. */
    if (payload > SUP_WIRE_MAX - 3)
        return sk_err_set(e, SK_EINPUT, "worker frame: %zu bytes, at most %d", payload + 3,
                          SUP_WIRE_MAX);
    if (len - 3 < payload)
        return SK_OK;
    memset(f, 0, sizeof(*f));
    switch (buf[0]) {
    case SUP_FRAME_STEP:
        if (payload != 1 || buf[3] > ISS_VERIFIED)
            return sk_err_set(e, SK_EINPUT, "worker step: %zu bytes, step %u", payload,
                              payload > 0 ? buf[3] : 0);
        f->kind = SUP_FRAME_STEP;
        f->step = (iss_step)buf[3];
        break;
    case SUP_FRAME_RESULT:
        if ((ret = take_result(buf + 3, payload, &f->result, e)) != SK_OK)
            return ret;
        f->kind = SUP_FRAME_RESULT;
        break;
    default:
        return sk_err_set(e, SK_EINPUT, "worker frame: unknown kind 0x%02x", buf[0]);
    }
    *used = 3 + payload;
    return SK_OK;
}
