/* Minimal assertions for the C tests: each failed check prints where and what, the test
 * goes on, and main returns the failure count through TEST_DONE(). */
#ifndef SK_TEST_H
#define SK_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        test_checks++;                                                                       \
        if (!(cond)) {                                                                       \
            test_failures++;                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
        }                                                                                    \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                 \
    do {                                                                                     \
        test_checks++;                                                                       \
        if (!(cond)) {                                                                       \
            test_failures++;                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                    \
            fputc('\n', stderr);                                                             \
        }                                                                                    \
    } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                     \
    CHECK_MSG((haystack) != NULL && strstr((haystack), (needle)) != NULL,                    \
              "'%s' does not contain '%s'", (haystack) ? (haystack) : "(null)", (needle))

#define TEST_DONE()                                                                          \
    do {                                                                                     \
        printf("%d passed, %d failed\n", test_checks - test_failures, test_failures);       \
        return test_failures == 0 ? 0 : 1;                                                   \
    } while (0)

#endif
