/* Seals: the real ofdrw v1/v4 files, byte flips that must never verify, and a v4 seal built
 * and signed with a fresh SM2 maker hierarchy. */
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "seal/sealmaker.h"
#include "seal/ses.h"
#include "seal/ses_asn1.h"
#include "tests/test.h"
#include "util/sk_file.h"

/* A test vector kept in the repository (tests/data/eseal/README.md says where from). */
static const char *test_data(const char *rel, char *buf, size_t len)
{
    const char *d = getenv("SOURCE_DIR");
    snprintf(buf, len, "%s/tests/data/%s", d != NULL ? d : "..", rel);
    return buf;
}

static time_t t_of(const char *s)
{
    time_t t = 0;
    sk_err e;
    if (ses_time_parse(s, &t, &e) != SK_OK)
        abort();
    return t;
}

/* Offsets of the structural elements of a seal, found with the same walk the parser uses
 * would be circular; these come from `openssl asn1parse` of the files (see ses_show test). */
struct region {
    const char *what;
    size_t from, to;
};

/* Flip bytes (all outside the picture data, every 31st inside it) and count outcomes.
 * A flip may be accepted only inside [ok_from, ok_to) (the unsigned maker certificate of a v4
 * seal checked without a trusted chain); anywhere else it must be refused. */
static void flip_all(const unsigned char *der, size_t len, const char *label, time_t at,
                     const char *ca, size_t pic_from, size_t pic_to, size_t ok_from, size_t ok_to,
                     const struct region *regions, size_t n_regions)
{
    unsigned char *buf = malloc(len);
    size_t tried = 0, refused_parse = 0, refused_verify = 0, accepted_ok = 0;
    size_t region_hits[16] = {0};

    /* Under valgrind (scripts/valgrind.sh) every STRIDE-th byte and the first two of each
     * region: every byte verified there would take minutes, and the plain and ASan runs try
     * them all. */
    const char *stride_env = getenv("SEALKEY_TEST_FLIP_STRIDE");
    size_t stride = stride_env != NULL && atoi(stride_env) > 1 ? (size_t)atoi(stride_env) : 1;

    memcpy(buf, der, len);
    for (size_t i = 0; i < len; i++) {
        bool region_start = false;
        for (size_t k = 0; k < n_regions; k++)
            region_start = region_start || (i >= regions[k].from && i < regions[k].from + 2);
        if (i % stride != 0 && !region_start)
            continue;
        if (i >= pic_from && i < pic_to && (i - pic_from) % 31 != 3)
            continue;
        ses_seal *s = NULL;
        ses_verify_opts o = {.at = at, .ca_file = ca, .name = label};
        ses_verify_result r;
        sk_err e;
        int rc;

        buf[i] ^= (i & 1) ? 0x01 : 0x80;
        tried++;
        rc = ses_seal_parse(buf, len, label, &s, &e);
        if (rc != SK_OK) {
            refused_parse++;
        } else {
            rc = ses_seal_verify(s, &o, &r, &e);
            if (rc != SK_OK) {
                refused_verify++;
            } else if (i >= ok_from && i < ok_to) {
                accepted_ok++;
            } else {
                CHECK_MSG(0, "%s: flipping byte %zu was accepted", label, i);
            }
        }
        if (rc != SK_OK)
            for (size_t k = 0; k < n_regions && k < 16; k++)
                if (i >= regions[k].from && i < regions[k].to)
                    region_hits[k]++;
        ses_seal_free(s);
        buf[i] = der[i];
    }
    for (size_t k = 0; k < n_regions; k++)
        CHECK_MSG(region_hits[k] > 0, "%s: no refused flip in %s", label, regions[k].what);
    printf("%s: %zu flips: %zu refused by the parser, %zu by verification, %zu accepted in the "
           "unbound maker certificate\n",
           label, tried, refused_parse, refused_verify, accepted_ok);
    free(buf);
}

static void test_time(void)
{
    time_t t;
    sk_err e;

    CHECK(ses_time_parse("2021-06-01", &t, &e) == SK_OK && t == 1622505600);
    CHECK(ses_time_parse("2021-06-01T00:00:01Z", &t, &e) == SK_OK && t == 1622505601);
    CHECK(ses_time_parse("2021-02-30", &t, &e) == SK_EUSAGE);
    CHECK(ses_time_parse("2021-6-1", &t, &e) == SK_EUSAGE);
    CHECK(ses_time_parse("2021-06-01 00:00:00", &t, &e) == SK_EUSAGE);
}

static void test_ofdrw(const char *file, int version, const char *es_id, size_t cert_from,
                       size_t cert_to, size_t pic_from, size_t pic_to,
                       const struct region *regions, size_t n_regions)
{
    char path[4096];
    unsigned char *der = NULL;
    size_t len = 0;
    ses_seal *s = NULL;
    ses_verify_opts o = {.name = file};
    ses_verify_result r;
    sk_err e;

    test_data(file, path, sizeof(path));
    CHECK(sk_file_read(path, SES_MAX_FILE, &der, &len, &e) == SK_OK);
    if (der == NULL)
        return;
    CHECK_MSG(ses_seal_parse(der, len, file, &s, &e) == SK_OK, "%s", e.msg);
    if (s == NULL) {
        free(der);
        return;
    }
    CHECK(s->format_version == version);
    CHECK(strcmp(s->es_id, es_id) == 0);
    CHECK(strcmp(s->picture_type, "PNG") == 0 && s->width_mm == 40 && s->height_mm == 40);
    CHECK(s->n_certs == 1 && s->certs[0].x509 != NULL && s->cert_list_type == 1);
    CHECK(strcmp(s->sign_alg_oid, SES_OID_SM2_SM3) == 0);
    CHECK(strcmp(s->valid_end_text, version == 1 ? "2022-04-22T02:18:07Z" : "2022-04-22T02:09:00Z") == 0);

    /* Inside every window: seal 2020-04-22 .. 2022-04-22, maker cert 2020-04-21 .. 2022-04-21. */
    o.at = t_of("2021-06-01");
    CHECK_MSG(ses_seal_verify(s, &o, &r, &e) == SK_OK, "%s", e.msg);
    CHECK(r.check[SES_CHECK_SIGNATURE].state == SES_CHECK_PASSED);
    CHECK(r.check[SES_CHECK_CHAIN].state == SES_CHECK_SKIPPED);
    CHECK(r.check[SES_CHECK_PICTURE].state == SES_CHECK_PASSED && r.picture_px_width == 400);

    o.at = 0; /* now: long expired */
    CHECK(ses_seal_verify(s, &o, &r, &e) == SK_EFAIL);
    CHECK(r.check[SES_CHECK_SIGNATURE].state == SES_CHECK_PASSED);
    CHECK(r.check[SES_CHECK_VALIDITY].state == SES_CHECK_FAILED);
    CHECK(r.check[SES_CHECK_MAKER_CERT].state == SES_CHECK_FAILED);
    CHECK_CONTAINS(e.msg, "validEnd: seal expired 2022-04-22");

    /* A day after the maker certificate ended but before the seal did. */
    o.at = t_of("2022-04-21T20:00:00Z");
    CHECK(ses_seal_verify(s, &o, &r, &e) == SK_EFAIL);
    CHECK(r.check[SES_CHECK_VALIDITY].state == SES_CHECK_PASSED);
    CHECK(r.check[SES_CHECK_MAKER_CERT].state == SES_CHECK_FAILED);

    /* v1 signs the maker certificate too, so no flip anywhere may pass; v4 does not. */
    flip_all(der, len, file, t_of("2021-06-01"), NULL, pic_from, pic_to,
             version == 1 ? 0 : cert_from, version == 1 ? 0 : cert_to, regions, n_regions);

    /* Truncated anywhere, or with anything after it. */
    ses_seal *t = NULL;
    for (size_t cut = 0; cut < len; cut += (cut < 64 || cut > len - 64) ? 1 : 97) {
        CHECK_MSG(ses_seal_parse(der, cut, file, &t, &e) == SK_EINPUT, "cut at %zu", cut);
        ses_seal_free(t);
        t = NULL;
    }
    unsigned char *longer = malloc(len + 2);
    memcpy(longer, der, len);
    longer[len] = 0;
    longer[len + 1] = 0;
    CHECK(ses_seal_parse(longer, len + 2, file, &t, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "2 bytes of trailing data");
    free(longer);

    ses_seal_free(s);
    free(der);
}

/* A holder (organisation) certificate, as the token would hold: EC P-256, self-signed. */
static X509 *holder_cert(void)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();

    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4711);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"测试单位", -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
    X509_set_pubkey(x, k);
    X509_sign(x, k, EVP_sha256());
    X509_NAME_free(n);
    EVP_PKEY_free(k);
    return x;
}

static void rm_maker(const char *dir)
{
    const char *files[] = {SEALMAKER_ROOT_KEY, SEALMAKER_ROOT_CRT, SEALMAKER_KEY, SEALMAKER_CRT,
                           "seal.esl"};
    char p[4096];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int mode_of(const char *dir, const char *file)
{
    char p[4096];
    struct stat st;

    snprintf(p, sizeof(p), "%s/%s", dir, file);
    return stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

/* Re-encode a seal with its DER signature replaced by raw r || s (as some producers write). */
static unsigned char *with_raw_signature(const unsigned char *der, size_t len, int *out_len)
{
    const unsigned char *p = der;
    SES_SEAL_V4 *v = d2i_SES_SEAL_V4(NULL, &p, (long)len);
    const unsigned char *sp;
    ECDSA_SIG *sig;
    unsigned char raw[64], *out = NULL;

    if (v == NULL)
        return NULL;
    sp = ASN1_STRING_get0_data(v->signedValue);
    sig = d2i_ECDSA_SIG(NULL, &sp, ASN1_STRING_length(v->signedValue));
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
    ASN1_BIT_STRING_set(v->signedValue, raw, 64);
    v->signedValue->flags = ASN1_STRING_FLAG_BITS_LEFT;
    *out_len = i2d_SES_SEAL_V4(v, &out);
    ECDSA_SIG_free(sig);
    SES_SEAL_V4_free(v);
    return out;
}

/* Wrap a seal in a v4 SES_Signature (document signature fields are filler). */
static unsigned char *in_signature(const unsigned char *der, size_t len, int *out_len)
{
    SES_SIGNATURE_V4 *sg = SES_SIGNATURE_V4_new();
    ASN1_STRING *seq = ASN1_STRING_new();
    unsigned char *out = NULL;

    ASN1_STRING_set(seq, der, (int)len);
    ASN1_TYPE_set(sg->toSign->eseal, V_ASN1_SEQUENCE, seq);
    ASN1_INTEGER_set(sg->toSign->version, 4);
    ASN1_TIME_free(sg->toSign->timeInfo);
    sg->toSign->timeInfo = ASN1_GENERALIZEDTIME_set(NULL, 1622505600);
    ASN1_BIT_STRING_set(sg->toSign->dataHash, (unsigned char *)"0123456789abcdef0123456789abcdef", 32);
    sg->toSign->dataHash->flags = ASN1_STRING_FLAG_BITS_LEFT;
    ASN1_STRING_set(sg->toSign->propertyInfo, "/Doc_0/Document.xml", -1);
    ASN1_OCTET_STRING_set(sg->cert, (unsigned char *)"x", 1);
    ASN1_OBJECT_free(sg->signatureAlgID);
    sg->signatureAlgID = OBJ_txt2obj(SES_OID_SM2_SM3, 1);
    ASN1_BIT_STRING_set(sg->signature, (unsigned char *)"sig", 3);
    sg->signature->flags = ASN1_STRING_FLAG_BITS_LEFT;
    *out_len = i2d_SES_SIGNATURE_V4(sg, &out);
    SES_SIGNATURE_V4_free(sg);
    return out;
}

/* SES_SEED_DIR=DIR keeps the seals this test builds as fuzzing seeds (fuzz/corpus/ses/):
 * the shapes the committed testdata lacks (a built v4, raw r || s, inside SES_Signature). */
static void keep_seed(const char *name, const unsigned char *der, size_t len)
{
    const char *dir = getenv("SES_SEED_DIR");
    char path[1024];
    sk_err e;

    if (dir == NULL || der == NULL)
        return;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    CHECK_MSG(sk_file_write_atomic(path, der, len, 0644, &e) == SK_OK, "%s", e.msg);
}

static void test_build(const unsigned char *picture, size_t picture_len)
{
    char dir[] = "/tmp/test_ses.XXXXXX", dir2[] = "/tmp/test_ses.XXXXXX";
    char mk[4200], mk2[4200], ca[4400], ca2[4400], esid[SES_ESID_MAX];
    sealmaker *m = NULL;
    X509 *holder = holder_cert();
    unsigned char *der = NULL;
    size_t der_len = 0;
    ses_seal *s = NULL;
    ses_verify_result r;
    sk_err e;
    time_t now = time(NULL);

    if (mkdtemp(dir) == NULL || mkdtemp(dir2) == NULL) {
        CHECK(0);
        return;
    }
    snprintf(mk, sizeof(mk), "%s/maker", dir);
    snprintf(mk2, sizeof(mk2), "%s/maker", dir2);
    CHECK_MSG(sealmaker_init(mk, "maker pass 1", "测试CA", &e) == SK_OK, "%s", e.msg);
    CHECK(mode_of(mk, SEALMAKER_ROOT_KEY) == 0600 && mode_of(mk, SEALMAKER_KEY) == 0600);
    CHECK(mode_of(mk, SEALMAKER_ROOT_CRT) == 0644 && mode_of(mk, SEALMAKER_CRT) == 0644);
    CHECK(sealmaker_init(mk, "maker pass 1", "测试CA", &e) == SK_ESTATE);
    CHECK_CONTAINS(e.msg, "refusing to overwrite");
    CHECK(sealmaker_init(mk2, "other", "Other CA", &e) == SK_OK);

    CHECK(sealmaker_open(mk, "wrong pass", &m, &e) == SK_EPIN && m == NULL);
    CHECK_CONTAINS(e.msg, "wrong passphrase");
    CHECK_MSG(sealmaker_open(mk, "maker pass 1", &m, &e) == SK_OK, "%s", e.msg);
    if (m == NULL)
        goto out;
    CHECK(ses_esid_new(esid, sizeof(esid), &e) == SK_OK && strlen(esid) == 32 && esid[12] == '4');

    ses_seal_params p = {.vid = "sealkey", .es_id = esid, .type = SES_TYPE_OFFICIAL,
                         .name = "测试单位有限公司", .holder_cert = holder, .create_date = now,
                         .valid_start = now, .valid_end = now + 86400L * 365 * 3,
                         .picture = picture, .picture_len = picture_len, .picture_type = "PNG",
                         .width_mm = 40, .height_mm = 40, .uscc = "91360100MA35XXXX0X",
                         .unit_name = "测试单位有限公司"};
    CHECK_MSG(ses_seal_build(&p, m, &der, &der_len, &e) == SK_OK, "%s", e.msg);
    keep_seed("built-v4.esl", der, der_len);
    if (der == NULL)
        goto out;
    snprintf(ca, sizeof(ca), "%s/%s", mk, SEALMAKER_ROOT_CRT);
    snprintf(ca2, sizeof(ca2), "%s/%s", mk2, SEALMAKER_ROOT_CRT);
    {
        char out_path[4400];
        snprintf(out_path, sizeof(out_path), "%s/seal.esl", mk);
        CHECK(sk_file_write_atomic(out_path, der, der_len, 0644, &e) == SK_OK);
    }

    CHECK_MSG(ses_seal_parse(der, der_len, "built", &s, &e) == SK_OK, "%s", e.msg);
    if (s == NULL)
        goto out;
    CHECK(s->format_version == 4 && s->header_version == 4 && s->type == 1);
    CHECK(strcmp(s->name, "测试单位有限公司") == 0 && strcmp(s->es_id, esid) == 0);
    CHECK(s->n_exts == 1 && strcmp(s->exts[0].oid, SES_OID_UNIT_ID) == 0 &&
          s->exts[0].value_len == strlen("91360100MA35XXXX0X+测试单位有限公司") &&
          memcmp(s->exts[0].value, "91360100MA35XXXX0X+测试单位有限公司", s->exts[0].value_len) == 0);
    CHECK(s->n_certs == 1 && X509_cmp(s->certs[0].x509, holder) == 0);

    ses_verify_opts o = {.ca_file = ca, .name = "built"};
    CHECK_MSG(ses_seal_verify(s, &o, &r, &e) == SK_OK, "%s", e.msg);
    CHECK(r.check[SES_CHECK_CHAIN].state == SES_CHECK_PASSED);
    /* Nothing failed, but the holder was not checked: intact, not verified. */
    CHECK(r.unverified && r.check[SES_CHECK_HOLDER].state == SES_CHECK_SKIPPED);
    CHECK_CONTAINS(r.summary, "maker certificate chains to the trusted seal root; holder "
                              "certificate NOT checked");
    /* The holder trusted (this one is self-signed, so it is its own anchor) and no CRL. */
    char holder_pem[4400];
    snprintf(holder_pem, sizeof(holder_pem), "%s/holder.pem", dir);
    FILE *hf = fopen(holder_pem, "w");
    CHECK(hf != NULL && PEM_write_X509(hf, holder) == 1);
    if (hf != NULL)
        fclose(hf);
    o.holder_ca_file = holder_pem;
    CHECK_MSG(ses_seal_verify(s, &o, &r, &e) == SK_OK, "%s", e.msg);
    CHECK(r.check[SES_CHECK_HOLDER].state == SES_CHECK_PASSED &&
          r.check[SES_CHECK_REVOCATION].state == SES_CHECK_SKIPPED && r.unverified);
    CHECK_CONTAINS(r.summary, "holder certificate revocation NOT checked");
    o.holder_ca_file = ca2; /* another maker's root: the holder does not chain to it */
    CHECK(ses_seal_verify(s, &o, &r, &e) == SK_EFAIL &&
          r.check[SES_CHECK_HOLDER].state == SES_CHECK_FAILED);
    CHECK_CONTAINS(e.msg, "holder: certList[0]: holder certificate serial 1267");
    o.holder_ca_file = NULL;
    unlink(holder_pem);
    o.ca_file = ca2;
    CHECK(ses_seal_verify(s, &o, &r, &e) == SK_EFAIL);
    CHECK(r.check[SES_CHECK_CHAIN].state == SES_CHECK_FAILED &&
          r.check[SES_CHECK_SIGNATURE].state == SES_CHECK_PASSED);
    CHECK_CONTAINS(e.msg, "chain");
    o.ca_file = ca;
    o.at = now + 86400L * 365 * 4;
    CHECK(ses_seal_verify(s, &o, &r, &e) == SK_EFAIL);
    CHECK(r.check[SES_CHECK_VALIDITY].state == SES_CHECK_FAILED);
    o.at = 0;

    /* With the chain checked, even the maker certificate is bound: no flip passes. */
    {
        static const struct region none[1] = {{"none", 0, 0}};
        flip_all(der, der_len, "built", 0, ca, 200, der_len - 700, 0, 0, none, 0);
    }

    /* Raw r || s in place of DER still verifies. */
    int raw_len = 0;
    unsigned char *raw = with_raw_signature(der, der_len, &raw_len);
    ses_seal *rs = NULL;
    CHECK(raw != NULL && ses_seal_parse(raw, (size_t)raw_len, "raw", &rs, &e) == SK_OK);
    keep_seed("raw-signature-v4.esl", raw, (size_t)raw_len);
    CHECK(rs != NULL && rs->signature_was_raw && ses_seal_verify(rs, &o, &r, &e) == SK_OK);
    ses_seal_free(rs);
    OPENSSL_free(raw);

    /* Inside an SES_Signature. */
    int sig_len = 0;
    unsigned char *sig = in_signature(der, der_len, &sig_len);
    keep_seed("in-ses-signature-v4.esl", sig, (size_t)sig_len);
    ses_seal *ss = NULL;
    CHECK_MSG(sig != NULL && ses_seal_parse(sig, (size_t)sig_len, "sig", &ss, &e) == SK_OK, "%s",
              e.msg);
    CHECK(ss != NULL && ss->in_signature == 4 && ses_seal_verify(ss, &o, &r, &e) == SK_OK);
    ses_seal_free(ss);
    OPENSSL_free(sig);

    /* Describing works both ways and carries the fields. */
    char *text = NULL;
    CHECK(ses_seal_describe(s, "built", &r, 1, &text, &e) == SK_OK);
    CHECK_CONTAINS(text, "\"es_id\"");
    free(text);
    text = NULL;
    CHECK(ses_seal_describe(s, "built", NULL, 0, &text, &e) == SK_OK);
    CHECK_CONTAINS(text, "测试单位有限公司");
    free(text);

    /* Bad parameters are refused before signing. */
    unsigned char *bad = NULL;
    size_t bad_len = 0;
    p.valid_end = p.valid_start;
    CHECK(ses_seal_build(&p, m, &bad, &bad_len, &e) == SK_EINPUT && bad == NULL);
out:
    ses_seal_free(s);
    OPENSSL_free(der);
    sealmaker_free(m);
    X509_free(holder);
    rm_maker(mk);
    rm_maker(mk2);
    rmdir(dir);
    rmdir(dir2);
}

/* v1 extDatas as the 2014 text has it (untagged) and as some producers write it ([0]). */
static void test_v1_ext(void)
{
    char path[4096];
    unsigned char *der = NULL, *out = NULL;
    size_t len = 0;
    sk_err e;

    if (sk_file_read(test_data("eseal/ofdrw-UserV1.esl", path, sizeof(path)), SES_MAX_FILE,
                     &der, &len, &e) != SK_OK) {
        CHECK_MSG(0, "%s", e.msg);
        return;
    }
    for (int tagged = 0; tagged < 2; tagged++) {
        const unsigned char *p = der;
        SES_SEAL_V1 *v = d2i_SES_SEAL_V1(NULL, &p, (long)len);
        SES_EXTDATA *x = SES_EXTDATA_new();
        STACK_OF(SES_EXTDATA) *sk = sk_SES_EXTDATA_new_null();
        ses_seal *s = NULL;
        ses_verify_opts o = {.at = t_of("2021-06-01"), .name = "v1ext"};
        ses_verify_result r;
        int out_len;

        ASN1_OBJECT_free(x->extnID);
        x->extnID = OBJ_txt2obj(SES_OID_UNIT_ID, 1);
        ASN1_OCTET_STRING_set(x->extnValue, (const unsigned char *)"91360100MA35XXXX0X+x", -1);
        sk_SES_EXTDATA_push(sk, x);
        if (tagged)
            v->esealInfo->extDatas0 = sk;
        else
            v->esealInfo->extDatas = sk;
        out_len = i2d_SES_SEAL_V1(v, &out);
        CHECK(out_len > 0 && out[0] == 0x30);
        CHECK_MSG(ses_seal_parse(out, (size_t)out_len, "v1ext", &s, &e) == SK_OK, "%s", e.msg);
        CHECK(s != NULL && s->n_exts == 1 && strcmp(s->exts[0].oid, SES_OID_UNIT_ID) == 0);
        /* The extension was added after signing: the signature must notice. */
        CHECK(s != NULL && ses_seal_verify(s, &o, &r, &e) == SK_EFAIL &&
              r.check[SES_CHECK_SIGNATURE].state == SES_CHECK_FAILED);
        ses_seal_free(s);
        OPENSSL_free(out);
        out = NULL;
        SES_SEAL_V1_free(v);
    }
    free(der);
}

static void test_picture(void)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                        'I', 'H', 'D', 'R', 0, 0, 1, 0, 0, 0, 1, 0, 8, 6, 0, 0, 0,
                                        0x5c, 0x72, 0xa8, 0x66};
    unsigned char bad[sizeof(png)];
    char d[256];
    long w, h;

    CHECK_MSG(ses_picture_check("png", png, sizeof(png), &w, &h, d, sizeof(d)) == SK_OK, "%s", d);
    CHECK(w == 256 && h == 256);
    memcpy(bad, png, sizeof(png));
    bad[20] = 2; /* width changed, CRC not */
    CHECK(ses_picture_check("PNG", bad, sizeof(bad), &w, &h, d, sizeof(d)) == SK_EFAIL);
    CHECK(strstr(d, "CRC") != NULL);
    CHECK(ses_picture_check("JPG", png, sizeof(png), &w, &h, d, sizeof(d)) == SK_EFAIL);
    CHECK(ses_picture_check("ofd", png, 4, &w, &h, d, sizeof(d)) == SK_OK);
    CHECK(ses_picture_check("TIFF", png, sizeof(png), &w, &h, d, sizeof(d)) == SK_EFAIL);
}

/* For tests/ses_cli.sh: a maker hierarchy, a second one (an untrusted chain), and seals made
 * with the first, written into dir. */
static int make_fixture(const char *dir)
{
    char mk[4096], other[4096], path[4200], esid[SES_ESID_MAX], pic_path[4096];
    sealmaker *m = NULL;
    X509 *holder = holder_cert();
    ses_seal *v4 = NULL;
    unsigned char *der = NULL;
    size_t der_len = 0;
    time_t now = time(NULL);
    sk_err e;
    int ret;

    snprintf(mk, sizeof(mk), "%s/maker", dir);
    snprintf(other, sizeof(other), "%s/other", dir);
    if ((ret = sealmaker_init(mk, "test maker passphrase", "Test Station", &e)) != SK_OK ||
        (ret = sealmaker_init(other, "other passphrase", "Other Station", &e)) != SK_OK ||
        (ret = sealmaker_open(mk, "test maker passphrase", &m, &e)) != SK_OK ||
        (ret = ses_seal_read_file(test_data("eseal/ofdrw-UserV4.esl", pic_path,
                                         sizeof(pic_path)), &v4, &e)) != SK_OK ||
        (ret = ses_esid_new(esid, sizeof(esid), &e)) != SK_OK)
        goto out;
    ses_seal_params p = {.vid = "sealkey", .es_id = esid, .type = SES_TYPE_LEGAL_REP,
                         .name = "张三", .holder_cert = holder, .create_date = now,
                         .valid_start = now - 60, .valid_end = now + 86400L * 365,
                         .picture = v4->picture, .picture_len = v4->picture_len,
                         .picture_type = "PNG", .width_mm = 20, .height_mm = 20,
                         .uscc = "91360100MA35XXXX0X", .unit_name = "测试单位有限公司"};
    snprintf(path, sizeof(path), "%s/seal.esl", dir);
    if ((ret = ses_seal_build(&p, m, &der, &der_len, &e)) != SK_OK ||
        (ret = sk_file_write_atomic(path, der, der_len, 0644, &e)) != SK_OK)
        goto out;
    OPENSSL_free(der);
    der = NULL;
    p.valid_start = now - 86400L * 30;
    p.valid_end = now - 86400L;
    snprintf(path, sizeof(path), "%s/expired.esl", dir);
    if ((ret = ses_seal_build(&p, m, &der, &der_len, &e)) != SK_OK ||
        (ret = sk_file_write_atomic(path, der, der_len, 0644, &e)) != SK_OK)
        goto out;
out:
    if (ret != SK_OK)
        fprintf(stderr, "test_ses --make-seal: %s\n", e.msg);
    OPENSSL_free(der);
    ses_seal_free(v4);
    sealmaker_free(m);
    X509_free(holder);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make-seal") == 0)
        return make_fixture(argv[2]);

    /* Element offsets from `openssl asn1parse -inform DER -i` of each file. */
    static const struct region v1[] = {{"header", 8, 29},        {"esID", 29, 63},
                                       {"property", 63, 673},   {"picture", 673, 16385},
                                       {"maker cert", 16389, 16919}, {"signature", 16929, 17004}};
    static const struct region v4[] = {{"header", 8, 29},        {"esID", 29, 63},
                                       {"property", 63, 685},   {"picture", 685, 16397},
                                       {"maker cert", 16397, 16927}, {"signature", 16937, 17011}};

    test_time();
    test_picture();
    test_v1_ext();
    test_ofdrw("eseal/ofdrw-UserV1.esl", 1, "40C8CDD24DEF43388B86E62CCE1D6832", 16389,
               16919, 686, 16379, v1, 6);
    test_ofdrw("eseal/ofdrw-UserV4.esl", 4, "51f044b76510434e9bc67a1185c2fba5", 16397,
               16927, 698, 16391, v4, 6);

    /* The v4 picture (a real PNG) for the seal built here. */
    char path[4096];
    ses_seal *s = NULL;
    sk_err e;
    if (ses_seal_read_file(test_data("eseal/ofdrw-UserV4.esl", path, sizeof(path)), &s, &e) ==
        SK_OK)
        test_build(s->picture, s->picture_len);
    else
        CHECK_MSG(0, "%s", e.msg);
    ses_seal_free(s);
    TEST_DONE();
}
