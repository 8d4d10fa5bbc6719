/* A list of problems found in an input, for commands that report all of them at once.
 * Each problem says which order it is about, which field, what kind of problem it is and,
 * in words, what is wrong; a command finds an order's problems by the order, never by
 * searching the words. */
#ifndef SK_PROBLEMS_H
#define SK_PROBLEMS_H

#include <stddef.h>

/* The kinds of problem the order checks find (issuer/orders/order*.c; the station's project list
 * in issuer/station/station.c; the form maker refuses an order on the loader's problems). Scripts
 * see them by name in `sealkey order check --json` (sk_problem_code_name): add new kinds
 * at the end and never rename one. */
enum sk_problem_code {
    SK_PROB_NONE = 0,        /* no problem: what a check returns for a valid value */
    SK_PROB_MISSING,         /* a required field is absent */
    SK_PROB_WRONG_TYPE,      /* a JSON value of the wrong type (a number for a string, ...) */
    SK_PROB_EMPTY,           /* an empty string */
    SK_PROB_TOO_LONG,        /* more characters than the field's limit */
    SK_PROB_NAME_CHARACTER,  /* a character the name rules refuse (util/sk_name.h) */
    SK_PROB_SPACES,          /* leading or trailing spaces */
    SK_PROB_UNKNOWN_FIELD,   /* a field the format does not have (a misspelling?) */
    SK_PROB_BAD_FORMAT,      /* not written as the field's format says (length, characters,
                                structure, a date or region that does not exist) */
    SK_PROB_CHECK_DIGIT,     /* a credit code's or ID number's check character is wrong */
    SK_PROB_BAD_VALUE,       /* well formed, but not an allowed value (channel, zero amount) */
    SK_PROB_DUPLICATE,       /* the order number appears more than once in the file */
    SK_PROB_NOT_APPROVED,    /* review status other than approved */
    SK_PROB_UNKNOWN_PROJECT, /* a project code the station does not have */
    SK_PROB_UNSAFE_PATH,     /* a scan path leading out of the order file's directory */
    SK_PROB_SCAN,            /* the scan file: absent, not a regular file, empty, too large,
                                not a picture type */
};

typedef struct sk_problem {
    const char *order; /* how messages name the order ("JX2026-000101", or "#3" for one
                          without a usable number; order_label); "" for the whole file */
    size_t index;      /* the order's 1-based position in its file; 0 when not known */
    const char *field; /* the field's path, "legal_rep.name"; "" for the order as a whole */
    enum sk_problem_code code;
    const char *message; /* what is wrong: "check digit is 3, expected X" */
    const char *text;    /* the line users see: "order O: FIELD: MESSAGE" (without the
                            order or field part when they are "") */
} sk_problem;

typedef struct sk_problems {
    sk_problem *items;
    size_t n;
    size_t cap;
} sk_problems;

void sk_problems_init(sk_problems *p);
void sk_problems_free(sk_problems *p);

/* Add one problem: order and field may be NULL (as ""), message is formatted; message and
 * text are each cut at 1 KiB. Aborts when memory runs out: a checker that silently dropped a
 * problem would pass bad input. */
void sk_problems_add(sk_problems *p, const char *order, size_t index, const char *field,
                     enum sk_problem_code code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Add a copy of q (a problem of another list). */
void sk_problems_copy(sk_problems *p, const sk_problem *q);

/* The first problem about the order that messages name order (its order field equal, not
 * merely starting the same: JX-1 is not JX-10), or NULL when it has none. */
const sk_problem *sk_problems_find(const sk_problems *p, const char *order);

/* The same, for the order at 1-based position index in its file. */
const sk_problem *sk_problems_find_index(const sk_problems *p, size_t index);

/* "check_digit": the name scripts see (the enum's name in lower case, without SK_PROB_). */
const char *sk_problem_code_name(enum sk_problem_code code);

#endif
