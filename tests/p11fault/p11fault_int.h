/* Internals of the fault-injecting PKCS#11 wrapper (see docs/fault-injection.md). */
#ifndef P11FAULT_INT_H
#define P11FAULT_INT_H

#include <p11-kit/pkcs11.h>
#include <stdbool.h>
#include <stddef.h>

#include "p11fault_funcs.h"

enum pf_fn {
#define PF_ENUM(name, params, args) PF_##name,
    P11FAULT_FUNCS(PF_ENUM)
#undef PF_ENUM
    PF_NFUNCS
};

#define PF_ANY (-1)      /* a rule or delay for every function ("*") */
#define PF_MAX_RULES 32

/* Fail the n-th call (1-based) of fn, or the n-th call of all functions together when fn
 * is PF_ANY, with rv. A sticky rule keeps failing every later call of every function. */
typedef struct pf_rule {
    int fn;
    unsigned long n;
    CK_RV rv;
    bool sticky;
} pf_rule;

typedef struct pf_delay {
    int fn;
    unsigned long ms;
} pf_delay;

typedef struct pf_config {
    pf_rule rules[PF_MAX_RULES];
    size_t nrules;
    pf_delay delays[PF_MAX_RULES];
    size_t ndelays;
} pf_config;

extern const char *const pf_fn_names[PF_NFUNCS];

/* Parse P11FAULT_FAIL / P11FAULT_DELAY_MS values (NULL or "" adds nothing). On a bad
 * spec return -1 with a one-line reason in err. */
int pf_parse_fail(const char *spec, pf_config *c, char *err, size_t errlen);
int pf_parse_delay(const char *spec, pf_config *c, char *err, size_t errlen);

/* P11FAULT_PIN_TRIES / P11FAULT_PIN_STATE (p11fault_pinlock.c): a user PIN that locks
 * after N wrong tries, over own's wrapped functions. 0, or -1 with a reason in err. */
int pf_pinlock_install(CK_FUNCTION_LIST_PTR own, CK_FUNCTION_LIST_PTR real, char *err,
                       size_t errlen);

/* "CKR_OK", or "CKR_0x..." in buf for codes not in the table. */
const char *pf_rv_name(CK_RV rv, char *buf, size_t buflen);

#endif
