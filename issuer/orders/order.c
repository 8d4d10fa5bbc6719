/* Loading an order file. The top-level array is scanned by hand and each order's text is
 * handed to jansson on its own: a 50 MB file then costs one order's JSON tree at a time,
 * not a tree of the whole file, and a broken order still gets its true line and column. */
#include "issuer/orders/order.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer/orders/order_fields.h"
#include "util/sk_file.h"
#include "util/sk_name.h"

#define NO_PEEK (-2)
#define UNKNOWN_REPORTED_MAX 10

typedef struct reader {
    FILE *fp;
    const char *path;
    size_t line;  /* line of the next byte */
    size_t col;   /* characters already consumed on that line, as jansson counts them */
    size_t bytes; /* consumed so far, against a file that grows while read */
    int peek;
} reader;

/* The growing text of one order. */
typedef struct textbuf {
    char *p;
    size_t len;
    size_t cap;
} textbuf;

static int rd_peek(reader *r)
{
    if (r->peek == NO_PEEK)
        r->peek = getc_unlocked(r->fp);
    return r->peek;
}

static int rd_next(reader *r)
{
    int c = rd_peek(r);

    r->peek = NO_PEEK;
    if (c == EOF)
        return c;
    r->bytes++;
    if (c == '\n') {
        r->line++;
        r->col = 0;
    } else if ((c & 0xC0) != 0x80) {
        r->col++;
    }
    return c;
}

static int rd_skip_ws(reader *r)
{
    int c;

    while ((c = rd_peek(r)) == ' ' || c == '\t' || c == '\n' || c == '\r')
        rd_next(r);
    return c;
}

/* A byte for a message: printable ASCII as itself, anything else as \xHH. */
static const char *show_byte(int c, char *buf, size_t buflen)
{
    if (c == EOF)
        snprintf(buf, buflen, "end of file");
    else if (c >= 0x20 && c < 0x7f)
        snprintf(buf, buflen, "'%c'", c);
    else
        snprintf(buf, buflen, "byte \\x%02X", (unsigned)c);
    return buf;
}

static int rd_error(reader *r, sk_err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rd_error(reader *r, sk_err *e, const char *fmt, ...)
{
    char why[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    /* The offending byte is the peeked one, one past what was consumed. */
    return sk_err_set(e, SK_EINPUT, "%s: line %zu column %zu: %s", r->path, r->line, r->col + 1,
                      why);
}

static int tb_add(textbuf *t, char c)
{
    if (t->len + 1 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        char *p = realloc(t->p, cap);
        if (p == NULL)
            return -1;
        t->p = p;
        t->cap = cap;
    }
    t->p[t->len++] = c;
    return 0;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* A problem of order o at path (NULL: of the order as a whole). */
static void problem(sk_problems *probs, order *o, const char *path, enum sk_problem_code code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void problem(sk_problems *probs, order *o, const char *path, enum sk_problem_code code,
                    const char *fmt, ...)
{
    char label[64];
    char why[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    order_label(o, label, sizeof(label));
    sk_problems_add(probs, label, o->index, path, code, "%s", why);
    o->load_problems++;
}

/* ASCII space and the ideographic space U+3000 that Chinese input methods produce. */
static bool padded(const char *s)
{
    size_t n = strlen(s);

    return s[0] == ' ' || strncmp(s, "\xE3\x80\x80", 3) == 0 || s[n - 1] == ' ' ||
           (n >= 3 && strcmp(s + n - 3, "\xE3\x80\x80") == 0);
}

/* "220", "220.0" or "220.00" CNY into fen; a decimal string so that no binary fraction
 * ever touches money. */
static bool parse_amount(const char *s, long *fen)
{
    long yuan = 0, cents = 0;
    size_t i = 0, frac = 0;

    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (i >= 9)
            return false;
        yuan = yuan * 10 + (s[i] - '0');
    }
    if (i == 0)
        return false;
    if (s[i] == '.') {
        for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
            if (++frac > 2)
                return false;
            cents = cents * 10 + (s[i] - '0');
        }
        if (frac == 0)
            return false;
        if (frac == 1)
            cents *= 10;
    }
    if (s[i] != '\0')
        return false;
    *fen = yuan * 100 + cents;
    return true;
}

/* Scans are named relative to the order file so that a batch directory can move as a whole;
 * ".." and absolute paths would let an order point anywhere on the station. */
static bool scan_path_safe(const char *s, const char **why)
{
    const char *p = s;

    if (s[0] == '/') {
        *why = "is an absolute path; give it relative to the order file's directory";
        return false;
    }
    while (*p != '\0') {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            *why = "has a '..' component; scans must stay below the order file's directory";
            return false;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    if (strchr(s, '\\') != NULL) {
        *why = "has a backslash; use '/' between directories";
        return false;
    }
    return true;
}

static int set_string(order *o, const order_field *f, const char *dir, const char *s)
{
    char **slot = order_slot(o, f);
    char *copy;

    if (f->kind == OK_SCAN && strcmp(dir, ".") != 0) {
        size_t n = strlen(dir) + 1 + strlen(s) + 1;
        copy = malloc(n);
        if (copy != NULL)
            snprintf(copy, n, "%s/%s", dir, s);
    } else {
        copy = strdup(s);
    }
    if (copy == NULL)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

static int load_field(order *o, size_t fi, const json_t *v, const char *dir, sk_problems *probs)
{
    const order_field *f = &order_fields[fi];
    const char *s, *why = NULL;
    char path[64];
    char name_why[256];
    size_t before = o->load_problems;

    order_field_path(f, path, sizeof(path));
    if (f->kind == OK_AMOUNT && json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        if (n < 0 || n > 999999999)
            problem(probs, o, path, SK_PROB_BAD_VALUE, "%lld is not an amount in CNY",
                    (long long)n);
        else
            o->payment_amount_fen = (long)n * 100;
        goto out;
    }
    if (!json_is_string(v)) {
        problem(probs, o, path, SK_PROB_WRONG_TYPE, "is %s, expected a string%s", json_kind(v),
                f->kind == OK_AMOUNT ? " like \"220.00\"" : "");
        goto out;
    }
    s = json_string_value(v);
    if (s[0] == '\0') {
        problem(probs, o, path, SK_PROB_EMPTY, "is empty");
    } else if (order_utf8_chars(s) > f->max_chars) {
        problem(probs, o, path, SK_PROB_TOO_LONG, "is %zu characters, at most %u", order_utf8_chars(s),
                f->max_chars);
    } else if (!sk_name_valid(s, name_why, sizeof(name_why))) {
        /* Before any message quotes the value: it may hold what the check refuses. */
        problem(probs, o, path, SK_PROB_NAME_CHARACTER, "%s", name_why);
    } else if (padded(s)) {
        problem(probs, o, path, SK_PROB_SPACES, "'%s' has leading or trailing spaces", s);
    } else if (f->kind == OK_AMOUNT) {
        if (!parse_amount(s, &o->payment_amount_fen))
            problem(probs, o, path, SK_PROB_BAD_FORMAT,
                    "'%s' is not an amount in CNY like \"220.00\"", s);
    } else if (f->kind == OK_SCAN && !scan_path_safe(s, &why)) {
        problem(probs, o, path, SK_PROB_UNSAFE_PATH, "'%s' %s", s, why);
    } else if (set_string(o, f, dir, s) != 0) {
        return -1;
    }
out:
    if (o->load_problems != before)
        o->load_bad |= 1ULL << fi;
    return 0;
}

static void mark_object_bad(order *o, const char *obj)
{
    for (size_t i = 0; i < order_n_fields; i++)
        if (order_fields[i].obj != NULL && strcmp(order_fields[i].obj, obj) == 0)
            o->load_bad |= 1ULL << i;
}

static size_t find_field(const char *obj, const char *key)
{
    for (size_t i = 0; i < order_n_fields; i++) {
        const order_field *f = &order_fields[i];
        if (strcmp(f->key, key) == 0 &&
            (obj == NULL ? f->obj == NULL : f->obj != NULL && strcmp(f->obj, obj) == 0))
            return i;
    }
    return order_n_fields;
}

static bool is_object_name(const char *key)
{
    for (size_t i = 0; order_objects[i] != NULL; i++)
        if (strcmp(order_objects[i], key) == 0)
            return true;
    return false;
}

/* A key from the file for a message: one line, at most about 60 bytes, cut only between
 * UTF-8 characters (jansson has already checked the encoding), with control, bidi and other
 * invisible characters escaped (sk_name_escape) so that the key cannot garble the message. */
static const char *safe_key(const char *key, char *buf, size_t buflen)
{
    char *esc = sk_name_escape(key);
    const char *k = esc != NULL ? esc : "?";
    size_t n = 0;

    for (; *k != '\0' && n + 5 < buflen && n < 60; k++)
        buf[n++] = *k;
    while (n > 0 && *k != '\0' && ((unsigned char)*k & 0xC0) == 0x80 &&
           ((unsigned char)buf[n - 1] & 0x80) != 0) {
        /* Drop the partial character at the cut. */
        while (n > 0 && ((unsigned char)buf[n - 1] & 0xC0) == 0x80)
            n--;
        if (n > 0)
            n--;
        break;
    }
    if (*k != '\0')
        buf[n++] = '.', buf[n++] = '.', buf[n++] = '.';
    buf[n] = '\0';
    free(esc);
    return buf;
}

/* Unknown fields are refused because a misspelt optional field would otherwise vanish
 * silently; a flood of them is summarised, not listed. */
static void unknown(order *o, const char *path, size_t *n_unknown, sk_problems *probs)
{
    if (++*n_unknown <= UNKNOWN_REPORTED_MAX)
        problem(probs, o, path, SK_PROB_UNKNOWN_FIELD, "unknown field");
}

static int load_order(order *o, const json_t *v, const char *dir, sk_problems *probs)
{
    const char *key, *sub;
    json_t *val, *sv;
    size_t n_unknown = 0;
    char path[512], k1[80], k2[80];

    o->payment_amount_fen = ORDER_AMOUNT_ABSENT;
    if (!json_is_object(v)) {
        problem(probs, o, NULL, SK_PROB_WRONG_TYPE, "is %s, expected an object", json_kind(v));
        o->load_bad = ~0ULL;
        return 0;
    }
    /* The number first, so that every message about this order can name it. */
    val = json_object_get(v, "order_number");
    if (val != NULL && load_field(o, find_field(NULL, "order_number"), val, dir, probs) != 0)
        return -1;
    json_object_foreach((json_t *)v, key, val) {
        size_t fi;
        if (strcmp(key, "order_number") == 0)
            continue;
        fi = find_field(NULL, key);
        if (fi < order_n_fields) {
            if (load_field(o, fi, val, dir, probs) != 0)
                return -1;
            continue;
        }
        if (!is_object_name(key)) {
            snprintf(path, sizeof(path), "%s", safe_key(key, k1, sizeof(k1)));
            unknown(o, path, &n_unknown, probs);
            continue;
        }
        if (!json_is_object(val)) {
            problem(probs, o, key, SK_PROB_WRONG_TYPE, "is %s, expected an object", json_kind(val));
            mark_object_bad(o, key);
            continue;
        }
        json_object_foreach(val, sub, sv) {
            fi = find_field(key, sub);
            if (fi == order_n_fields) {
                snprintf(path, sizeof(path), "%s.%s", key, safe_key(sub, k2, sizeof(k2)));
                unknown(o, path, &n_unknown, probs);
            } else if (load_field(o, fi, sv, dir, probs) != 0) {
                return -1;
            }
        }
    }
    if (n_unknown > UNKNOWN_REPORTED_MAX)
        problem(probs, o, NULL, SK_PROB_UNKNOWN_FIELD, "%zu more unknown fields",
                n_unknown - UNKNOWN_REPORTED_MAX);
    return 0;
}

static void order_clear(order *o)
{
    for (size_t i = 0; i < order_n_fields; i++)
        if (order_fields[i].kind != OK_AMOUNT)
            free(*order_slot(o, &order_fields[i]));
}

void order_file_free(order_file *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++)
        order_clear(&f->orders[i]);
    free(f->orders);
    free(f->path);
    free(f);
}

/* Collect the text of one array element: up to the bracket that closes it, or for a bare
 * value up to the ',' or ']' after it. jansson judges the text; this only finds its end. */
static int read_element(reader *r, textbuf *t, sk_err *e)
{
    int depth = 0, c;
    bool in_str = false, esc = false;

    t->len = 0;
    for (;;) {
        c = rd_peek(r);
        if (c == EOF)
            break;
        if (!in_str && depth == 0 && (c == ',' || c == ']'))
            break;
        if (t->len >= ORDER_MAX_BYTES)
            break;
        rd_next(r);
        if (r->bytes > ORDER_FILE_MAX_BYTES)
            return sk_err_set(e, SK_EINPUT, "%s: grew beyond %u bytes while being read",
                              r->path, ORDER_FILE_MAX_BYTES);
        if (tb_add(t, (char)c) != 0)
            return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", r->path);
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                break;
        }
    }
    if (t->p == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: line %zu: no order text", r->path, r->line);
    t->p[t->len] = '\0';
    return SK_OK;
}

static const char *hint(const char *text)
{
    if (strstr(text, "decode byte") != NULL || strstr(text, "UTF-8") != NULL)
        return " (the file must be UTF-8; was it saved as GBK?)";
    return "";
}

static int parse_element(reader *r, const textbuf *t, size_t line0, size_t col0, size_t index,
                         json_t **out, sk_err *e)
{
    json_error_t jerr;
    size_t line, col;

    *out = json_loadb(t->p, t->len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (*out != NULL)
        return SK_OK;
    if (t->len >= ORDER_MAX_BYTES && jerr.position >= 0 && (size_t)jerr.position >= t->len)
        return sk_err_set(e, SK_EINPUT,
                          "%s: line %zu: order #%zu is larger than %u bytes (or a bracket "
                          "is never closed)",
                          r->path, line0, index, ORDER_MAX_BYTES);
    line = line0 + (jerr.line > 0 ? (size_t)jerr.line - 1 : 0);
    col = jerr.line <= 1 ? col0 + (size_t)(jerr.column > 0 ? jerr.column : 0)
                         : (size_t)(jerr.column > 0 ? jerr.column : 0);
    return sk_err_set(e, SK_EINPUT, "%s: line %zu column %zu: %s%s", r->path, line, col, jerr.text,
                      hint(jerr.text));
}

/* What the top level is when it is not an array, from its first byte. */
static const char *top_kind(int c)
{
    if (c == '{')
        return "an object (a single order?)";
    if (c == '"')
        return "a string";
    if (c == '-' || (c >= '0' && c <= '9'))
        return "a number";
    if (c == 't' || c == 'f' || c == 'n')
        return "a literal";
    return NULL;
}

enum stream_state { ST_START, ST_FIRST, ST_AFTER, ST_DONE };

struct order_stream {
    reader r;
    char *path;
    char *dir;         /* scan paths are resolved against it */
    struct stat at_open;
    enum stream_state state;
    size_t n;          /* orders returned so far */
    textbuf t;
    order cur;         /* the order last returned; the stream owns its strings */
};

/* The opening '[' (after an optional byte-order mark). */
static int stream_start(order_stream *s, sk_err *e)
{
    reader *r = &s->r;
    int c = rd_peek(r);
    char b[32];

    /* A byte-order mark from Windows editors: harmless, so skip it. */
    if (c == 0xEF) {
        rd_next(r);
        if (rd_next(r) != 0xBB || rd_next(r) != 0xBF)
            return rd_error(r, e, "not UTF-8 JSON: starts with a broken byte-order mark");
    }
    c = rd_skip_ws(r);
    if (c == EOF)
        return sk_err_set(e, SK_EINPUT, "%s: is empty; expected an array of orders", r->path);
    if (c != '[') {
        const char *k = top_kind(c);
        if (k != NULL)
            return rd_error(r, e, "the top level is %s; expected an array of orders [ {...}, ... ]",
                            k);
        return rd_error(r, e, "not JSON: %s where '[' should start the array of orders",
                        show_byte(c, b, sizeof(b)));
    }
    rd_next(r);
    s->state = ST_FIRST;
    return SK_OK;
}

/* After the closing ']': nothing but white space, and no read error. */
static int stream_end(order_stream *s, sk_err *e)
{
    char b[32];
    int c = rd_skip_ws(&s->r);

    if (c != EOF)
        return rd_error(&s->r, e, "%s after the end of the array of orders",
                        show_byte(c, b, sizeof(b)));
    if (ferror(s->r.fp))
        return sk_err_set(e, SK_EIO, "%s: read error", s->path);
    s->state = ST_DONE;
    return SK_OK;
}

/* Read and load the order that starts at the reader's position. */
static int stream_order(order_stream *s, sk_problems *probs, sk_err *e)
{
    reader *r = &s->r;
    json_t *v = NULL;
    size_t line0, col0;
    int ret, c = rd_skip_ws(r);
    char b[32];

    if (c == EOF || c == ',' || c == ']')
        return rd_error(r, e, "expected an order, found %s", show_byte(c, b, sizeof(b)));
    if (s->n >= ORDER_FILE_MAX_ORDERS)
        return rd_error(r, e, "more than %u orders; split the file", ORDER_FILE_MAX_ORDERS);
    line0 = r->line;
    col0 = r->col;
    if ((ret = read_element(r, &s->t, e)) != SK_OK ||
        (ret = parse_element(r, &s->t, line0, col0, s->n + 1, &v, e)) != SK_OK)
        goto out;
    order_clear(&s->cur);
    memset(&s->cur, 0, sizeof(s->cur));
    s->cur.index = ++s->n;
    s->cur.line = line0;
    if (load_order(&s->cur, v, s->dir, probs) != 0) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", s->path);
        goto out;
    }
    s->state = ST_AFTER;
    ret = SK_OK;
out:
    json_decref(v);
    return ret;
}

int order_stream_next(order_stream *s, const order **o, sk_problems *probs, sk_err *e)
{
    int ret = SK_OK, c;
    char b[32];

    *o = NULL;
    if (s->state == ST_START && (ret = stream_start(s, e)) != SK_OK)
        return ret;
    if (s->state == ST_DONE)
        return SK_OK;
    c = rd_skip_ws(&s->r);
    if (c == ']' && (s->state == ST_FIRST || s->state == ST_AFTER)) {
        rd_next(&s->r);
        return stream_end(s, e);
    }
    if (s->state == ST_AFTER) {
        if (c != ',')
            return rd_error(&s->r, e, "expected ',' or ']' after order #%zu, found %s", s->n,
                            show_byte(c, b, sizeof(b)));
        rd_next(&s->r);
    }
    if ((ret = stream_order(s, probs, e)) != SK_OK)
        return ret;
    *o = &s->cur;
    return SK_OK;
}

int order_stream_open(const char *path, order_stream **out, sk_err *e)
{
    int ret = SK_EIO;
    order_stream *s = NULL;
    const char *slash;
    int fd = -1;

    *out = NULL;
    if ((s = calloc(1, sizeof(*s))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", path);
    /* Not fopen: a FIFO given as the order file would block it forever. An order file
     * that cannot be opened (unreadable, say) is bad input, exit 3. */
    if ((ret = sk_file_open_regular(path, 0, &fd, &s->at_open, e)) != SK_OK) {
        if (ret == SK_EIO)
            e->code = ret = SK_EINPUT;
        goto out;
    }
    if ((s->r.fp = fdopen(fd, "rb")) == NULL) {
        ret = sk_err_set(e, SK_EIO, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if ((unsigned long long)s->at_open.st_size > ORDER_FILE_MAX_BYTES) {
        ret = sk_err_set(e, SK_EINPUT, "%s: file is %lld bytes, the limit is %u; split it", path,
                         (long long)s->at_open.st_size, ORDER_FILE_MAX_BYTES);
        goto out;
    }
    slash = strrchr(path, '/');
    s->dir = slash == NULL   ? strdup(".")
             : slash == path ? strdup("/")
                             : strndup(path, (size_t)(slash - path));
    s->path = strdup(path);
    if (s->dir == NULL || s->path == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", path);
        goto out;
    }
    s->r = (reader){s->r.fp, s->path, 1, 0, 0, NO_PEEK};
    *out = s;
    s = NULL;
    ret = SK_OK;
out:
    if (fd >= 0)
        close(fd);
    order_stream_close(s);
    return ret;
}

int order_stream_rewind(order_stream *s, sk_err *e)
{
    struct stat now;

    /* A second pass must read what the first one checked. */
    if (fstat(fileno(s->r.fp), &now) != 0 || now.st_size != s->at_open.st_size ||
        now.st_mtim.tv_sec != s->at_open.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != s->at_open.st_mtim.tv_nsec)
        return sk_err_set(e, SK_EINPUT, "%s: changed while being read; run again", s->path);
    if (fseek(s->r.fp, 0, SEEK_SET) != 0)
        return sk_err_set(e, SK_EIO, "%s: cannot rewind: %s", s->path, strerror(errno));
    clearerr(s->r.fp);
    s->r = (reader){s->r.fp, s->path, 1, 0, 0, NO_PEEK};
    s->state = ST_START;
    s->n = 0;
    return SK_OK;
}

void order_stream_close_in_child(order_stream *s)
{
    if (s == NULL)
        return;
    /* The FILE itself is left to the process exit; with its descriptor gone, no sync at exit
     * (valgrind's libc cleanup does one) can reach the shared offset either. */
    if (s->r.fp != NULL)
        close(fileno(s->r.fp));
    s->r.fp = NULL;
    order_stream_close(s);
}

const char *order_stream_path(const order_stream *s)
{
    return s->path;
}

void order_stream_close(order_stream *s)
{
    if (s == NULL)
        return;
    order_clear(&s->cur);
    if (s->r.fp != NULL)
        fclose(s->r.fp);
    free(s->t.p);
    free(s->dir);
    free(s->path);
    free(s);
}

int order_file_load(const char *path, order_file **out, sk_problems *probs, sk_err *e)
{
    int ret;
    order_stream *s = NULL;
    order_file *f = NULL;
    const order *o = NULL;
    size_t cap = 0;

    *out = NULL;
    if ((ret = order_stream_open(path, &s, e)) != SK_OK)
        goto out;
    f = calloc(1, sizeof(*f));
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", path);
        goto out;
    }
    while ((ret = order_stream_next(s, &o, probs, e)) == SK_OK && o != NULL) {
        if (f->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            order *p = realloc(f->orders, ncap * sizeof(*p));
            if (p == NULL) {
                ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", path);
                goto out;
            }
            f->orders = p;
            cap = ncap;
        }
        /* The file takes the order's strings over from the stream. */
        f->orders[f->n++] = s->cur;
        memset(&s->cur, 0, sizeof(s->cur));
    }
    if (ret != SK_OK)
        goto out;
    *out = f;
    f = NULL;
out:
    order_file_free(f);
    order_stream_close(s);
    return ret;
}

const order *order_file_find(const order_file *f, const char *number)
{
    if (f == NULL || number == NULL)
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        if (f->orders[i].number != NULL && strcmp(f->orders[i].number, number) == 0)
            return &f->orders[i];
    return NULL;
}

void order_label(const order *o, char *buf, size_t buflen)
{
    if (o->number != NULL && order_number_valid(o->number, NULL, 0))
        snprintf(buf, buflen, "%s", o->number);
    else if (o->index > 0)
        snprintf(buf, buflen, "#%zu", o->index);
    else
        snprintf(buf, buflen, "(without a number)");
}
