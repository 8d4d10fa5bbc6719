/* sealkey audit verify|show: check the audit log's chain, print its records. */
#include "cli/cmd_audit.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "issuer/records/audit.h"
#include "util/sk_name.h"
#include "issuer/records/ledger.h"
#include "util/sk_file.h"

static const char usage[] =
    "sealkey audit <verify|show> [options]\n"
    "  verify [--station DIR] [--json]\n"
    "         check every record's hash, the chain, audit.head and the anchor the station's\n"
    "         ledger keeps of the log: exit 0 with the count, 1 naming the first edited,\n"
    "         deleted, reordered or truncated record, or a log deleted with its head\n"
    "  show [--station DIR] [--order NUMBER]\n"
    "         print the records (of one order), checking the chain as it goes; control,\n"
    "         format and other invisible characters are escaped (\\n, \\u202e), and a field\n"
    "         with a space is quoted, so a record is always one line";

static const struct option opts[] = {
    {"station", required_argument, NULL, 's'}, {"order", required_argument, NULL, 'o'},
    CLI_OPT_JSON_ROW,                          {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

/* The station's log and the ledger it is held to: no ledger for a directory without
 * station.json (a bare log), nor for a SQLite ledger not created yet (a check creates
 * nothing). Only station.json's "ledger" and "station_id" are read, so that a log can be
 * checked whatever the rest of the configuration has come to. */
static int open_log(const char *dir, ledger **l, audit_sink **sink, sk_err *e)
{
    char path[PATH_MAX];
    json_t *j = NULL;
    json_error_t jerr;
    const char *where = NULL, *id = NULL;
    audit_place place = {.dir = dir};
    int ret;

    *l = NULL;
    *sink = NULL;
    if ((ret = sk_path_join(path, sizeof(path), dir, "station.json", e)) != SK_OK)
        return ret;
    if (sk_file_exists(path)) {
        if ((j = json_load_file(path, 0, &jerr)) == NULL)
            return sk_err_set(e, SK_EINPUT, "%s: line %d: %s", path, jerr.line, jerr.text);
        where = json_string_value(json_object_get(j, "ledger"));
        if (where == NULL)
            where = "ledger.sqlite"; /* station.json's default (docs/station.md) */
        id = json_string_value(json_object_get(j, "station_id"));
        /* A file log's anchor in the ledger is kept under the station id too. */
        if (id != NULL && strlen(id) <= AUDIT_FIELD_MAX)
            place.station_id = id;
        if (strstr(where, "://") != NULL) {
            place.shared_uri = where;
            if (strlen(where) >= 1024 || id == NULL || strlen(id) > AUDIT_FIELD_MAX) {
                ret = sk_err_set(e, SK_EINPUT, "%s: ledger or station_id missing or too long",
                                 path);
                goto out;
            }
        }
        if (ledger_is_shared(where))
            ret = ledger_open(where, l, e);
        else if ((ret = sk_path_join(path, sizeof(path), dir, where, e)) == SK_OK &&
                 sk_file_exists(path))
            ret = ledger_open(path, l, e);
        if (ret != SK_OK)
            goto out;
    }
    ret = audit_sink_open(&place, *l, NULL, sink, e);
out:
    json_decref(j);
    return ret;
}

static void close_log(ledger *l, audit_sink *sink)
{
    audit_sink_free(sink);
    ledger_free(l);
}

static int verify(const char *dir, bool as_json)
{
    size_t n = 0;
    unsigned long long anchor = 0;
    ledger *l = NULL;
    audit_sink *sink = NULL;
    bool shared;
    sk_err e;
    int ret;

    sk_err_clear(&e);
    if ((ret = open_log(dir, &l, &sink, &e)) != SK_OK) {
        close_log(l, sink);
        return cli_report(&e);
    }
    ret = audit_foreach(sink, NULL, NULL, &n, &anchor, &e);
    shared = audit_sink_shared(sink);
    close_log(l, sink);
    if (as_json) {
        sk_err pe;
        json_t *j = json_pack("{s:b, s:I, s:I, s:s}", "ok", ret == SK_OK, "records",
                              (json_int_t)n, "anchor", (json_int_t)anchor, "error",
                              ret == SK_OK ? "" : e.msg);

        sk_err_clear(&pe);
        if (cli_json_print(j, &pe) != SK_OK && ret == SK_OK)
            return cli_report(&pe);
    }
    if (ret != SK_OK)
        return cli_report(&e);
    if (!as_json && shared)
        printf("%s: %zu records in the shared ledger, chain intact, matches its head\n", dir, n);
    else if (!as_json && anchor > 0)
        printf("%s/%s: %zu records, chain intact, matches %s and the ledger's anchor (record "
               "%llu)\n", dir, AUDIT_LOG_NAME, n, AUDIT_HEAD_NAME, anchor);
    else if (!as_json)
        printf("%s/%s: %zu records, chain intact, matches %s\n", dir, AUDIT_LOG_NAME, n,
               AUDIT_HEAD_NAME);
    return SK_OK;
}

/* One field of a record, made safe to print: whatever a log holds (an old one may have an
 * operator name with a line break, a bidi override), it cannot start a line or reorder this
 * one. A word field with a space or a quote is quoted, so it cannot pass for two fields. */
static int put_field(const char *pre, const char *v, bool word)
{
    char *safe = sk_name_escape(v);

    if (safe == NULL)
        return -1;
    if (word && (safe[0] == '\0' || strpbrk(safe, " \"") != NULL)) {
        printf("%s\"", pre);
        for (const char *p = safe; *p != '\0'; p++) {
            if (*p == '"')
                putchar('\\');
            putchar(*p);
        }
        putchar('"');
    } else {
        printf("%s%s", pre, safe);
    }
    free(safe);
    return 0;
}

/* A field shown only when set, as " name=value". */
static int opt_field(const char *name, const char *v)
{
    char pre[16];

    if (v == NULL || v[0] == '\0')
        return 0;
    snprintf(pre, sizeof(pre), " %s=", name);
    return put_field(pre, v, true);
}

static int show_one(const audit_record *r, void *arg)
{
    const char *order = arg;
    const char *words[] = {r->time, r->station, r->operator_name, r->event, r->result};
    int bad = 0;

    if (order != NULL && strcmp(order, r->order) != 0)
        return 0;
    printf("#%llu", r->seq);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        bad |= put_field(" ", words[i], true);
    bad |= opt_field("order", r->order);
    bad |= opt_field("token", r->token_serial);
    bad |= opt_field("cert", r->cert_serial);
    /* The detail runs to the end of the line: escaped, never quoted. */
    if (r->detail[0] != '\0')
        bad |= put_field(" -- ", r->detail, false);
    printf("\n");
    return bad != 0 ? SK_EINTERNAL : 0;
}

static int show(const char *dir, const char *order)
{
    size_t n = 0;
    ledger *l = NULL;
    audit_sink *sink = NULL;
    sk_err e;
    int ret;

    sk_err_clear(&e);
    if ((ret = open_log(dir, &l, &sink, &e)) == SK_OK)
        ret = audit_foreach(sink, show_one, (void *)order, &n, NULL, &e);
    close_log(l, sink);
    fflush(stdout);
    return ret == SK_OK ? SK_OK : cli_report(&e);
}

int cmd_audit(int argc, char **argv)
{
    const char *station = NULL, *order = NULL, *verb;
    cli_output out = {0};
    bool as_json;
    int c;

    if (argc < 2)
        return cli_usage_error(usage, "audit: verify or show?");
    verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        printf("usage: %s\n", usage);
        return SK_OK;
    }
    if (strcmp(verb, "verify") != 0 && strcmp(verb, "show") != 0)
        return cli_usage_error(usage, "audit: '%s' is not an audit command", verb);
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': station = optarg; break;
        case 'o': order = optarg; break;
        CLI_OUTPUT_CASES: cli_output_set(&out, c); break;
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "audit %s: bad option", verb);
        }
    }
    if (optind != argc - 1)
        return cli_usage_error(usage, "audit %s: unexpected argument '%s'", verb, argv[optind + 1]);
    if (cli_output_check(&out, CLI_FMT_TEXT, usage, "audit") != SK_OK)
        return SK_EUSAGE;
    as_json = out.format == CLI_FMT_JSON;
    if (strcmp(verb, "verify") == 0) {
        if (order != NULL)
            return cli_usage_error(usage, "audit verify: --order is for show");
        return verify(cli_station_dir(station), as_json);
    }
    if (as_json)
        return cli_usage_error(usage, "audit show: --json is for verify");
    return show(cli_station_dir(station), order);
}
