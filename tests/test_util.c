/* util/: atomic writes, bounded reads, secret sources. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"
#include "util/sk_file.h"
#include "util/sk_secret.h"

int main(void)
{
    char dir[] = "/tmp/sk-util-XXXXXX";
    char path[512], link[512], buf[SK_SECRET_MAX];
    unsigned char *data = NULL;
    size_t len = 0;
    struct stat st;
    sk_err e;
    sk_secret_src src;

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/out.bin", dir);
    CHECK(sk_file_write_atomic(path, "hello", 5, 0600, &e) == SK_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(sk_file_read(path, 100, &data, &len, &e) == SK_OK && len == 5);
    free(data);
    CHECK(sk_file_read(path, 4, &data, &len, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "the limit is 4");

    /* A symlink at the destination is replaced, not followed. */
    snprintf(link, sizeof(link), "%s/victim", dir);
    CHECK(sk_file_write_atomic(link, "keep", 4, 0644, &e) == SK_OK);
    snprintf(path, sizeof(path), "%s/link", dir);
    CHECK(symlink(link, path) == 0);
    CHECK(sk_file_write_atomic(path, "new", 3, 0600, &e) == SK_OK);
    CHECK(sk_file_read(link, 100, &data, &len, &e) == SK_OK && len == 4);
    free(data);

    setenv("SK_TEST_SECRET", "12345678", 1);
    CHECK(sk_secret_src_parse("env:SK_TEST_SECRET", "PIN", &src, &e) == SK_OK);
    CHECK(sk_secret_read(&src, NULL, "PIN", false, buf, sizeof(buf), &e) == SK_OK);
    CHECK(strcmp(buf, "12345678") == 0);
    CHECK(sk_secret_src_parse("hunter2", "PIN", &src, &e) == SK_EINPUT);
    CHECK(strstr(e.msg, "hunter2") == NULL);
    CHECK(sk_secret_src_parse("env:SK_TEST_UNSET_VAR", "PIN", &src, &e) == SK_OK);
    CHECK(sk_secret_read(&src, NULL, "PIN", false, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "SK_TEST_UNSET_VAR is not set");

    snprintf(path, sizeof(path), "rm -rf %s", dir);
    CHECK(system(path) == 0);
    TEST_DONE();
}
