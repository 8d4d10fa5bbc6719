/* util/: atomic writes, bounded reads, secret sources, locked secret memory. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"
#include "util/sk_file.h"
#include "util/sk_secmem.h"
#include "util/sk_secret.h"

/* kB of this process's memory locked by mlock, from /proc/self/status; -1 if unknown. */
static long locked_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kb;
}

static void test_secmem(void)
{
    char *p = NULL;
    struct rlimit rl;
    long before = locked_kb();
    sk_err e;

    CHECK(sk_secmem_alloc(100, (void **)&p, &e) == SK_OK && p != NULL);
    if (p == NULL)
        return;
    /* Zeroed, on a page of its own that is all the caller's. */
    CHECK(p[0] == 0 && p[99] == 0 && (uintptr_t)p % (uintptr_t)sysconf(_SC_PAGESIZE) == 0);
    memset(p, 'x', (size_t)sysconf(_SC_PAGESIZE));
    /* Locked where the limit allows it (mlock is best effort). AddressSanitizer turns mlock
     * into a no-op that reports success, so there is nothing to see under it. */
#ifndef __SANITIZE_ADDRESS__
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur >= 1 << 20 && before >= 0)
        CHECK(locked_kb() > before);
#else
    (void)rl;
#endif
    sk_secmem_free(p, 100);
    if (before >= 0)
        CHECK(locked_kb() == before);
    sk_secmem_free(NULL, 100);
}

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

    /* Exclusive creation never replaces: neither a file nor a symlink at the name. */
    snprintf(path, sizeof(path), "%s/once", dir);
    CHECK(sk_file_create_atomic(path, "first", 5, 0640, &e) == SK_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
    CHECK(sk_file_create_atomic(path, "second", 6, 0640, &e) == SK_ESTATE);
    CHECK_CONTAINS(e.msg, "refusing to overwrite");
    CHECK(sk_file_read(path, 100, &data, &len, &e) == SK_OK && len == 5);
    free(data);
    snprintf(path, sizeof(path), "%s/link", dir);
    CHECK(sk_file_create_atomic(path, "x", 1, 0600, &e) == SK_ESTATE);
    CHECK(sk_file_read(link, 100, &data, &len, &e) == SK_OK && len == 4);
    free(data);

    setenv("SK_TEST_SECRET", "12345678", 1);
    const char *env_value = getenv("SK_TEST_SECRET");
    CHECK(sk_secret_src_parse("env:SK_TEST_SECRET", "PIN", &src, &e) == SK_OK);
    CHECK(sk_secret_read(&src, NULL, "PIN", false, buf, sizeof(buf), &e) == SK_OK);
    CHECK(strcmp(buf, "12345678") == 0);
    /* An env: secret is consumed: wiped where it was (glibc keeps setenv strings) and unset. */
    CHECK(env_value != NULL && env_value[0] == '\0' && getenv("SK_TEST_SECRET") == NULL);
    CHECK(sk_secret_src_parse("hunter2", "PIN", &src, &e) == SK_EINPUT);
    CHECK(strstr(e.msg, "hunter2") == NULL);
    CHECK(sk_secret_src_parse("env:SK_TEST_UNSET_VAR", "PIN", &src, &e) == SK_OK);
    CHECK(sk_secret_read(&src, NULL, "PIN", false, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "SK_TEST_UNSET_VAR is not set");

    test_secmem();

    snprintf(path, sizeof(path), "rm -rf %s", dir);
    CHECK(system(path) == 0);
    TEST_DONE();
}
