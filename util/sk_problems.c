#include "util/sk_problems.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBLEM_MAX 1024

static const char *const code_names[] = {
    [SK_PROB_NONE] = "none",
    [SK_PROB_MISSING] = "missing",
    [SK_PROB_WRONG_TYPE] = "wrong_type",
    [SK_PROB_EMPTY] = "empty",
    [SK_PROB_TOO_LONG] = "too_long",
    [SK_PROB_NAME_CHARACTER] = "name_character",
    [SK_PROB_SPACES] = "spaces",
    [SK_PROB_UNKNOWN_FIELD] = "unknown_field",
    [SK_PROB_BAD_FORMAT] = "bad_format",
    [SK_PROB_CHECK_DIGIT] = "check_digit",
    [SK_PROB_BAD_VALUE] = "bad_value",
    [SK_PROB_DUPLICATE] = "duplicate",
    [SK_PROB_NOT_APPROVED] = "not_approved",
    [SK_PROB_UNKNOWN_PROJECT] = "unknown_project",
    [SK_PROB_UNSAFE_PATH] = "unsafe_path",
    [SK_PROB_SCAN] = "scan",
};

const char *sk_problem_code_name(enum sk_problem_code code)
{
    if ((size_t)code >= sizeof(code_names) / sizeof(code_names[0]) || code_names[code] == NULL)
        return "unknown";
    return code_names[code];
}

void sk_problems_init(sk_problems *p)
{
    p->items = NULL;
    p->n = 0;
    p->cap = 0;
}

void sk_problems_free(sk_problems *p)
{
    /* Each problem's strings are one block, starting with its order. */
    for (size_t i = 0; i < p->n && p->items != NULL; i++)
        free((char *)p->items[i].order);
    free(p->items);
    sk_problems_init(p);
}

/* Like git's xmalloc: a checker that silently drops a problem would pass bad input. */
static void *must(void *ptr)
{
    if (ptr == NULL)
        abort();
    return ptr;
}

static void append(sk_problems *p, const char *order, size_t index, const char *field,
                   enum sk_problem_code code, const char *message, const char *text)
{
    size_t lo = strlen(order) + 1, lf = strlen(field) + 1, lm = strlen(message) + 1,
           lt = strlen(text) + 1;
    sk_problem *q;
    char *block;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        p->items = must(realloc(p->items, cap * sizeof(*p->items)));
        p->cap = cap;
    }
    block = must(malloc(lo + lf + lm + lt));
    q = &p->items[p->n++];
    q->order = memcpy(block, order, lo);
    q->field = memcpy(block + lo, field, lf);
    q->message = memcpy(block + lo + lf, message, lm);
    q->text = memcpy(block + lo + lf + lm, text, lt);
    q->index = index;
    q->code = code;
}

/* vsnprintf, for a text that may be cut at the buffer's end on purpose. */
static void cut_printf(char *buf, size_t buflen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cut_printf(char *buf, size_t buflen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, buflen, fmt, ap);
    va_end(ap);
}

void sk_problems_add(sk_problems *p, const char *order, size_t index, const char *field,
                     enum sk_problem_code code, const char *fmt, ...)
{
    char message[PROBLEM_MAX], text[PROBLEM_MAX];
    va_list ap;

    if (order == NULL)
        order = "";
    if (field == NULL)
        field = "";
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    /* The one place a problem becomes a line of text, so every command prints it alike. A
     * text over the limit stays cut there, like the message: reported, never dropped. */
    if (order[0] != '\0' && field[0] != '\0')
        cut_printf(text, sizeof(text), "order %s: %s: %s", order, field, message);
    else if (order[0] != '\0')
        cut_printf(text, sizeof(text), "order %s: %s", order, message);
    else if (field[0] != '\0')
        cut_printf(text, sizeof(text), "%s: %s", field, message);
    else
        cut_printf(text, sizeof(text), "%s", message);
    append(p, order, index, field, code, message, text);
}

void sk_problems_copy(sk_problems *p, const sk_problem *q)
{
    append(p, q->order, q->index, q->field, q->code, q->message, q->text);
}

const sk_problem *sk_problems_find(const sk_problems *p, const char *order)
{
    for (size_t i = 0; order != NULL && i < p->n; i++)
        if (strcmp(p->items[i].order, order) == 0)
            return &p->items[i];
    return NULL;
}

const sk_problem *sk_problems_find_index(const sk_problems *p, size_t index)
{
    for (size_t i = 0; index > 0 && i < p->n; i++)
        if (p->items[i].index == index)
            return &p->items[i];
    return NULL;
}
