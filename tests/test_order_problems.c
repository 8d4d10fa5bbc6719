/* Problems as data (util/sk_problems.h): each problem of an order file carries the order's
 * label and position, the field's path and the kind of problem, and its text is the line
 * `sealkey order check` prints; an order's problems are found by the order, so JX-1's are
 * never JX-10's. */
#include <stdlib.h>
#include <sys/stat.h>

#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "tests/test.h"
#include "util/sk_file.h"

static char dir[] = "/tmp/test_order_problems.XXXXXX";
static const char *src;

static int write_text(const char *name, const char *text, char *path, size_t pathlen)
{
    sk_err e;

    snprintf(path, pathlen, "%s/%s", dir, name);
    return sk_file_write_atomic(path, text, strlen(text), 0644, &e);
}

/* s with the first from replaced by to (malloc'd), or NULL when from is not there. */
static char *subst(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    size_t n;
    char *out;

    if (at == NULL)
        return NULL;
    n = strlen(s) - strlen(from) + strlen(to) + 1;
    if ((out = malloc(n)) == NULL)
        return NULL;
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return out;
}

static void list_basics(void)
{
    sk_problems p, q;
    const sk_problem *x;
    char big[2000];

    sk_problems_init(&p);
    sk_problems_init(&q);
    sk_problems_add(&p, "JX-10", 1, "unit.uscc", SK_PROB_CHECK_DIGIT,
                    "'%s': check character is 3, expected Y", "91360100MA35G8K213");
    sk_problems_add(&p, "#2", 2, NULL, SK_PROB_WRONG_TYPE, "is a number, expected an object");
    sk_problems_add(&p, NULL, 0, "projects[0].locality", SK_PROB_NAME_CHARACTER, "bad");
    sk_problems_add(&p, NULL, 0, NULL, SK_PROB_BAD_FORMAT, "not an array");
    CHECK(p.n == 4);
    if (p.n == 4) {
        x = &p.items[0];
        CHECK(strcmp(x->order, "JX-10") == 0 && x->index == 1);
        CHECK(strcmp(x->field, "unit.uscc") == 0 && x->code == SK_PROB_CHECK_DIGIT);
        CHECK(strcmp(x->message, "'91360100MA35G8K213': check character is 3, expected Y") == 0);
        CHECK(strcmp(x->text, "order JX-10: unit.uscc: '91360100MA35G8K213': check character "
                              "is 3, expected Y") == 0);
        CHECK(strcmp(p.items[1].field, "") == 0);
        CHECK(strcmp(p.items[1].text, "order #2: is a number, expected an object") == 0);
        CHECK(strcmp(p.items[2].order, "") == 0);
        CHECK(strcmp(p.items[2].text, "projects[0].locality: bad") == 0);
        CHECK(strcmp(p.items[3].text, "not an array") == 0);
    }
    /* By the order, not by its text: "order JX-10: ..." is no problem of JX-1. */
    CHECK(sk_problems_find(&p, "JX-1") == NULL);
    CHECK(sk_problems_find(&p, "JX-10") == &p.items[0]);
    CHECK(sk_problems_find(&p, "#2") == &p.items[1]);
    CHECK(sk_problems_find_index(&p, 2) == &p.items[1]);
    CHECK(sk_problems_find_index(&p, 3) == NULL);
    CHECK(sk_problems_find_index(&p, 0) == NULL);

    sk_problems_copy(&q, &p.items[0]);
    CHECK(q.n == 1 && q.items[0].text != p.items[0].text);
    CHECK(q.n == 1 && strcmp(q.items[0].text, p.items[0].text) == 0 &&
          q.items[0].code == SK_PROB_CHECK_DIGIT && q.items[0].index == 1);

    /* Cut at 1 KiB, never dropped. */
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sk_problems_add(&q, "JX-1", 1, "unit.name", SK_PROB_TOO_LONG, "%s", big);
    CHECK(q.n == 2 && strlen(q.items[1].message) == 1023 && strlen(q.items[1].text) == 1023);
    CHECK(q.n == 2 && strncmp(q.items[1].text, "order JX-1: unit.name: aaa", 26) == 0);

    CHECK(strcmp(sk_problem_code_name(SK_PROB_CHECK_DIGIT), "check_digit") == 0);
    CHECK(strcmp(sk_problem_code_name(SK_PROB_NOT_APPROVED), "not_approved") == 0);
    CHECK(strcmp(sk_problem_code_name(SK_PROB_SCAN), "scan") == 0);
    CHECK(strcmp(sk_problem_code_name((enum sk_problem_code)999), "unknown") == 0);
    sk_problems_free(&p);
    sk_problems_free(&q);
}

/* One order of the fixture with one thing changed has exactly one problem, of this field and
 * kind, and its text is "order JX2026-000101: FIELD: MESSAGE". */
static const struct {
    const char *from, *to, *field;
    enum sk_problem_code code;
} cases[] = {
    {"\"uscc\": \"91360100MA35G8K21Y\"", "\"uscc\": \"91360100MA35G8K213\"", "unit.uscc",
     SK_PROB_CHECK_DIGIT},
    {"\"uscc\": \"91360100MA35G8K21Y\"", "\"uscc\": \"913601OOMA35G8K21Y\"", "unit.uscc",
     SK_PROB_BAD_FORMAT},
    {"\"360102197504123015\"", "\"360102197504123016\"", "legal_rep.id_number",
     SK_PROB_CHECK_DIGIT},
    {"\"360104198809232527\"", "\"360104198802302527\"", "handler.id_number", SK_PROB_BAD_FORMAT},
    {"\"tax_number\": \"91360100MA35G8K21Y\"", "\"tax_number\": \"91360100MA35G8K213\"",
     "invoice.tax_number", SK_PROB_CHECK_DIGIT},
    {"\"tax_number\": \"91360100MA35G8K21Y\"", "\"tax_number\": \"9136010\"", "invoice.tax_number",
     SK_PROB_BAD_FORMAT},
    {"\"mobile\": \"13807910101\"", "\"mobile\": \"1380791010\"", "handler.mobile",
     SK_PROB_BAD_FORMAT},
    {"\"finance@ganpo-build.example\"", "\"finance.ganpo-build.example\"", "invoice.email",
     SK_PROB_BAD_FORMAT},
    {"\"JX2026-000101\"", "\"jx2026-000101\"", "order_number", SK_PROB_BAD_FORMAT},
    {"\"name\": \"李晓梅\",", "", "handler.name", SK_PROB_MISSING},
    {"\"mobile\": \"13807910101\"", "\"mobile\": 13807910101", "handler.mobile",
     SK_PROB_WRONG_TYPE},
    {"\"name\": \"王𠮷\"", "\"name\": \"\"", "legal_rep.name", SK_PROB_EMPTY},
    {"\"name\": \"王𠮷\"", "\"name\": \"王𠮷 \"", "legal_rep.name", SK_PROB_SPACES},
    {"\"name\": \"王𠮷\"", "\"name\": \"王\\u202e𠮷\"", "legal_rep.name", SK_PROB_NAME_CHARACTER},
    {"\"name\": \"王𠮷\"",
     "\"name\": "
     "\"王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王王"
     "王王王王王"
     "王王王王王王王王王王王王王王王\"",
     "legal_rep.name", SK_PROB_TOO_LONG},
    {"\"uscc\": \"91360100MA35G8K21Y\"", "\"uscc\": \"91360100MA35G8K21Y\", \"fax\": \"1\"",
     "unit.fax", SK_PROB_UNKNOWN_FIELD},
    {"\"status\": \"approved\"", "\"status\": \"pending\"", "review.status", SK_PROB_NOT_APPROVED},
    {"\"GCJS\"", "\"XXJS\"", "project_code", SK_PROB_UNKNOWN_PROJECT},
    {"\"GCJS\"", "\"xxjs\"", "project_code", SK_PROB_BAD_FORMAT},
    {"\"220.00\"", "\"0.00\"", "payment.amount_cny", SK_PROB_BAD_VALUE},
    {"\"220.00\"", "\"22O.00\"", "payment.amount_cny", SK_PROB_BAD_FORMAT},
    {"\"wechat\"", "\"cash\"", "payment.channel", SK_PROB_BAD_VALUE},
    {"\"SF1403056781200\"", "\"sf1\"", "paper_tracking_number", SK_PROB_BAD_FORMAT},
    {"000101-official.jpg", "000199-official.jpg", "seal_scans.official", SK_PROB_SCAN},
    {"000101-official.jpg", "000101-official.pdf", "seal_scans.official", SK_PROB_SCAN},
    {"\"scans/JX2026-000101-official.jpg\"", "\"scans/../../etc/x.jpg\"", "seal_scans.official",
     SK_PROB_UNSAFE_PATH},
    {"\"unit\": {", "\"unit\": 5, \"x\": {", "unit", SK_PROB_WRONG_TYPE},
};

static void one_problem_each(const char *fixture, const station_config *st)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = subst(fixture, cases[i].from, cases[i].to);
        char path[600], want[256];
        order_file *f = NULL;
        sk_problems load, probs;
        sk_err e;
        size_t bad = 0;

        sk_problems_init(&load);
        sk_problems_init(&probs);
        CHECK_MSG(text != NULL, "case %zu: '%s' not in the fixture", i, cases[i].from);
        if (text != NULL && write_text("c.json", text, path, sizeof(path)) == SK_OK &&
            order_file_load(path, &f, &load, &e) == SK_OK) {
            const sk_problem *p;
            /* "x" (the rest of the unit object, renamed) is an unknown field of its own. */
            size_t want_n = strcmp(cases[i].field, "unit") == 0 ? 2 : 1;
            const char *label =
                cases[i].code == SK_PROB_BAD_FORMAT && strcmp(cases[i].field, "order_number") == 0
                    ? "#1"
                    : "JX2026-000101";
            CHECK_MSG(order_file_check(f, st, &load, &probs, &bad) == want_n && bad == 1,
                      "case %zu (%s): %zu problems", i, cases[i].field, probs.n);
            p = probs.n > 0 ? &probs.items[0] : NULL;
            CHECK_MSG(p != NULL && strcmp(p->field, cases[i].field) == 0 &&
                          p->code == cases[i].code,
                      "case %zu: field '%s' code %s, want '%s' %s", i, p ? p->field : "-",
                      p ? sk_problem_code_name(p->code) : "-", cases[i].field,
                      sk_problem_code_name(cases[i].code));
            snprintf(want, sizeof(want), "order %s: %s: ", label, cases[i].field);
            CHECK_MSG(p != NULL && strcmp(p->order, label) == 0 && p->index == 1 &&
                          strncmp(p->text, want, strlen(want)) == 0 &&
                          strcmp(p->text + strlen(want), p->message) == 0,
                      "case %zu: text '%s'", i, p ? p->text : "-");
        }
        order_file_free(f);
        sk_problems_free(&load);
        sk_problems_free(&probs);
        free(text);
    }
}

/* JX-10 (with problems), JX-1 (clean), a number where an order goes, JX-1 again: every
 * problem names its order and position, and finding JX-1's never yields JX-10's. */
static void file_of_orders(const char *fixture)
{
    const char *body = strstr(fixture, "{");
    const char *end = strrchr(fixture, '}');
    char *one = body && end ? strndup(body, (size_t)(end - body + 1)) : NULL;
    char *jx1 = one ? subst(one, "JX2026-000101", "JX-1") : NULL;
    char *jx10a = one ? subst(one, "JX2026-000101", "JX-10") : NULL;
    char *jx10b =
        jx10a ? subst(jx10a, "\"status\": \"approved\"", "\"status\": \"pending\"") : NULL;
    char *jx10 =
        jx10b ? subst(jx10b, "\"project_code\"", "\"fax\": \"1\", \"project_code\"") : NULL;
    char *jx1b = jx1 ? subst(jx1, "\"360102197504123015\"", "\"360102197504123016\"") : NULL;
    char *text = NULL, path[600];
    order_file *f = NULL;
    sk_problems load, probs;
    const sk_problem *p;
    size_t bad = 0, n;
    sk_err e;

    sk_problems_init(&load);
    sk_problems_init(&probs);
    CHECK(jx10 != NULL && jx1b != NULL);
    if (jx10 == NULL || jx1b == NULL)
        goto out;
    n = strlen(jx10) + strlen(jx1) + strlen(jx1b) + 32;
    if ((text = malloc(n)) == NULL)
        goto out;
    snprintf(text, n, "[%s,\n%s,\n5,\n%s]\n", jx10, jx1, jx1b);
    CHECK(write_text("orders.json", text, path, sizeof(path)) == SK_OK);
    CHECK(order_file_load(path, &f, &load, &e) == SK_OK);
    if (f == NULL)
        goto out;
    /* The loader's problems: JX-10's unknown field, the number that is no order. */
    CHECK(load.n == 2);
    CHECK(load.n == 2 && strcmp(load.items[0].order, "JX-10") == 0 &&
          load.items[0].code == SK_PROB_UNKNOWN_FIELD && strcmp(load.items[0].field, "fax") == 0);
    CHECK(load.n == 2 && strcmp(load.items[1].order, "#3") == 0 && load.items[1].index == 3 &&
          load.items[1].code == SK_PROB_WRONG_TYPE && strcmp(load.items[1].field, "") == 0);
    CHECK(order_file_check(f, NULL, &load, &probs, &bad) == 5 && bad == 3);
    for (size_t i = 0; i < probs.n; i++) {
        char label[64];
        p = &probs.items[i];
        CHECK(p->index >= 1 && p->index <= f->n && p->code != SK_PROB_NONE);
        if (p->index >= 1 && p->index <= f->n) {
            order_label(&f->orders[p->index - 1], label, sizeof(label));
            CHECK_MSG(strcmp(label, p->order) == 0, "'%s' at #%zu is '%s'", p->order, p->index,
                      label);
        }
        CHECK(p->index != 2); /* the clean JX-1 */
    }
    /* JX-1's problems are those of the second JX-1 (its ID's check digit, the duplicate),
     * never JX-10's, although "order JX-10: ..." starts with "order JX-1". */
    p = sk_problems_find(&probs, "JX-1");
    CHECK(p != NULL && p->index == 4 && strcmp(p->field, "legal_rep.id_number") == 0 &&
          p->code == SK_PROB_CHECK_DIGIT);
    p = &probs.items[probs.n - 1];
    CHECK(strcmp(p->order, "JX-1") == 0 && p->index == 4 && p->code == SK_PROB_DUPLICATE &&
          strcmp(p->field, "order_number") == 0);
    CHECK_CONTAINS(p->text, "order JX-1: order_number: order #4 (line ");
    CHECK_CONTAINS(p->text, ") repeats the number of order #2 (line ");
    p = sk_problems_find(&probs, "JX-10");
    CHECK(p != NULL && p->index == 1 && p->code == SK_PROB_UNKNOWN_FIELD);
    CHECK(sk_problems_find_index(&probs, 2) == NULL);
    p = sk_problems_find_index(&probs, 1);
    CHECK(p != NULL && strcmp(p->order, "JX-10") == 0);
    p = sk_problems_find(&probs, "#3");
    CHECK(p != NULL && strcmp(p->text, "order #3: is a number, expected an object") == 0);
out:
    order_file_free(f);
    sk_problems_free(&load);
    sk_problems_free(&probs);
    free(text);
    free(one);
    free(jx1);
    free(jx1b);
    free(jx10a);
    free(jx10b);
    free(jx10);
}

/* An order built in code has no position: its problems have index 0 and name its number. */
static void order_in_code(void)
{
    order o;
    sk_problems probs;

    memset(&o, 0, sizeof(o));
    o.number = "JX-7";
    o.payment_amount_fen = 22000;
    sk_problems_init(&probs);
    CHECK(order_validate(&o, NULL, &probs) == probs.n && probs.n > 0);
    for (size_t i = 0; i < probs.n; i++)
        CHECK(strcmp(probs.items[i].order, "JX-7") == 0 && probs.items[i].index == 0 &&
              probs.items[i].code == SK_PROB_MISSING);
    CHECK(probs.n > 0 && strcmp(probs.items[0].field, "project_code") == 0 &&
          strcmp(probs.items[0].text, "order JX-7: project_code: missing") == 0);
    sk_problems_free(&probs);
}

int main(void)
{
    char path[600], stdir[600], cmd[700];
    unsigned char *fixture = NULL;
    size_t len = 0;
    station_config *st = NULL;
    sk_err e;

    src = getenv("SOURCE_DIR");
    if (src == NULL || mkdtemp(dir) == NULL)
        return 2;
    snprintf(path, sizeof(path), "%.500s/tests/data/orders/one.json", src);
    snprintf(stdir, sizeof(stdir), "%.500s/examples", src);
    CHECK(sk_file_read(path, 1 << 20, &fixture, &len, &e) == SK_OK);
    CHECK(station_load(stdir, &st, &e) == SK_OK);
    snprintf(path, sizeof(path), "%s/scans", dir);
    CHECK(mkdir(path, 0755) == 0);
    CHECK(write_text("scans/JX2026-000101-official.jpg", "jpeg", path, sizeof(path)) == SK_OK);
    CHECK(write_text("scans/JX2026-000101-legal-rep.jpg", "jpeg", path, sizeof(path)) == SK_OK);

    list_basics();
    order_in_code();
    if (fixture != NULL && st != NULL) {
        one_problem_each((const char *)fixture, st);
        file_of_orders((const char *)fixture);
    }
    free(fixture);
    station_free(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    TEST_DONE();
}
