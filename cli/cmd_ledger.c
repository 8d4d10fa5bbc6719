/* sealkey ledger init|migrate|version|export|import|audit-verify|reconcile|backup. */
#include "cli/cmd_ledger.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "issuer/operations/operations.h"
#include "util/sk_file.h"

#define IMPORT_MAX ((size_t)1 << 30)

static const char usage[] =
    "sealkey ledger <command> [--station DIR] [--ledger LOCATION] [options]\n"
    "  The ledger is the station's (station.json \"ledger\": a SQLite file, or\n"
    "  postgresql://user@host:port/db for a ledger shared by several stations; the password\n"
    "  comes from PGPASSFILE or a service file, never from the URI), or --ledger LOCATION.\n"
    "  init          create the schema of a new ledger (a shared one must be created first)\n"
    "  migrate       bring the ledger's schema to this sealkey's version\n"
    "  version       show the backend and the schema version\n"
    "  export [--out FILE]\n"
    "                write the station's whole ledger and audit log as JSON (to stdout)\n"
    "  import --from FILE [--origin STATION_ID]\n"
    "                add an export to the station's shared ledger, in one transaction;\n"
    "                issuances get new ids and keep the old ones as STATION_ID:ID\n"
    "  audit-verify  check the audit chain of every station on the shared ledger\n"
    "  backup --to DIR|FILE.tar [--json]\n"
    "                a consistent copy of the station while stations run: the SQLite ledger\n"
    "                (SQLite's online backup), audit.log and audit.head taken with it, the CA\n"
    "                directory and station.json, into DIR, a new directory (0700, files 0600),\n"
    "                or FILE.tar, a new tar archive (0600) of such a directory; either\n"
    "                appears only when complete; never the secret files or out/. A shared\n"
    "                ledger is backed up with pg_dump (docs/ledger.md, \"Backups\"); --json:\n"
    "                {\"to\", \"archive\", \"ledger\", \"audit_log\", \"ca_files\"} on standard\n"
    "                output\n"
    "  reconcile [--json] [--no-tokens]\n"
    "                check that every certificate ever signed is live on one verified\n"
    "                issuance or revoked, no order or token has two live ones, no issuance\n"
    "                was left interrupted, every token present with an order label or one of\n"
    "                the CA's certificates is the ledger's, and the audit log ends where the\n"
    "                ledger says; one line per violation (order, serial, token), exit 1 on\n"
    "                any; --no-tokens leaves the token module alone";

struct ledger_args {
    const struct verb *verb;
    const char *out, *from, *origin, *to;
    cli_output output;
    bool json, no_tokens;
};

struct verb {
    const char *name;
    unsigned needs;
    int (*run)(cli_ctx *c, const struct ledger_args *a, sk_err *e);
};

/* The location init, migrate and version work on: --ledger as given, else the station's. */
static int location(const cli_ctx *c, char *buf, size_t len, sk_err *e)
{
    if (c->ledger_opt != NULL) {
        snprintf(buf, len, "%s", c->ledger_opt);
        return SK_OK;
    }
    return station_path(c->st, c->st->ledger, buf, len, e);
}

static int run_init(cli_ctx *c, const struct ledger_args *a, sk_err *e)
{
    char where[PATH_MAX];
    int ret, version = 0;

    (void)a;
    if ((ret = location(c, where, sizeof(where), e)) == SK_OK &&
        (ret = ledger_init(where, &version, e)) == SK_OK)
        printf("ledger %s: created, schema version %d\n", where, version);
    return ret;
}

static int run_migrate(cli_ctx *c, const struct ledger_args *a, sk_err *e)
{
    char where[PATH_MAX], bak[PATH_MAX + 32];
    int ret, from = 0, to = 0;

    (void)a;
    if ((ret = location(c, where, sizeof(where), e)) != SK_OK ||
        (ret = ledger_migrate(where, &from, &to, e)) != SK_OK)
        return ret;
    if (from == to)
        printf("ledger %s: schema version %d, nothing to do\n", where, to);
    else
        printf("ledger %s: migrated from schema version %d to %d\n", where, from, to);
    if (from != to && from > 0 && !ledger_is_shared(where) &&
        ledger_migration_backup_path(where, from, bak, sizeof(bak), e) == SK_OK)
        printf("ledger %s: the version %d ledger is kept in %s\n", where, from, bak);
    return SK_OK;
}

static int run_version(cli_ctx *c, const struct ledger_args *a, sk_err *e)
{
    char where[PATH_MAX];
    ledger *l = NULL;
    int ret, version = 0;

    (void)a;
    if ((ret = location(c, where, sizeof(where), e)) == SK_OK &&
        (ret = ledger_open(where, &l, e)) == SK_OK &&
        (ret = ledger_schema_version(l, &version, e)) == SK_OK)
        printf("ledger %s: %s, schema version %d (this sealkey: %d)\n", where,
               ledger_backend_name(l), version, ledger_schema_latest());
    ledger_free(l);
    return ret;
}

static int run_export(cli_ctx *c, const struct ledger_args *a, sk_err *e)
{
    op_env env = CLI_OP_ENV(c);
    op_export_result r;
    char *text = NULL;
    int ret = op_ledger_export(&env, a->out, &text, &r, e);

    if (ret == SK_OK && text != NULL &&
        (fputs(text, stdout) == EOF || putchar('\n') == EOF))
        ret = sk_err_set(e, SK_EIO, "stdout: write failed");
    if (ret == SK_OK)
        fprintf(stderr, "exported %s: %zu issuances, %zu audit records of station %s\n",
                c->ledger_where, r.issuances, r.audit_records, c->st->station_id);
    free(text);
    return ret;
}

static int run_import(cli_ctx *c, const struct ledger_args *a, sk_err *e)
{
    char where[PATH_MAX];
    ledger *l = NULL;
    audit_sink *audit = NULL;
    unsigned char *data = NULL;
    size_t len = 0, n = 0, stations = 0;
    json_t *doc = NULL;
    const char *origin = a->origin;
    ledger_import_counts counts;
    int ret;

    if ((ret = station_path(c->st, c->ledger_opt != NULL ? c->ledger_opt : c->st->ledger,
                            where, sizeof(where), e)) != SK_OK)
        goto out;
    if (!ledger_is_shared(where)) {
        ret = sk_err_set(e, SK_ESTATE, "ledger %s is not a shared ledger; set station.json "
                         "\"ledger\" to its postgresql:// URI first", where);
        goto out;
    }
    if ((ret = sk_file_read(a->from, IMPORT_MAX, &data, &len, e)) != SK_OK)
        goto out;
    if (origin == NULL) {
        doc = json_loadb((const char *)data, len, 0, NULL);
        origin = json_string_value(json_object_get(doc, "station"));
    }
    if (origin == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: no \"station\"; give --origin STATION_ID", a->from);
        goto out;
    }
    if ((ret = ledger_open(where, &l, e)) != SK_OK ||
        (ret = ledger_import(l, (const char *)data, len, origin, &counts, e)) != SK_OK)
        goto out;
    printf("imported %s into %s: %zu issuances, %zu steps, %zu serials, %zu seals, %zu CRL "
           "numbers, %zu audit records\n", a->from, where, counts.issuances, counts.steps,
           counts.serials, counts.seals, counts.crls, counts.audit_records);
    /* The imported chain must check out where it now lives (its chains alone: the station's
     * sink without the ledger). */
    if ((ret = audit_sink_open_station(c->st, NULL, NULL, &audit, e)) != SK_OK ||
        (ret = audit_verify_all(audit, &n, &stations, e)) != SK_OK)
        goto out;
    printf("audit log: %zu records of %zu stations, chains intact\n", n, stations);
out:
    audit_sink_free(audit);
    json_decref(doc);
    free(data);
    ledger_free(l);
    return ret;
}

static int run_audit_verify(cli_ctx *c, const struct ledger_args *a, sk_err *e)
{
    size_t n = 0, stations = 0;
    int ret = audit_verify_all(c->audit, &n, &stations, e);

    (void)a;
    if (ret == SK_OK)
        printf("audit log of %s: %zu records of %zu stations, chains intact\n",
               audit_sink_shared(c->audit) ? c->ledger_where : c->st->dir, n, stations);
    return ret;
}

static int run_backup(cli_ctx *c, const struct ledger_args *a, sk_err *e)
{
    op_env env = CLI_OP_ENV(c);
    op_backup_result r;
    int ret = op_backup(&env, a->to, &r, e);

    if (ret != SK_OK)
        return ret;
    if (a->json)
        /* ledger null: a shared ledger, not copied (pg_dump). */
        return cli_json_print(json_pack("{s:s, s:b, s:s?, s:b, s:I, s:b}", "to", a->to,
                                        "archive", r.archive, "ledger",
                                        r.ledger_copied ? r.ledger_name : NULL, "audit_log",
                                        r.audit_copied, "ca_files", (json_int_t)r.ca_files,
                                        "station_json", 1),
                              e);
    if (r.ledger_copied)
        printf("backup %s: ledger %s, ", a->to, r.ledger_name);
    else
        printf("backup %s: (shared ledger %s not copied: back it up with pg_dump), ", a->to,
               c->ledger_where);
    printf("%s, CA directory (%zu files), station.json\n",
           r.audit_copied ? "audit.log and audit.head" : "no audit log (in the shared ledger)",
           r.ca_files);
    return SK_OK;
}

static int run_reconcile(cli_ctx *c, const struct ledger_args *a, sk_err *e)
{
    return cmd_ledger_reconcile(c, a->json, !a->no_tokens, e);
}

/* init, migrate and version take the station only without --ledger (want_station). */
static const struct verb verbs[] = {
    {"init", CLI_STATION_IF_ASKED, run_init},
    {"migrate", CLI_STATION_IF_ASKED, run_migrate},
    {"version", CLI_STATION_IF_ASKED, run_version},
    {"export", CLI_STATION | CLI_LEDGER, run_export},
    {"import", CLI_STATION, run_import},
    {"audit-verify", CLI_STATION | CLI_LEDGER, run_audit_verify},
    {"reconcile", CLI_STATION | CLI_LEDGER, run_reconcile},
    {"backup", CLI_STATION | CLI_LEDGER, run_backup},
};

int cmd_ledger_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'}, {"ledger", required_argument, NULL, 'l'},
        {"out", required_argument, NULL, 'o'},     {"from", required_argument, NULL, 'f'},
        {"origin", required_argument, NULL, 'g'},  {"help", no_argument, NULL, 'h'},
        CLI_OPT_JSON_ROW,                          {"no-tokens", no_argument, NULL, 'T'},
        {"to", required_argument, NULL, 't'},      {NULL, 0, NULL, 0}};
    struct ledger_args *a = cli_args(cx, sizeof(*a), NULL);
    const char *cmd;
    int c;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': cx->station_opt = optarg; break;
        case 'l': cx->ledger_opt = optarg; break;
        case 'o': a->out = optarg; break;
        case 'f': a->from = optarg; break;
        case 'g': a->origin = optarg; break;
        CLI_OUTPUT_CASES: cli_output_set(&a->output, c); break;
        case 'T': a->no_tokens = true; break;
        case 't': a->to = optarg; break;
        case 'h': printf("usage: %s\n", usage); return CLI_DONE;
        default: return cli_usage_error(usage, "ledger: bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(usage, "ledger: one command expected");
    cmd = argv[optind];
    if (cli_output_check(&a->output, CLI_FMT_TEXT, usage, "ledger") != SK_OK)
        return SK_EUSAGE;
    a->json = a->output.format == CLI_FMT_JSON;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(cmd, verbs[i].name) == 0)
            a->verb = &verbs[i];
    if (a->verb == NULL)
        return cli_usage_error(usage, "ledger: unknown command '%s'", cmd);
    if (strcmp(cmd, "import") != 0 && (a->from != NULL || a->origin != NULL))
        return cli_usage_error(usage, "ledger %s: --from and --origin are for import", cmd);
    if (strcmp(cmd, "import") == 0 && a->from == NULL)
        return cli_usage_error(usage, "ledger import: --from FILE is required");
    if (a->out != NULL && strcmp(cmd, "export") != 0)
        return cli_usage_error(usage, "ledger %s: --out is for export", cmd);
    if ((a->no_tokens && strcmp(cmd, "reconcile") != 0) ||
        (a->json && strcmp(cmd, "reconcile") != 0 && strcmp(cmd, "backup") != 0))
        return cli_usage_error(usage, "ledger %s: --json and --no-tokens are for reconcile "
                               "(--json also for backup)", cmd);
    if ((a->to != NULL) != (strcmp(cmd, "backup") == 0))
        return cli_usage_error(usage, "ledger %s: --to DIR|FILE.tar is for backup, and backup "
                               "needs it", cmd);
    if (strcmp(cmd, "backup") == 0 && cx->ledger_opt != NULL)
        return cli_usage_error(usage, "ledger backup: copies the station's own ledger, not "
                               "--ledger");
    if (strcmp(cmd, "reconcile") == 0 && cx->ledger_opt != NULL)
        return cli_usage_error(usage, "ledger reconcile: checks the station's own ledger, "
                               "not --ledger");
    cx->needs = a->verb->needs;
    cx->want_station = cx->ledger_opt == NULL;
    return SK_OK;
}

int cmd_ledger_run(cli_ctx *c, sk_err *e)
{
    const struct ledger_args *a = c->args;

    return a->verb->run(c, a, e);
}
