/* RFC 7512 URI parsing: attributes, percent decoding, refusals. No token needed. */
#include <string.h>

#include "pkcs11/tok.h"
#include "tests/test.h"

static int parse(const char *uri, tok_uri *u, sk_err *e)
{
    return tok_uri_parse(uri, u, e);
}

int main(void)
{
    tok_uri u;
    sk_err e;

    CHECK(parse("pkcs11:token=JX2026-000101;serial=3f0a1b2c;manufacturer=SoftHSM%20project;"
                "model=SoftHSM%20v2;slot-id=42",
                &u, &e) == SK_OK);
    CHECK(u.has_token && strcmp(u.token, "JX2026-000101") == 0);
    CHECK(u.has_serial && strcmp(u.serial, "3f0a1b2c") == 0);
    CHECK(u.has_manufacturer && strcmp(u.manufacturer, "SoftHSM project") == 0);
    CHECK(u.has_model && strcmp(u.model, "SoftHSM v2") == 0);
    CHECK(u.has_slot_id && u.slot_id == 42);
    CHECK(!u.has_object && !u.has_id && !u.has_type && u.pin_source[0] == '\0');

    /* id is bytes: %00 is allowed there, and hex digits are case-insensitive. */
    CHECK(parse("pkcs11:id=%00%ff%A0z;object=my%20key;type=private", &u, &e) == SK_OK);
    CHECK(u.has_id && u.id_len == 4 && memcmp(u.id, "\x00\xff\xa0z", 4) == 0);
    CHECK(u.has_object && strcmp(u.object, "my key") == 0);
    CHECK(strcmp(u.type, "private") == 0);

    /* Empty values are real constraints (blank tokens have empty labels). */
    CHECK(parse("pkcs11:token=", &u, &e) == SK_OK && u.has_token && u.token[0] == '\0');
    CHECK(parse("pkcs11:", &u, &e) == SK_OK && !u.has_token);

    CHECK(parse("pkcs11:token=a?pin-source=file:/etc/sealkey/pin&module-path=/usr/lib/x.so",
                &u, &e) == SK_OK);
    CHECK(strcmp(u.pin_source, "file:/etc/sealkey/pin") == 0);
    CHECK(strcmp(u.module_path, "/usr/lib/x.so") == 0);
    /* Reader and library attributes are kept for tok_select to match. */
    CHECK(parse("pkcs11:slot-description=Virtual%20PCD;library-version=2.6;"
                "slot-manufacturer=ACS;library-manufacturer=OpenSC%20Project;"
                "library-description=OpenSC", &u, &e) == SK_OK);
    CHECK(u.has_slot_description && strcmp(u.slot_description, "Virtual PCD") == 0);
    CHECK(u.has_slot_manufacturer && strcmp(u.slot_manufacturer, "ACS") == 0);
    CHECK(u.has_library_manufacturer && strcmp(u.library_manufacturer, "OpenSC Project") == 0);
    CHECK(u.has_library_description && strcmp(u.library_description, "OpenSC") == 0);
    CHECK(u.has_library_version && u.library_major == 2 && u.library_minor == 6);
    CHECK(parse("pkcs11:library-version=3", &u, &e) == SK_OK && u.library_major == 3 &&
          u.library_minor == 0);
    CHECK(parse("pkcs11:library-version=3.", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:library-version=.3", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:library-version=256", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:library-version=1.2.3", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:slot-description=a;slot-description=b", &u, &e) == SK_EINPUT);

    /* What a URI that only picks a token cannot honour is refused, naming the attribute. */
    CHECK(tok_uri_token_only("pkcs11:serial=1;manufacturer=x;model=y;token=z", &e) == SK_OK);
    CHECK(tok_uri_token_only("pkcs11:token=a;object=k", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "object=");
    CHECK(tok_uri_token_only("pkcs11:token=a;id=%01", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "id=");
    CHECK(tok_uri_token_only("pkcs11:token=a;type=cert", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "type=");
    CHECK(tok_uri_token_only("pkcs11:token=a?pin-source=file:/x", &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "pin-source= is not honoured");

    /* Refusals, each with a message naming the problem. */
    CHECK(parse("pkcs11:token=a?pin-value=1234", &u, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "pin-value refused");
    CHECK(strstr(e.msg, "1234") == NULL);
    CHECK(!u.has_token); /* nothing half-parsed is left */
    CHECK(parse("pkcs12:token=a", &u, &e) == SK_EINPUT);
    CHECK(parse("token=a", &u, &e) == SK_EINPUT);
    CHECK(parse(NULL, &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:tokn=a", &u, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "unknown attribute 'tokn'");
    CHECK(parse("pkcs11:x-vendor=1", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:token=a;token=b", &u, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "given twice");
    CHECK(parse("pkcs11:token", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:token=a;", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:token=a%2", &u, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "two hex digits");
    CHECK(parse("pkcs11:token=a%g0", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:token=a%00b", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:token=a b", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:slot-id=12x", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:slot-id=", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:slot-id=99999999999999999999999", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:type=secret", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &u, &e) == SK_EINPUT); /* 33 */
    CHECK(parse("pkcs11:token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &u, &e) == SK_OK);      /* 32 */
    CHECK(parse("pkcs11:token=a?module-name=x&module-name=y", &u, &e) == SK_EINPUT);
    CHECK(parse("pkcs11:token=a?bogus=1", &u, &e) == SK_EINPUT);

    char big[70 * 3 + 16] = "pkcs11:id=";
    for (int i = 0; i < 70; i++)
        strcat(big, "%41");
    CHECK(parse(big, &u, &e) == SK_EINPUT); /* more than TOK_ID_MAX bytes */

    /* tok_rv_name: known and unknown codes. */
    CHECK(strcmp(tok_rv_name(0xa0), "CKR_PIN_INCORRECT") == 0);
    CHECK(strcmp(tok_rv_name(0x80000123UL), "CKR_0x80000123") == 0);
    TEST_DONE();
}
