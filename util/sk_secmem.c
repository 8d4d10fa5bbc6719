#include "util/sk_secmem.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_rounded(size_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t p = page > 0 ? (size_t)page : 4096;

    return size == 0 ? p : (size + p - 1) / p * p;
}

int sk_secmem_alloc(size_t size, void **ptr, sk_err *e)
{
    size_t len = page_rounded(size);
    void *p;

    *ptr = NULL;
    if (len < size)
        return sk_err_set(e, SK_EINTERNAL, "secret memory: %zu bytes is too much", size);
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return sk_err_set(e, SK_EINTERNAL, "secret memory: mmap of %zu bytes: %s", len,
                          strerror(errno));
    /* Both are best effort: an unprivileged user may have a small RLIMIT_MEMLOCK (then the
     * pages can be swapped but are still wiped), and an old kernel may lack MADV_DONTDUMP
     * (then PR_SET_DUMPABLE 0 in main still keeps core files away). */
    (void)mlock(p, len);
    (void)madvise(p, len, MADV_DONTDUMP);
    *ptr = p;
    return SK_OK;
}

void sk_secmem_free(void *ptr, size_t size)
{
    size_t len = page_rounded(size);

    if (ptr == NULL)
        return;
    OPENSSL_cleanse(ptr, len);
    (void)munlock(ptr, len);
    (void)munmap(ptr, len);
}
