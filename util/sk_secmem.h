/* Locked memory for secrets: pages of their own that are kept out of swap and core dumps.
 *
 * A secret in a stack array or a malloc'd block shares its page with everything else: the
 * page can be swapped out (and the secret written to the swap device, beyond the reach of
 * any wipe) and it lands in a core dump. sk_secmem_alloc gives a zeroed, page-rounded
 * anonymous mapping, mlock'd where RLIMIT_MEMLOCK allows (best effort: refused, the memory
 * is still private and wiped, only swappable) and marked MADV_DONTDUMP. It is not
 * MADV_DONTFORK: batch and station workers are forked and use the secrets they inherit.
 * sk_secmem_free wipes, unlocks and unmaps. */
#ifndef SK_SECMEM_H
#define SK_SECMEM_H

#include <stddef.h>

#include "util/sk_err.h"

/* *ptr: at least size zeroed bytes, or NULL on failure (SK_EINTERNAL). */
int sk_secmem_alloc(size_t size, void **ptr, sk_err *e);

/* Wipe and release what sk_secmem_alloc gave for the same size; NULL is fine. */
void sk_secmem_free(void *ptr, size_t size);

#endif
