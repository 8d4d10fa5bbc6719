/* Template descriptions: templates/<name>.json -> form_template. Layout is data so that staff
 * can move a field or reword a line without a rebuild; the loader is strict so that a typo in
 * a key or a position off the page is reported, not silently ignored. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "templates/form_int.h"
#include "util/sk_datadir.h"
#include "util/sk_file.h"

#define TEMPLATE_MAX_BYTES (256u * 1024)
#define TEMPLATE_MAX_PAGES 8
#define TEMPLATE_MAX_ITEMS 400

const char *form_template_dir(const char *opt)
{
    const char *env;

    if (opt != NULL && opt[0] != '\0')
        return opt;
    env = getenv("SEALKEY_TEMPLATES");
    if (env != NULL && env[0] != '\0')
        return env;
    return NULL;
}

const char *form_template_id(const form_template *t)
{
    return t->id;
}

static void item_free(form_item *it)
{
    free(it->text);
    free(it->label);
    free(it->cond_if);
    free(it->cond_unless);
}

void form_template_free(form_template *t)
{
    if (t == NULL)
        return;
    for (size_t p = 0; p < t->n_pages; p++) {
        for (size_t i = 0; i < t->pages[p].n; i++)
            item_free(&t->pages[p].items[i]);
        free(t->pages[p].items);
    }
    free(t->pages);
    free(t->path);
    free(t->name);
    free(t->title);
    free(t);
}

static const struct {
    const char *name;
    form_item_type type;
} item_types[] = {
    {"text", FORM_IT_TEXT}, {"paragraph", FORM_IT_PARA}, {"field", FORM_IT_FIELD},
    {"line", FORM_IT_LINE}, {"rect", FORM_IT_RECT},      {"qr", FORM_IT_QR},
    {"mark", FORM_IT_MARK}, {"seal_box", FORM_IT_SEAL_BOX},
};

/* Numeric keys: where they go and their range. */
enum {
    K_X, K_Y, K_W, K_H, K_X2, K_Y2, K_SIZE, K_WIDTH, K_GRAY, K_DASH, K_LABEL_W, K_LEADING,
    K_INDENT
};
static const struct {
    const char *name;
    double lo, hi;
} num_keys[] = {
    {"x", 0, FORM_PAGE_W_MM},  {"y", 0, FORM_PAGE_H_MM},    {"w", 0, FORM_PAGE_W_MM},
    {"h", 0, FORM_PAGE_H_MM},  {"x2", 0, FORM_PAGE_W_MM},   {"y2", 0, FORM_PAGE_H_MM},
    {"size", 1, 72},           {"width", 0.05, 10},         {"gray", 0, 1},
    {"dash", 0, 20},           {"label_w", 0, FORM_PAGE_W_MM}, {"leading", 1, 50},
    {"indent", 0, 50},
};

static double *num_slot(form_item *it, int k)
{
    double *slots[] = {&it->x,    &it->y,     &it->w,    &it->h,       &it->x2,      &it->y2,
                       &it->size, &it->width, &it->gray, &it->dash,    &it->label_w, &it->leading,
                       &it->indent};
    return slots[k];
}

static int dup_str(json_t *j, char **out, const char *where, const char *key, sk_err *e)
{
    if (!json_is_string(j))
        return sk_err_set(e, SK_EINPUT, "%s: %s must be a string", where, key);
    if ((*out = strdup(json_string_value(j))) == NULL)
        return sk_err_set(e, SK_EINTERNAL, "%s: out of memory", where);
    return SK_OK;
}

static int parse_item(json_t *j, form_item *it, const char *where, sk_err *e)
{
    const char *key, *s;
    json_t *val, *type = json_object_get(j, "type");
    double left;
    size_t k;
    int ret;

    if (!json_is_object(j))
        return sk_err_set(e, SK_EINPUT, "%s: not an object", where);
    if (!json_is_string(type))
        return sk_err_set(e, SK_EINPUT, "%s: type missing", where);
    s = json_string_value(type);
    for (k = 0; k < sizeof(item_types) / sizeof(item_types[0]); k++)
        if (strcmp(s, item_types[k].name) == 0)
            break;
    if (k == sizeof(item_types) / sizeof(item_types[0]))
        return sk_err_set(e, SK_EINPUT, "%s: unknown type '%s'", where, s);
    it->type = item_types[k].type;
    it->size = it->type == FORM_IT_QR ? 25 : it->type == FORM_IT_MARK ? 6 : 10.5;
    it->width = 0.5;
    it->leading = 6;
    it->kind = PIC_OFFICIAL;

    json_object_foreach(j, key, val)
    {
        if (strcmp(key, "type") == 0)
            continue;
        for (k = 0; k < sizeof(num_keys) / sizeof(num_keys[0]); k++)
            if (strcmp(key, num_keys[k].name) == 0)
                break;
        if (k < sizeof(num_keys) / sizeof(num_keys[0])) {
            double d;
            if (!json_is_number(val))
                return sk_err_set(e, SK_EINPUT, "%s: %s must be a number", where, key);
            d = json_number_value(val);
            if (!(d >= num_keys[k].lo && d <= num_keys[k].hi))
                return sk_err_set(e, SK_EINPUT, "%s: %s %g is outside %g..%g", where, key, d,
                                  num_keys[k].lo, num_keys[k].hi);
            *num_slot(it, (int)k) = d;
        } else if (strcmp(key, "text") == 0) {
            if ((ret = dup_str(val, &it->text, where, key, e)) != SK_OK)
                return ret;
        } else if (strcmp(key, "label") == 0) {
            if ((ret = dup_str(val, &it->label, where, key, e)) != SK_OK)
                return ret;
        } else if (strcmp(key, "if") == 0) {
            if ((ret = dup_str(val, &it->cond_if, where, key, e)) != SK_OK)
                return ret;
        } else if (strcmp(key, "unless") == 0) {
            if ((ret = dup_str(val, &it->cond_unless, where, key, e)) != SK_OK)
                return ret;
        } else if (strcmp(key, "fill") == 0 || strcmp(key, "hei") == 0) {
            if (!json_is_boolean(val))
                return sk_err_set(e, SK_EINPUT, "%s: %s must be true or false", where, key);
            *(key[0] == 'f' ? &it->fill : &it->hei) = json_is_true(val);
        } else if (strcmp(key, "align") == 0) {
            s = json_is_string(val) ? json_string_value(val) : "";
            if (strcmp(s, "left") == 0)
                it->align = FORM_ALIGN_LEFT;
            else if (strcmp(s, "center") == 0)
                it->align = FORM_ALIGN_CENTER;
            else if (strcmp(s, "right") == 0)
                it->align = FORM_ALIGN_RIGHT;
            else
                return sk_err_set(e, SK_EINPUT, "%s: align must be left, center or right", where);
        } else if (strcmp(key, "kind") == 0) {
            s = json_is_string(val) ? json_string_value(val) : "";
            if (strcmp(s, "official") == 0)
                it->kind = PIC_OFFICIAL;
            else if (strcmp(s, "legal-rep") == 0)
                it->kind = PIC_LEGAL_REP;
            else
                return sk_err_set(e, SK_EINPUT, "%s: kind must be official or legal-rep", where);
        } else {
            return sk_err_set(e, SK_EINPUT, "%s: unknown key '%s'", where, key);
        }
    }
    if ((it->type == FORM_IT_TEXT || it->type == FORM_IT_PARA || it->type == FORM_IT_FIELD) &&
        it->text == NULL)
        return sk_err_set(e, SK_EINPUT, "%s: text missing", where);
    if ((it->type == FORM_IT_PARA || it->type == FORM_IT_FIELD || it->type == FORM_IT_RECT ||
         it->type == FORM_IT_SEAL_BOX) &&
        it->w <= 0)
        return sk_err_set(e, SK_EINPUT, "%s: w missing", where);
    if ((it->type == FORM_IT_FIELD || it->type == FORM_IT_RECT || it->type == FORM_IT_SEAL_BOX) &&
        it->h <= 0)
        return sk_err_set(e, SK_EINPUT, "%s: h missing", where);
    /* w is the room the text has: centred on x, or ending at x when right-aligned. */
    left = it->align == FORM_ALIGN_CENTER ? it->x - it->w / 2
         : it->align == FORM_ALIGN_RIGHT  ? it->x - it->w
                                          : it->x;
    if (left < -1e-9 || left + it->w > FORM_PAGE_W_MM + 1e-9 || it->y + it->h > FORM_PAGE_H_MM + 1e-9 ||
        ((it->type == FORM_IT_QR || it->type == FORM_IT_MARK) &&
         (it->x + it->size > FORM_PAGE_W_MM || it->y + it->size > FORM_PAGE_H_MM)))
        return sk_err_set(e, SK_EINPUT, "%s: reaches off the A4 page", where);
    return SK_OK;
}

int form_template_load(const char *dir, const char *name, form_template **out, sk_err *e)
{
    char path[4096], where[4200], installed[4096];
    unsigned char *data = NULL;
    size_t len = 0;
    json_t *root = NULL, *pages, *val;
    json_error_t je;
    form_template *t = NULL;
    const char *key;
    int ret, n;

    *out = NULL;
    for (const char *c = name; *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
            return sk_err_set(e, SK_EINPUT, "form '%s': names are a-z, 0-9, - and _", name);
    /* No directory given: the installed templates, found from the binary's place
     * (util/sk_datadir.h), so an installed sealkey never reads the source or build tree. */
    if (dir == NULL && (ret = sk_data_path("templates", installed, sizeof(installed), e)) != SK_OK)
        return ret;
    n = snprintf(path, sizeof(path), "%s/%s.json", dir != NULL ? dir : installed, name);
    if (n < 0 || (size_t)n >= sizeof(path) || name[0] == '\0')
        return sk_err_set(e, SK_EINPUT, "form template '%s': path too long", name);
    if ((ret = sk_file_read(path, TEMPLATE_MAX_BYTES, &data, &len, e)) != SK_OK)
        goto out;
    if ((root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        goto out;
    }
    if ((t = calloc(1, sizeof(*t))) == NULL || (t->path = strdup(path)) == NULL ||
        (t->name = strdup(name)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", path);
        goto out;
    }
    /* Every refusal below sets ret itself: a parsed item leaves ret at SK_OK, and a later
     * bad page must not return SK_OK without a template (found by fuzz_form_template). */
    if (!json_is_object(root)) {
        ret = sk_err_set(e, SK_EINPUT, "%s: not a JSON object", path);
        goto out;
    }
    t->version = 1;
    json_object_foreach(root, key, val)
    {
        if (strcmp(key, "version") == 0) {
            if (!json_is_integer(val) || json_integer_value(val) < 1 ||
                json_integer_value(val) > 999) {
                ret = sk_err_set(e, SK_EINPUT, "%s: version must be an integer 1..999", path);
                goto out;
            }
            t->version = (int)json_integer_value(val);
        } else if (strcmp(key, "title") == 0) {
            if ((ret = dup_str(val, &t->title, path, key, e)) != SK_OK)
                goto out;
        } else if (strcmp(key, "comment") != 0 && strcmp(key, "pages") != 0) {
            ret = sk_err_set(e, SK_EINPUT, "%s: unknown key '%s'", path, key);
            goto out;
        }
    }
    snprintf(t->id, sizeof(t->id), "%.50s.v%d", name, t->version);
    pages = json_object_get(root, "pages");
    if (!json_is_array(pages) || json_array_size(pages) == 0 ||
        json_array_size(pages) > TEMPLATE_MAX_PAGES) {
        ret = sk_err_set(e, SK_EINPUT, "%s: pages must be an array of 1..%d pages", path, TEMPLATE_MAX_PAGES);
        goto out;
    }
    if ((t->pages = calloc(json_array_size(pages), sizeof(*t->pages))) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", path);
        goto out;
    }
    for (size_t p = 0; p < json_array_size(pages); p++) {
        json_t *items = json_object_get(json_array_get(pages, p), "items");
        t->n_pages++;
        if (!json_is_object(json_array_get(pages, p)) || json_object_size(json_array_get(pages, p)) != 1 ||
            !json_is_array(items) || json_array_size(items) > TEMPLATE_MAX_ITEMS) {
            ret = sk_err_set(e, SK_EINPUT, "%s: page %zu must be {\"items\": [...]} of at most %d items",
                       path, p + 1, TEMPLATE_MAX_ITEMS);
            goto out;
        }
        if (json_array_size(items) > 0 &&
            (t->pages[p].items = calloc(json_array_size(items), sizeof(form_item))) == NULL) {
            ret = sk_err_set(e, SK_EINTERNAL, "%s: out of memory", path);
            goto out;
        }
        for (size_t i = 0; i < json_array_size(items); i++) {
            t->pages[p].n++;
            snprintf(where, sizeof(where), "%s: page %zu item %zu", path, p + 1, i + 1);
            if ((ret = parse_item(json_array_get(items, i), &t->pages[p].items[i], where, e)) !=
                SK_OK)
                goto out;
        }
    }
    *out = t;
    t = NULL;
    ret = SK_OK;
out:
    form_template_free(t);
    json_decref(root);
    free(data);
    return ret;
}
