/* util/: atomic writes, bounded reads, secret sources, locked secret memory. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"
#include "util/sk_file.h"
#include "util/sk_secmem.h"
#include "util/sk_secret.h"
#include "util/sk_trust.h"

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

/* An fd: secret written through a pipe: sk_secret_read's result. */
static int read_fd_secret(const void *data, size_t len, char *buf, size_t buflen, sk_err *e)
{
    int p[2];
    sk_secret_src src;
    char spec[32];
    int ret;

    if (pipe(p) != 0)
        return -1;
    if (write(p[1], data, len) != (ssize_t)len)
        ret = -1;
    else {
        close(p[1]);
        p[1] = -1;
        snprintf(spec, sizeof(spec), "fd:%d", p[0]);
        ret = sk_secret_src_parse(spec, "PIN", &src, e);
        if (ret == SK_OK)
            ret = sk_secret_read(&src, NULL, "PIN", false, buf, buflen, e);
    }
    close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    return ret;
}

/* Secrets are refused, never cut short: too long (at SK_SECRET_MAX - 1 bytes the limit
 * holds exactly), or with a NUL byte in them, from every source. */
static void test_secret_limits(const char *dir)
{
    char buf[SK_SECRET_MAX], big[SK_SECRET_MAX + 64], path[512];
    sk_secret_src src;
    sk_err e;

    memset(big, 'a', sizeof(big));
    CHECK(read_fd_secret(big, SK_SECRET_MAX - 1, buf, sizeof(buf), &e) == SK_OK &&
          strlen(buf) == SK_SECRET_MAX - 1);
    big[SK_SECRET_MAX - 1] = '\n';
    CHECK(read_fd_secret(big, SK_SECRET_MAX, buf, sizeof(buf), &e) == SK_OK &&
          strlen(buf) == SK_SECRET_MAX - 1);
    big[SK_SECRET_MAX - 1] = '\r';
    big[SK_SECRET_MAX] = '\n';
    CHECK(read_fd_secret(big, SK_SECRET_MAX + 1, buf, sizeof(buf), &e) == SK_OK &&
          strlen(buf) == SK_SECRET_MAX - 1);
    memset(big, 'a', sizeof(big));
    CHECK(read_fd_secret(big, SK_SECRET_MAX, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "longer than 255 bytes");
    CHECK(read_fd_secret(big, 300, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "fd:");
    CHECK(strstr(e.msg, "aaaa") == NULL);
    CHECK(read_fd_secret("12\0" "3456\n", 8, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "NUL byte");

    snprintf(path, sizeof(path), "%s/nul-secret", dir);
    CHECK(sk_file_write_atomic(path, "1234\0" "5678\n", 10, 0600, &e) == SK_OK);
    CHECK(sk_secret_src_parse("file:nul-secret", "PIN", &src, &e) == SK_OK);
    CHECK(sk_secret_read(&src, dir, "PIN", false, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "NUL byte");
    /* A NUL after the first line is none of the secret's business. */
    CHECK(sk_file_write_atomic(path, "12345678\n\0", 10, 0600, &e) == SK_OK);
    CHECK(sk_secret_read(&src, dir, "PIN", false, buf, sizeof(buf), &e) == SK_OK &&
          strcmp(buf, "12345678") == 0);
    snprintf(path, sizeof(path), "%s/long-secret", dir);
    CHECK(sk_file_write_atomic(path, big, SK_SECRET_MAX, 0600, &e) == SK_OK);
    CHECK(sk_secret_src_parse("file:long-secret", "PIN", &src, &e) == SK_OK);
    CHECK(sk_secret_read(&src, dir, "PIN", false, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "longer than 255 bytes");
    big[SK_SECRET_MAX] = '\0';
    setenv("SK_TEST_LONG", big, 1);
    CHECK(sk_secret_src_parse("env:SK_TEST_LONG", "PIN", &src, &e) == SK_OK);
    CHECK(sk_secret_read(&src, NULL, "PIN", false, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "longer than 255 bytes");
    unsetenv("SK_TEST_LONG");
}

/* Outside files that are not regular files are refused at once, not waited on. */
static void test_special_files(const char *dir)
{
    char fifo[512], sub[512], link[512];
    unsigned char *data = NULL;
    size_t len = 0;
    int fd = -1;
    sk_err e;
    sk_secret_src src;
    char buf[SK_SECRET_MAX];

    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    alarm(10); /* a regression hangs here: let it fail instead */
    CHECK(sk_file_read(fifo, 100, &data, &len, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "fifo: not a regular file (a FIFO)");
    CHECK(sk_file_open_regular(fifo, 0, &fd, NULL, &e) == SK_EINPUT && fd == -1);
    CHECK(sk_secret_src_parse("file:fifo", "PIN", &src, &e) == SK_OK);
    CHECK(sk_secret_read(&src, dir, "PIN", false, buf, sizeof(buf), &e) == SK_EPIN);
    CHECK_CONTAINS(e.msg, "a FIFO");
    alarm(0);
    CHECK(sk_file_read(dir, 100, &data, &len, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "a directory");
    CHECK(sk_file_read("/dev/null", 100, &data, &len, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "a character device");

    /* The descriptor handed out blocks again. */
    snprintf(link, sizeof(link), "%s/plain", dir);
    CHECK(sk_file_write_atomic(link, "x", 1, 0600, &e) == SK_OK);
    CHECK(sk_file_open_regular(link, SK_FILE_NOFOLLOW, &fd, NULL, &e) == SK_OK && fd >= 0);
    CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) == 0);
    close(fd);
    snprintf(sub, sizeof(sub), "%s/plainlink", dir);
    CHECK(symlink("plain", sub) == 0);
    CHECK(sk_file_read_ex(sub, 100, SK_FILE_NOFOLLOW, &data, &len, NULL, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "symbolic link");
    CHECK(sk_file_read(sub, 100, &data, &len, &e) == SK_OK && len == 1);
    free(data);

    /* Output directories: made or found, never through a link. */
    snprintf(sub, sizeof(sub), "%s/outdir", dir);
    CHECK(sk_mkdir_nofollow(sub, 0700, &e) == SK_OK && sk_mkdir_nofollow(sub, 0700, &e) == SK_OK);
    snprintf(link, sizeof(link), "%s/outlink", dir);
    CHECK(symlink("outdir", link) == 0);
    CHECK(sk_mkdir_nofollow(link, 0700, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "symbolic link");
    snprintf(link, sizeof(link), "%s/plain", dir);
    CHECK(sk_mkdir_nofollow(link, 0700, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "not a directory");
}

/* Owner and mode: what another user could change is refused, a secret others can read is
 * noted. */
static void test_trust(const char *dir)
{
    char sub[512], file[600], link[700];
    bool exposed = false;
    struct stat st;
    sk_err e;

    snprintf(sub, sizeof(sub), "%s/trust", dir);
    CHECK(mkdir(sub, 0755) == 0);
    snprintf(file, sizeof(file), "%s/secret", sub);
    CHECK(sk_file_write_atomic(file, "x\n", 2, 0600, &e) == SK_OK);
    CHECK(sk_trust_path(file, "SO PIN file", SK_TRUST_SECRET, &exposed, &e) == SK_OK && !exposed);
    CHECK(chmod(file, 0644) == 0);
    CHECK(sk_trust_path(file, "SO PIN file", SK_TRUST_SECRET, &exposed, &e) == SK_OK && exposed);
    CHECK(stat(file, &st) == 0);
    CHECK(sk_trust_opened(file, &st, "SO PIN file", SK_TRUST_SECRET, &exposed, &e) == SK_OK &&
          exposed);
    CHECK(chmod(file, 0620) == 0);
    CHECK(sk_trust_path(file, "SO PIN file", 0, NULL, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "is writable by group");
    CHECK_CONTAINS(e.msg, "mode 0620");
    CHECK_CONTAINS(e.msg, "chmod go-w");
    CHECK(chmod(file, 0600) == 0);
    /* A directory above it. */
    CHECK(chmod(sub, 0757) == 0);
    CHECK(sk_trust_path(file, "SO PIN file", 0, NULL, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "above it is writable by others");
    /* ... unless sticky, as /tmp is; but not the path itself. */
    CHECK(chmod(sub, 01777) == 0);
    CHECK(sk_trust_path(file, "SO PIN file", 0, NULL, &e) == SK_OK);
    CHECK(sk_trust_path(sub, "station directory", 0, NULL, &e) == SK_EINPUT);
    /* Absent: the directories that would hold it decide. */
    snprintf(link, sizeof(link), "%s/nothere/module.so", sub);
    CHECK(sk_trust_path(link, "pkcs11_module", SK_TRUST_MAY_BE_ABSENT, NULL, &e) == SK_OK);
    CHECK(chmod(sub, 0777) == 0);
    CHECK(sk_trust_path(link, "pkcs11_module", SK_TRUST_MAY_BE_ABSENT, NULL, &e) == SK_EINPUT);
    CHECK(sk_trust_path(link, "pkcs11_module", 0, NULL, &e) == SK_EINPUT);
    CHECK(chmod(sub, 0755) == 0);
    /* Through a link: the link's directory counts as well as the file's. */
    snprintf(link, sizeof(link), "%s/ww", dir);
    CHECK(mkdir(link, 0755) == 0);
    snprintf(link, sizeof(link), "%s/ww/link", dir);
    CHECK(symlink(file, link) == 0);
    CHECK(sk_trust_path(link, "pkcs11_module", 0, NULL, &e) == SK_OK);
    snprintf(link, sizeof(link), "%s/ww", dir);
    CHECK(chmod(link, 0777) == 0);
    snprintf(link, sizeof(link), "%s/ww/link", dir);
    CHECK(sk_trust_path(link, "pkcs11_module", 0, NULL, &e) == SK_EINPUT);
    CHECK_CONTAINS(e.msg, "/ww above it is writable by group and others");
    /* Owned by another user (only root can make one). */
    if (geteuid() == 0) {
        CHECK(chown(file, 65534, 65534) == 0);
        CHECK(sk_trust_path(file, "SO PIN file", 0, NULL, &e) == SK_EINPUT);
        CHECK_CONTAINS(e.msg, "is owned by");
        CHECK_CONTAINS(e.msg, "uid 65534");
        CHECK(chown(file, 0, 0) == 0);
    }
    /* System paths are fine. */
    CHECK(sk_trust_path("/usr/lib", "pkcs11_module", 0, NULL, &e) == SK_OK);
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
    test_secret_limits(dir);
    test_special_files(dir);
    test_trust(dir);

    snprintf(path, sizeof(path), "rm -rf %s", dir);
    CHECK(system(path) == 0);
    TEST_DONE();
}
