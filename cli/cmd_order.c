/* sealkey order check: report every problem of an approved-order file at once, so a batch
 * is fixed in one round trip with the acceptance system rather than one error at a time. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "issuer/orders/order.h"
#include "issuer/station/station.h"
#include "util/sk_file.h"

static const char usage_order[] = "sealkey order check FILE [--station DIR | --no-station] [--json]";

static void print_help(void)
{
    printf("usage: %s\n\n"
           "Check an approved-order file (docs/orders.md) and report every problem, one per\n"
           "line on stderr, then a one-line summary.\n\n"
           "  --station DIR  station directory whose station.json lists the project codes\n"
           "                 (default $SEALKEY_STATION, else the current directory if it has\n"
           "                 a station.json)\n"
           "  --no-station   do not check project codes against a station\n"
           "  --json         print a JSON report on stdout instead of the summary\n\n"
           "exit status: 0 no problems, 1 problems found, 3 the file cannot be read as orders\n",
           usage_order);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* A problem for scripts: the order apart ("order": null for one of the whole file), the
 * message the text goes on with after "order LABEL: ", and the field and kind of problem.
 * A text cut at its length limit may end inside a UTF-8 character, which JSON strings may
 * not, so such a tail is dropped. */
static json_t *problem_json(const sk_problem *p)
{
    const char *msg = p->text;
    size_t n = strlen(msg), k = n, skip = 0;

    while (k > 0 && ((unsigned char)msg[k - 1] & 0xC0) == 0x80 && n - k < 3)
        k--;
    if (k > 0 && (unsigned char)msg[k - 1] >= 0xC0) {
        unsigned char lead = (unsigned char)msg[k - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (n - (k - 1) < need)
            n = k - 1;
    }
    if (p->order[0] != '\0')
        skip = strlen("order ") + strlen(p->order) + strlen(": ");
    if (skip == 0 || skip > n)
        return json_pack("{s:n,s:s%,s:s?,s:s}", "order", "message", msg, n, "field",
                         p->field[0] != '\0' ? p->field : NULL, "code",
                         sk_problem_code_name(p->code));
    return json_pack("{s:s,s:s%,s:s?,s:s}", "order", p->order, "message", msg + skip, n - skip,
                     "field", p->field[0] != '\0' ? p->field : NULL, "code",
                     sk_problem_code_name(p->code));
}

static int print_json(const char *file, const char *station_id, const order_file *f,
                      const sk_problems *probs, size_t bad_orders, const sk_err *fatal)
{
    json_t *root = NULL, *arr = NULL;
    int ret = SK_EINTERNAL;

    arr = json_array();
    if (arr == NULL)
        goto out;
    for (size_t i = 0; i < probs->n; i++)
        if (json_array_append_new(arr, problem_json(&probs->items[i])) != 0)
            goto out;
    root = json_pack("{s:s,s:s?,s:I,s:I,s:I,s:O,s:s?}", "file", file, "station", station_id,
                     "orders", (json_int_t)(f != NULL ? f->n : 0), "problem_count",
                     (json_int_t)probs->n, "orders_with_problems", (json_int_t)bad_orders,
                     "problems", arr, "error", fatal != NULL ? fatal->msg : NULL);
    if (root == NULL)
        goto out;
    if (json_dumpf(root, stdout, JSON_INDENT(2)) != 0 ||
        fputc('\n', stdout) == EOF)
        goto out;
    ret = SK_OK;
out:
    json_decref(root);
    json_decref(arr);
    return ret;
}

/* An explicit --station or $SEALKEY_STATION must load; the current directory is only used
 * when it is a station, so checking a file elsewhere needs no flag. */
static int load_station(const char *opt, bool none, station_config **st, sk_err *e)
{
    const char *dir = cli_station_dir(opt);
    const char *env = getenv("SEALKEY_STATION");
    char path[4096];

    *st = NULL;
    if (none)
        return SK_OK;
    if (opt == NULL && (env == NULL || env[0] == '\0')) {
        if (sk_path_join(path, sizeof(path), dir, "station.json", e) != SK_OK)
            return e->code;
        if (!sk_file_exists(path)) {
            fprintf(stderr, "sealkey: no station.json in %s: project codes not checked "
                            "(give --station DIR, or --no-station to silence this)\n", dir);
            return SK_OK;
        }
    }
    return station_load(dir, st, e);
}

static int order_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'}, {"no-station", no_argument, NULL, 'N'},
        {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *station_opt = NULL, *file;
    bool no_station = false, as_json = false;
    station_config *st = NULL;
    order_file *f = NULL;
    sk_problems load_probs, probs;
    sk_err e;
    size_t bad_orders = 0, n_probs;
    int c, ret;

    sk_problems_init(&load_probs);
    sk_problems_init(&probs);
    sk_err_clear(&e);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': station_opt = optarg; break;
        case 'N': no_station = true; break;
        case 'j': as_json = true; break;
        case 'h': print_help(); ret = SK_OK; goto out;
        default:
            ret = cli_usage_error(usage_order, "order check: unknown option '%s'",
                                  argv[optind - 1]);
            goto out;
        }
    }
    if (optind + 1 != argc) {
        ret = cli_usage_error(usage_order, "order check: give exactly one order file");
        goto out;
    }
    if (station_opt != NULL && no_station) {
        ret = cli_usage_error(usage_order, "order check: --station and --no-station conflict");
        goto out;
    }
    file = argv[optind];
    ret = load_station(station_opt, no_station, &st, &e);
    if (ret != SK_OK) {
        ret = cli_report(&e);
        goto out;
    }
    ret = order_file_load(file, &f, &load_probs, &e);
    if (ret != SK_OK) {
        if (as_json)
            print_json(file, st != NULL ? st->station_id : NULL, NULL, &probs, 0, &e);
        ret = cli_report(&e);
        goto out;
    }
    n_probs = order_file_check(f, st, &load_probs, &probs, &bad_orders);
    for (size_t i = 0; i < probs.n; i++)
        fprintf(stderr, "%s: %s\n", file, probs.items[i].text);
    if (as_json) {
        ret = print_json(file, st != NULL ? st->station_id : NULL, f, &probs, bad_orders, NULL);
        if (ret != SK_OK) {
            fprintf(stderr, "sealkey: cannot write the JSON report\n");
            goto out;
        }
    } else if (n_probs == 0) {
        printf("%zu %s, 0 problems\n", f->n, plural(f->n, "order", "orders"));
    } else {
        printf("%zu %s, %zu %s in %zu %s\n", f->n, plural(f->n, "order", "orders"), n_probs,
               plural(n_probs, "problem", "problems"), bad_orders,
               plural(bad_orders, "order", "orders"));
    }
    ret = n_probs == 0 ? SK_OK : SK_EFAIL;
out:
    order_file_free(f);
    station_free(st);
    sk_problems_free(&load_probs);
    sk_problems_free(&probs);
    return ret;
}

int cmd_order(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage_order, "order: which subcommand? (check)");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        print_help();
        return SK_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return order_check(argc - 1, argv + 1);
    return cli_usage_error(usage_order, "order: '%s' is not a subcommand (check)", argv[1]);
}
