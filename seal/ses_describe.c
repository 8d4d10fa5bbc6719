/* A seal (and its verification) as text lines or JSON, for `seal show` and `seal verify`.
 * Built here rather than in cli/ so that both commands print the same thing; nothing is
 * printed here, the caller gets a string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/objects.h>

#include "seal/ses.h"
#include "seal/ses_trust.h"

static const char *type_label(long t)
{
    switch (t) {
    case SES_TYPE_OFFICIAL: return "official unit seal";
    case SES_TYPE_FINANCE: return "finance seal";
    case SES_TYPE_INVOICE: return "invoice seal";
    case SES_TYPE_CONTRACT: return "contract seal";
    case SES_TYPE_LEGAL_REP: return "legal representative seal";
    case SES_TYPE_OTHER: return "other";
    default: return "unknown";
    }
}

static void name_text(const X509_NAME *n, char *buf, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *m = NULL;

    buf[0] = '\0';
    /* UTF-8 kept as is (not escaped), so Chinese names read as written. */
    if (b != NULL && X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
        BIO_get_mem_ptr(b, &m) == 1 && m != NULL)
        snprintf(buf, len, "%.*s", (int)m->length, m->data);
    BIO_free(b);
    if (buf[0] == '\0')
        X509_NAME_oneline(n, buf, (int)len);
}

static char *hex_of(const unsigned char *p, size_t n, size_t max)
{
    size_t shown = n < max ? n : max;
    char *s = malloc(2 * shown + 4);

    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < shown; i++)
        snprintf(s + 2 * i, 3, "%02x", p[i]);
    snprintf(s + 2 * shown, 4, "%s", shown < n ? "..." : "");
    return s;
}

/* Printable UTF-8 (no control characters) is shown as text, anything else as hex. */
static int printable_utf8(const unsigned char *p, size_t n)
{
    json_t *j;

    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return 0;
    j = json_stringn((const char *)p, n); /* jansson validates UTF-8 */
    json_decref(j);
    return j != NULL;
}

static json_t *cert_json(const X509 *x)
{
    char subj[1024], iss[1024], serial[128], nb[SES_TIME_TEXT], na[SES_TIME_TEXT];

    name_text(X509_get_subject_name(x), subj, sizeof(subj));
    name_text(X509_get_issuer_name(x), iss, sizeof(iss));
    ses_serial_hex(X509_get0_serialNumber(x), serial, sizeof(serial));
    ses_asn1_time_text(X509_get0_notBefore(x), nb, sizeof(nb));
    ses_asn1_time_text(X509_get0_notAfter(x), na, sizeof(na));
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "subject", subj, "issuer", iss, "serial", serial,
                     "not_before", nb, "not_after", na);
}

static json_t *seal_json(const ses_seal *s, const char *file)
{
    json_t *o = NULL, *certs = NULL, *exts = NULL, *pic = NULL;
    char *sig_hex = NULL;
    char detail[256];
    long pw = 0, ph = 0;

    if ((certs = json_array()) == NULL || (exts = json_array()) == NULL)
        goto fail;
    for (size_t i = 0; i < s->n_certs; i++) {
        json_t *c;
        if (s->certs[i].x509 != NULL) {
            c = cert_json(s->certs[i].x509);
        } else {
            char *h = hex_of(s->certs[i].der, s->certs[i].der_len, 64);
            c = json_pack("{s:s, s:s?}", "digest_type", s->certs[i].digest_type, "digest", h);
            free(h);
        }
        if (c == NULL || json_array_append_new(certs, c) != 0)
            goto fail;
    }
    for (size_t i = 0; i < s->n_exts; i++) {
        const ses_ext *x = &s->exts[i];
        int text = printable_utf8(x->value, x->value_len);
        char *h = text ? NULL : hex_of(x->value, x->value_len, 256);
        json_t *j = json_pack("{s:s, s:b, s:s%}", "oid", x->oid, "critical", x->critical,
                              text ? "value" : "value_hex",
                              text ? (const char *)x->value : (h != NULL ? h : ""),
                              text ? x->value_len : (h != NULL ? strlen(h) : 0));
        free(h);
        if (j != NULL && strcmp(x->oid, SES_OID_UNIT_ID) == 0)
            json_object_set_new(j, "meaning", json_string("USCC+unit name"));
        if (j == NULL || json_array_append_new(exts, j) != 0)
            goto fail;
    }
    ses_picture_check(s->picture_type, s->picture, s->picture_len, &pw, &ph, detail,
                      sizeof(detail));
    pic = json_pack("{s:s, s:I, s:I, s:I}", "type", s->picture_type, "bytes",
                    (json_int_t)s->picture_len, "width_mm", (json_int_t)s->width_mm, "height_mm",
                    (json_int_t)s->height_mm);
    if (pic == NULL)
        goto fail;
    if (pw > 0) {
        json_object_set_new(pic, "width_px", json_integer(pw));
        json_object_set_new(pic, "height_px", json_integer(ph));
    }
    sig_hex = hex_of(s->signature, s->signature_len, 256);
    o = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:i, s:o, s:s, s:s, s:s, "
                  "s:o, s:o, s:o, s:s, s:s, s:I, s:s, s:b, s:b}",
                  "file", file, "format_version", s->format_version, "header_version",
                  s->header_version, "container",
                  s->in_signature == 0 ? "SESeal"
                  : s->in_signature == 1 ? "SES_Signature v1"
                                         : "SES_Signature v4",
                  "header_id", s->header_id, "vid", s->vid, "es_id", s->es_id, "type",
                  (json_int_t)s->type, "type_label", type_label(s->type), "name", s->name,
                  "cert_list_type", s->cert_list_type, "cert_list", certs, "create_date",
                  s->create_text, "valid_start", s->valid_start_text, "valid_end",
                  s->valid_end_text, "picture", pic, "ext_datas", exts, "maker",
                  cert_json(s->maker_cert), "sign_alg", s->sign_alg_oid, "sign_alg_name",
                  OBJ_nid2sn(OBJ_txt2nid(s->sign_alg_oid)), "signed_bytes",
                  (json_int_t)s->signed_len, "signature_der", sig_hex != NULL ? sig_hex : "",
                  "signature_was_raw", s->signature_was_raw, "time_stamp", s->has_time_stamp);
    certs = exts = pic = NULL; /* owned by o, or freed by json_pack on failure */
    free(sig_hex);
    return o;
fail:
    json_decref(certs);
    json_decref(exts);
    json_decref(pic);
    return NULL;
}

static json_t *result_json(const ses_verify_result *r)
{
    char at[SES_TIME_TEXT];
    json_t *checks = json_array(), *o;

    ses_time_format(r->at, at, sizeof(at));
    for (int i = 0; i < SES_CHECK_COUNT + (r->has_doc ? SES_DOC_CHECK_COUNT : 0) &&
                    checks != NULL;
         i++) {
        /* An SES_Signature's document checks follow the seal's. */
        const ses_check *c = i < SES_CHECK_COUNT ? &r->check[i] : &r->doc_check[i - SES_CHECK_COUNT];
        json_array_append_new(checks, json_pack("{s:s, s:s, s:s}", "check", c->name, "result",
                                                c->state == SES_CHECK_PASSED   ? "ok"
                                                : c->state == SES_CHECK_FAILED ? "failed"
                                                                               : "skipped",
                                                "detail", c->detail));
    }
    /* "valid" only when nothing failed and trust was established; "result" tells apart a
     * seal that failed a check from one that could not be verified. */
    o = json_pack("{s:s, s:o, s:b, s:s, s:s?}", "checked_at", at, "checks", checks, "valid",
                  r->n_failed == 0 && !r->unverified, "result",
                  r->n_failed > 0 ? "not valid" : r->unverified ? "not verified" : "valid",
                  "summary", r->n_failed == 0 ? r->summary : NULL);
    return o;
}

static void text_seal(FILE *f, const ses_seal *s, const char *file)
{
    char buf[1024], serial[128], nb[SES_TIME_TEXT], na[SES_TIME_TEXT], detail[256];
    long pw = 0, ph = 0;

    fprintf(f, "file:           %s\n", file);
    fprintf(f, "format:         v%d (header %s version %d)%s\n", s->format_version, s->header_id,
            s->header_version,
            s->in_signature == 0 ? ""
            : s->in_signature == 1 ? ", taken from a v1 SES_Signature"
                                   : ", taken from a v4 SES_Signature");
    fprintf(f, "vid:            %s\n", s->vid);
    fprintf(f, "esID:           %s\n", s->es_id);
    fprintf(f, "type:           %ld (%s)\n", s->type, type_label(s->type));
    fprintf(f, "name:           %s\n", s->name);
    fprintf(f, "created:        %s\n", s->create_text);
    fprintf(f, "valid:          %s .. %s\n", s->valid_start_text, s->valid_end_text);
    fprintf(f, "certListType:   %d (%s)\n", s->cert_list_type,
            s->cert_list_type == 1 ? "certificates" : "certificate digests");
    for (size_t i = 0; i < s->n_certs; i++) {
        if (s->certs[i].x509 != NULL) {
            name_text(X509_get_subject_name(s->certs[i].x509), buf, sizeof(buf));
            ses_serial_hex(X509_get0_serialNumber(s->certs[i].x509), serial, sizeof(serial));
            fprintf(f, "holder[%zu]:      %s (serial %s)\n", i, buf, serial);
        } else {
            char *h = hex_of(s->certs[i].der, s->certs[i].der_len, 64);
            fprintf(f, "holder[%zu]:      %s digest %s\n", i, s->certs[i].digest_type,
                    h != NULL ? h : "");
            free(h);
        }
    }
    name_text(X509_get_subject_name(s->maker_cert), buf, sizeof(buf));
    fprintf(f, "maker:          %s\n", buf);
    name_text(X509_get_issuer_name(s->maker_cert), buf, sizeof(buf));
    ses_asn1_time_text(X509_get0_notBefore(s->maker_cert), nb, sizeof(nb));
    ses_asn1_time_text(X509_get0_notAfter(s->maker_cert), na, sizeof(na));
    ses_serial_hex(X509_get0_serialNumber(s->maker_cert), serial, sizeof(serial));
    fprintf(f, "maker issuer:   %s\n", buf);
    fprintf(f, "maker serial:   %s, valid %s .. %s\n", serial, nb, na);
    fprintf(f, "signAlg:        %s (%s), %zu signed bytes, signature %s\n", s->sign_alg_oid,
            OBJ_nid2sn(OBJ_txt2nid(s->sign_alg_oid)), s->signed_len,
            s->signature_was_raw ? "raw r||s" : "DER");
    ses_picture_check(s->picture_type, s->picture, s->picture_len, &pw, &ph, detail,
                      sizeof(detail));
    fprintf(f, "picture:        %s, %zu bytes, %ld x %ld mm", s->picture_type, s->picture_len,
            s->width_mm, s->height_mm);
    if (pw > 0)
        fprintf(f, ", %ld x %ld px", pw, ph);
    fputc('\n', f);
    for (size_t i = 0; i < s->n_exts; i++) {
        const ses_ext *x = &s->exts[i];
        if (printable_utf8(x->value, x->value_len)) {
            fprintf(f, "extData[%zu]:     %s%s \"%.*s\"\n", i, x->oid, x->critical ? " critical" : "",
                    (int)x->value_len, (const char *)x->value);
        } else {
            char *h = hex_of(x->value, x->value_len, 64);
            fprintf(f, "extData[%zu]:     %s%s %s\n", i, x->oid, x->critical ? " critical" : "",
                    h != NULL ? h : "");
            free(h);
        }
    }
    if (s->has_time_stamp)
        fprintf(f, "timeStamp:      present (not checked)\n");
}

static void text_result(FILE *f, const ses_verify_result *r)
{
    char at[SES_TIME_TEXT];

    ses_time_format(r->at, at, sizeof(at));
    fprintf(f, "checked at:     %s\n", at);
    for (int i = 0; i < SES_CHECK_COUNT; i++) {
        const ses_check *c = &r->check[i];
        fprintf(f, "check %-10s %-7s %s\n", c->name,
                c->state == SES_CHECK_PASSED   ? "ok"
                : c->state == SES_CHECK_FAILED ? "FAILED"
                                               : "skipped",
                c->detail);
    }
    for (int i = 0; r->has_doc && i < SES_DOC_CHECK_COUNT; i++) {
        const ses_check *c = &r->doc_check[i];
        fprintf(f, "check %-10s %-7s %s\n", c->name,
                c->state == SES_CHECK_PASSED   ? "ok"
                : c->state == SES_CHECK_FAILED ? "FAILED"
                                               : "skipped",
                c->detail);
    }
    if (r->n_failed > 0)
        fprintf(f, "result:         NOT VALID\n");
    else if (r->unverified)
        fprintf(f, "result:         NOT VERIFIED: %s\n", r->summary);
    else
        fprintf(f, "result:         valid: %s\n", r->summary);
}

int ses_seal_describe(const ses_seal *s, const char *file, const ses_verify_result *r, int json,
                      char **out, sk_err *e)
{
    json_t *o = NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = NULL;
    int ret = SK_EINTERNAL;

    *out = NULL;
    if (json) {
        if ((o = seal_json(s, file)) == NULL ||
            (r != NULL && json_object_set_new(o, "verification", result_json(r)) != 0) ||
            (text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "%s: cannot format the seal as JSON", file);
            goto out;
        }
        /* json_dumps' buffer comes from malloc by default, like the text one. */
        *out = text;
        ret = SK_OK;
        goto out;
    }
    if ((f = open_memstream(&text, &len)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", file);
        goto out;
    }
    text_seal(f, s, file);
    if (r != NULL)
        text_result(f, r);
    if (fclose(f) != 0) {
        f = NULL;
        free(text);
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", file);
        goto out;
    }
    f = NULL;
    *out = text;
    ret = SK_OK;
out:
    json_decref(o);
    return ret;
}
