/* Identifier checks against published known-good values, and the explanations a typist gets
 * for the usual mistakes; plus the library API on the examples. */
#include <stdlib.h>

#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "tests/test.h"

/* test.h's CHECK_CONTAINS tests its argument for NULL, which an array never is. */
static const char *str(const char *p)
{
    return p;
}

static void uscc(void)
{
    char why[256];

    /* The sample of GB 32100-2015 and a published company's code. */
    CHECK(order_uscc_valid("91350100M000100Y43", why, sizeof(why)));
    CHECK(order_uscc_valid("91440300708461136T", why, sizeof(why)));
    CHECK(order_uscc_check_char("91350100M000100Y4") == '3');
    CHECK(order_uscc_check_char("9135010OM000100Y4") == '\0');

    CHECK(!order_uscc_valid("91350100M000100Y44", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "check character is 4, expected 3");
    CHECK(!order_uscc_valid("9135O100M000100Y43", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "character 5 is the letter 'O'");
    CHECK_CONTAINS(str(why), "mistyped 0");
    CHECK(!order_uscc_valid("91350100MI00100Y43", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "mistyped 1");
    CHECK(!order_uscc_valid("91350100m000100Y43", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "lower case");
    CHECK(!order_uscc_valid("91350100M000100Y4", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "17 characters, expected 18");
    /* A full-width digit from an input method looks right on screen. */
    CHECK(!order_uscc_valid("\xEF\xBC\x99" "1350100M000100Y43", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "character 1 is not ASCII");
    CHECK(!order_uscc_valid("", NULL, 0));
}

static void resident_id(void)
{
    char why[256];

    /* The examples of GB 11643-1999. */
    CHECK(order_resident_id_valid("11010519491231002X", why, sizeof(why)));
    CHECK(order_resident_id_valid("440524188001010014", why, sizeof(why)) == false);
    CHECK_CONTAINS(str(why), "birth date 18800101"); /* before 1900: no living applicant */
    CHECK(order_resident_id_check_char("44052418800101001") == '4');
    CHECK(order_resident_id_check_char("11010519491231002") == 'X');

    CHECK(!order_resident_id_valid("110105194912310021", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "check digit is 1, expected X");
    CHECK(!order_resident_id_valid("11010519491231002x", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "upper-case X");
    CHECK(!order_resident_id_valid("110105199902300021", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "birth date 19990230 is not a real date");
    CHECK(order_resident_id_valid("360102200002290000", why, sizeof(why)) == false);
    CHECK_CONTAINS(str(why), "check digit"); /* 2000-02-29 is real: only the check digit is wrong */
    CHECK(!order_resident_id_valid("110105210001010021", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "in the future");
    CHECK(!order_resident_id_valid("990105194912310021", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "region code 990105");
    CHECK(!order_resident_id_valid("110105491231002", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "first-generation");
    CHECK(!order_resident_id_valid("1101051949123A002X", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "character 14 'A' is not a digit");
}

static void others(void)
{
    char why[256];

    CHECK(order_mobile_valid("13807910101", why, sizeof(why)));
    CHECK(!order_mobile_valid("1380791010", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "10 digits, expected 11");
    CHECK(!order_mobile_valid("23807910101", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "start with 1");
    CHECK(!order_mobile_valid("+8613807910101", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "no +86");

    CHECK(order_email_valid("finance@ganpo-build.example", why, sizeof(why)));
    CHECK(order_email_valid("li.xiaomei+fp@mail.ganpo.cn", why, sizeof(why)));
    CHECK(!order_email_valid("finance.ganpo.cn", why, sizeof(why)));
    CHECK(!order_email_valid("a@b", why, sizeof(why)));
    CHECK(!order_email_valid("a..b@ganpo.cn", why, sizeof(why)));
    CHECK(!order_email_valid("a@-ganpo.cn", why, sizeof(why)));
    CHECK(!order_email_valid("a@ganpo.c1", why, sizeof(why)));
    CHECK(!order_email_valid("财务@ganpo.cn", why, sizeof(why)));

    CHECK(order_tax_number_valid("91350100M000100Y43", why, sizeof(why)));
    CHECK(order_tax_number_valid("360102705512345", why, sizeof(why)));
    CHECK(order_tax_number_valid("36010219750412301501", why, sizeof(why)));
    CHECK(!order_tax_number_valid("91350100M000100Y44", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "check character is 4, expected 3");
    CHECK(!order_tax_number_valid("3601027055123456", why, sizeof(why)));
    CHECK_CONTAINS(str(why), "16 characters");

    CHECK(order_number_valid("JX2026-000101", why, sizeof(why)));
    CHECK(!order_number_valid("-JX1", why, sizeof(why)));
    CHECK(!order_number_valid("jx2026-1", why, sizeof(why)));
    CHECK(!order_number_valid("JX/../1", why, sizeof(why)));
    CHECK(!order_number_valid("JX2026-0000000000000000000000000001", why, sizeof(why)));
}

/* The API the issuer uses: load the examples, find an order, read its values. */
static void examples(void)
{
    const char *src = getenv("SOURCE_DIR");
    char path[4096], dir[4096];
    order_file *f = NULL;
    station_config *st = NULL;
    sk_problems probs;
    sk_err e;
    const order *o;

    sk_problems_init(&probs);
    CHECK(snprintf(dir, sizeof(dir), "%s/examples", src != NULL ? src : ".") < 4000);
    CHECK(snprintf(path, sizeof(path), "%.4000s/orders.json", dir) < (int)sizeof(path));
    CHECK(station_load(dir, &st, &e) == SK_OK);
    CHECK(order_file_load(path, &f, &probs, &e) == SK_OK);
    if (f != NULL && st != NULL) {
        CHECK(f->n >= 5);
        o = order_file_find(f, "JX2026-000101");
        CHECK(o != NULL);
        if (o != NULL) {
            CHECK(o->payment_amount_fen == 22000);
            CHECK(strcmp(o->legal_rep_name, "王\xF0\xA0\xAE\xB7") == 0);
            CHECK_CONTAINS(o->seal_official_scan, "examples/scans/JX2026-000101-official.jpg");
            CHECK(station_project_find(st, o->project_code) != NULL);
            CHECK(o->index == 1 && o->line == 2);
        }
        CHECK(order_file_find(f, "JX2026-999999") == NULL);
        CHECK(station_project_find(st, "ZFCG")->key_alg == SK_KEY_RSA2048);
        CHECK(station_project_find(st, "ZFCG")->legal_rep_seal_mm == 18);
        CHECK(strcmp(st->ledger, "ledger.sqlite") == 0 && st->user_pin_min == 6);
        CHECK(strcmp(st->ca_pkcs11_module, st->pkcs11_module) == 0);
        CHECK(st->ca_key_uri == NULL && st->print_user_pin == false);
        CHECK(station_path(st, st->ledger, path, sizeof(path), &e) == SK_OK);
        CHECK_CONTAINS(str(path), "examples/ledger.sqlite");
        CHECK(order_file_validate(f, st, &probs) == 0);
        for (size_t i = 0; i < probs.n; i++)
            fprintf(stderr, "  %s\n", probs.items[i].text);
    }
    order_file_free(f);
    station_free(st);
    order_file_free(NULL);
    station_free(NULL);
    sk_problems_free(&probs);
}

int main(void)
{
    uscc();
    resident_id();
    others();
    examples();
    TEST_DONE();
}
