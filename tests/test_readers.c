/* Issue 13, item 3: a station's reader mapped by its name, not a slot ID. station_reader_uri
 * turns a "reader" mapping into a URI on the slot described by the reader's name (OpenSC
 * describes each pcsc reader's slot by the reader's name; SoftHSM by "SoftHSM slot ID 0x.."),
 * and tok_select finds exactly that token on a real SoftHSM store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "issuer/station/station.h"
#include "pkcs11/tok.h"
#include "tests/test.h"

#define SO_PIN "so-pin-4711"

static char *make_store(void)
{
    static char dir[] = "/tmp/sk-readers-test-XXXXXX";
    char path[512];
    FILE *f;

    if (mkdtemp(dir) == NULL)
        return NULL;
    snprintf(path, sizeof(path), "%s/tokens", dir);
    if (mkdir(path, 0700) != 0)
        return NULL;
    snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
    if ((f = fopen(path, "w")) == NULL)
        return NULL;
    fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
               "log.level = ERROR\nslots.removable = false\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", path, 1);
    return dir;
}

/* Initialise the first blank token with label; its info into *info. */
static void make_token(tok_module *m, const char *label, tok_info *info)
{
    tok_slot *s = NULL;
    sk_err e;

    CHECK(tok_select(m, NULL, &s, &e) == SK_OK);
    if (s == NULL)
        return;
    CHECK_MSG(tok_init_token(s, SO_PIN, label, &e) == SK_OK, "%s", e.msg);
    CHECK(tok_get_info(s, info, &e) == SK_OK);
    tok_slot_free(s);
}

/* The token a reader of this name stands for, under a "reader" mapping. */
static int by_reader(tok_module *m, const char *reader_name, tok_info *info, sk_err *e)
{
    station_reader r = {.name = "SoftHSM", .token = "reader"};
    char buf[256];
    const char *uri = NULL;
    tok_slot *s = NULL;
    int ret;

    if ((ret = station_reader_uri(&r, reader_name, buf, sizeof(buf), &uri, e)) != SK_OK)
        return ret;
    CHECK(uri != NULL && strncmp(uri, "pkcs11:slot-description=", 24) == 0);
    if ((ret = tok_select(m, uri, &s, e)) == SK_OK)
        ret = tok_get_info(s, info, e);
    tok_slot_free(s);
    return ret;
}

int main(void)
{
    const char *module = getenv("SOFTHSM2_MODULE");
    char *dir = make_store();
    tok_module *m = NULL;
    tok_info a, b, got;
    char name[160];
    const char *uri = NULL;
    char buf[256];
    sk_err e;

    if (module == NULL || dir == NULL) {
        fprintf(stderr, "SOFTHSM2_MODULE unset or no temp dir\n");
        return 1;
    }
    /* The other mappings: "blank" is no URI, a URI is itself. */
    station_reader blank = {.name = "R", .token = "blank"}, byserial = {.name = "R",
                                                                       .token = "pkcs11:serial=42"};
    CHECK(station_reader_uri(&blank, "R 00 00", buf, sizeof(buf), &uri, &e) == SK_OK && !uri);
    CHECK(station_reader_uri(&byserial, "R 00 00", buf, sizeof(buf), &uri, &e) == SK_OK &&
          uri == byserial.token);
    /* Names with blanks, punctuation and UTF-8 round-trip through the URI. */
    station_reader rd = {.name = "R", .token = "reader"};
    tok_uri u;
    CHECK(station_reader_uri(&rd, "Feitian ePass3003 [USB] 00 00; 读卡器", buf, sizeof(buf), &uri,
                             &e) == SK_OK);
    CHECK(tok_uri_parse(uri, &u, &e) == SK_OK && u.has_slot_description &&
          strcmp(u.slot_description, "Feitian ePass3003 [USB] 00 00; 读卡器") == 0);

    CHECK_MSG(tok_module_open(module, &m, &e) == SK_OK, "%s", e.msg);
    if (m == NULL)
        return 1;
    /* SoftHSM's free slot is every process's own; another module's serial-less blank is
     * not (issue_token.c keeps tokens.lock through its C_InitToken). */
    {
        tok_slot *s = NULL;
        tok_info blank_info;
        CHECK(tok_select(m, NULL, &s, &e) == SK_OK && tok_get_info(s, &blank_info, &e) == SK_OK);
        CHECK(blank_info.serial[0] == '\0' && tok_blank_per_process(&blank_info));
        tok_slot_free(s);
        tok_info other = {.manufacturer = "OpenSC Project"}, with_serial = blank_info;
        CHECK(!tok_blank_per_process(&other));
        snprintf(with_serial.serial, sizeof(with_serial.serial), "0123456789abcdef");
        CHECK(!tok_blank_per_process(&with_serial));
    }
    make_token(m, "first", &a);
    make_token(m, "second", &b);
    CHECK(strcmp(a.serial, b.serial) != 0 && a.slot_id != b.slot_id);

    /* Each reader's name selects its own slot's token. */
    snprintf(name, sizeof(name), "SoftHSM slot ID 0x%lx", b.slot_id);
    CHECK_MSG(by_reader(m, name, &got, &e) == SK_OK, "%s: %s", name, e.msg);
    CHECK(strcmp(got.serial, b.serial) == 0 && strcmp(got.label, "second") == 0);
    snprintf(name, sizeof(name), "SoftHSM slot ID 0x%lx", a.slot_id);
    CHECK_MSG(by_reader(m, name, &got, &e) == SK_OK, "%s: %s", name, e.msg);
    CHECK(strcmp(got.serial, a.serial) == 0 && strcmp(got.label, "first") == 0);
    /* A reader name longer than PKCS#11's 64 bytes matches on the part the slot holds. */
    {
        char hexid[32];
        snprintf(hexid, sizeof(hexid), "%lx", a.slot_id);
        snprintf(name, sizeof(name), "SoftHSM slot ID 0x%s%*s and what pcsc adds", hexid,
                 (int)(64 - 18 - strlen(hexid)), "");
    }
    CHECK(strlen(name) > 64);
    CHECK_MSG(by_reader(m, name, &got, &e) == SK_OK, "long name: %s", e.msg);
    CHECK(strcmp(got.serial, a.serial) == 0);
    /* A reader whose name is no slot's: nothing matches, and the message says so. */
    CHECK(by_reader(m, "Virtual PCD 00 01", &got, &e) == SK_ETOKEN);
    CHECK_CONTAINS(e.msg, "no token matches pkcs11:slot-description=Virtual%20PCD%2000%2001");

    tok_module_free(m);
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    TEST_DONE();
}
