/* GB/T 38540 seals (seal/ses.h): SESeal v1/v4/v5 and SES_Signature DER, parsed, verified
 * at a fixed time (so a run replays the same way) and described as text and JSON, which is
 * what `sealkey seal verify/show` does with a file from outside; an SES_Signature's document
 * signature is parsed and checked too, as `seal verify --doc` does. */
#include "fuzz/fuzz_util.h"
#include "seal/ses.h"
#include "seal/ses_sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ses_seal *s = NULL;
    ses_signature *sg = NULL;
    static const unsigned char doc_hash[SES_DOC_HASH_LEN] = {0};
    ses_verify_opts o;
    ses_verify_result r;
    char *text = NULL, *json = NULL;
    sk_err e;

    sk_err_clear(&e);
    if (ses_seal_parse(data, size, "fuzz", &s, &e) != SK_OK)
        goto out;
    memset(&o, 0, sizeof(o));
    o.at = 1767225600; /* 2026-01-01T00:00:00Z */
    o.name = "fuzz";
    memset(&r, 0, sizeof(r));
    (void)ses_seal_verify(s, &o, &r, &e);
    if (s->in_signature == 4 && ses_signature_parse(data, size, "fuzz", &sg, &e) == SK_OK)
        (void)ses_signature_verify(sg, doc_hash, &r, &e);
    (void)ses_seal_describe(s, "fuzz.esl", &r, 0, &text, &e);
    (void)ses_seal_describe(s, "fuzz.esl", &r, 1, &json, &e);
out:
    free(text);
    free(json);
    ses_signature_free(sg);
    ses_seal_free(s);
    return 0;
}
