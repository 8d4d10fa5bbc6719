/* sealkey order check: report every problem of an approved-order file at once, so a batch
 * is fixed in one round trip with the acceptance system rather than one error at a time. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "issuer/orders/order.h"
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
           CLI_HELP_JSON "                    (the report, instead of the summary)\n\n"
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

struct check_args {
    const char *file;
    cli_output out;
    bool as_json;
    order_file *f;
    sk_problems load_probs, probs;
};

static void check_args_free(void *p)
{
    struct check_args *a = p;

    order_file_free(a->f);
    sk_problems_free(&a->load_probs);
    sk_problems_free(&a->probs);
}

/* An explicit --station or $SEALKEY_STATION must load; the current directory is only used
 * when it is a station, so checking a file elsewhere needs no flag. */
static int want_station(const char *opt, bool none, bool *want)
{
    const char *dir = cli_station_dir(opt);
    const char *env = getenv("SEALKEY_STATION");
    char path[4096];
    sk_err e;

    *want = !none;
    if (none || opt != NULL || (env != NULL && env[0] != '\0'))
        return SK_OK;
    if (sk_path_join(path, sizeof(path), dir, "station.json", &e) != SK_OK)
        return cli_report(&e);
    if (!sk_file_exists(path)) {
        fprintf(stderr, "sealkey: no station.json in %s: project codes not checked "
                        "(give --station DIR, or --no-station to silence this)\n", dir);
        *want = false;
    }
    return SK_OK;
}

int cmd_order_check_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'}, {"no-station", no_argument, NULL, 'N'},
        CLI_OPT_JSON_ROW,                          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct check_args *a = cli_args(cx, sizeof(*a), check_args_free);
    bool no_station = false;
    int c;

    if (a == NULL)
        return SK_OK;
    sk_problems_init(&a->load_probs);
    sk_problems_init(&a->probs);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': cx->station_opt = optarg; break;
        case 'N': no_station = true; break;
        CLI_OUTPUT_CASES: cli_output_set(&a->out, c); break;
        case 'h': print_help(); return CLI_DONE;
        default:
            return cli_usage_error(usage_order, "order check: unknown option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(usage_order, "order check: give exactly one order file");
    if (cx->station_opt != NULL && no_station)
        return cli_usage_error(usage_order, "order check: --station and --no-station conflict");
    a->file = argv[optind];
    if (cli_output_check(&a->out, CLI_FMT_TEXT, usage_order, "order check") != SK_OK)
        return SK_EUSAGE;
    a->as_json = a->out.format == CLI_FMT_JSON;
    return want_station(cx->station_opt, no_station, &cx->want_station);
}

int cmd_order_check_run(cli_ctx *cx, sk_err *e)
{
    struct check_args *a = cx->args;
    const char *file = a->file;
    const char *station_id = cx->st != NULL ? cx->st->station_id : NULL;
    size_t bad_orders = 0, n_probs;
    int ret;

    if ((ret = order_file_load(file, &a->f, &a->load_probs, e)) != SK_OK) {
        if (a->as_json)
            print_json(file, station_id, NULL, &a->probs, 0, e);
        return ret;
    }
    n_probs = order_file_check(a->f, cx->st, &a->load_probs, &a->probs, &bad_orders);
    for (size_t i = 0; i < a->probs.n; i++)
        fprintf(stderr, "%s: %s\n", file, a->probs.items[i].text);
    if (a->as_json) {
        if ((ret = print_json(file, station_id, a->f, &a->probs, bad_orders, NULL)) != SK_OK) {
            fprintf(stderr, "sealkey: cannot write the JSON report\n");
            return ret;
        }
    } else if (n_probs == 0) {
        printf("%zu %s, 0 problems\n", a->f->n, plural(a->f->n, "order", "orders"));
    } else {
        printf("%zu %s, %zu %s in %zu %s\n", a->f->n, plural(a->f->n, "order", "orders"),
               n_probs, plural(n_probs, "problem", "problems"), bad_orders,
               plural(bad_orders, "order", "orders"));
    }
    return n_probs == 0 ? SK_OK : SK_EFAIL;
}

/* The group's own row: its help, and a missing or unknown verb ("check" has its row). */
int cmd_order(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage_order, "order: which subcommand? (check)");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        print_help();
        return SK_OK;
    }
    return cli_usage_error(usage_order, "order: '%s' is not a subcommand (check)", argv[1]);
}
