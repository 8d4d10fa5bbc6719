/* sealkey ledger init|migrate|version|export|import|audit-verify. */
#include "cli/cmd_ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "issuer/audit.h"
#include "issuer/ledger.h"
#include "issuer/station.h"
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
    "  reconcile [--json] [--no-tokens]\n"
    "                check that every certificate ever signed is live on one verified\n"
    "                issuance or revoked, no order or token has two live ones, no issuance\n"
    "                was left interrupted, every token present with an order label or one of\n"
    "                the CA's certificates is the ledger's, and the audit log ends where the\n"
    "                ledger says; one line per violation (order, serial, token), exit 1 on\n"
    "                any; --no-tokens leaves the token module alone";

struct args {
    const char *station, *ledger, *out, *from, *origin;
    bool json, no_tokens;
};

/* The ledger location: --ledger, else the station's. st is loaded when there is a station. */
static int location(const struct args *a, bool need_station, station_config **st, char *buf,
                    size_t len, sk_err *e)
{
    int ret;

    *st = NULL;
    if (a->ledger != NULL && !need_station) {
        snprintf(buf, len, "%s", a->ledger);
        return SK_OK;
    }
    if ((ret = station_load(cli_station_dir(a->station), st, e)) != SK_OK)
        return ret;
    return station_path(*st, a->ledger != NULL ? a->ledger : (*st)->ledger, buf, len, e);
}

static int add_line(void *arg, const char *line)
{
    return json_array_append_new(arg, json_string(line));
}

static int write_out(const char *path, const char *text, sk_err *e)
{
    size_t len = strlen(text);
    int fd;

    if (path == NULL) {
        if (fwrite(text, 1, len, stdout) != len || putchar('\n') == EOF)
            return sk_err_set(e, SK_EIO, "stdout: write failed");
        return SK_OK;
    }
    /* Certificates and the operators' names: private, and never over an existing file. */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return sk_err_set(e, SK_EIO, "%s: cannot create: %s", path, strerror(errno));
    if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
        int err = errno;
        close(fd);
        unlink(path);
        return sk_err_set(e, SK_EIO, "%s: write failed: %s", path, strerror(err));
    }
    close(fd);
    return SK_OK;
}

static int do_export(const struct args *a, sk_err *e)
{
    station_config *st = NULL;
    char where[PATH_MAX];
    ledger *l = NULL;
    audit_sink *audit = NULL;
    char *text = NULL, *out = NULL;
    json_t *doc = NULL, *lines = json_array();
    json_error_t jerr;
    size_t n = 0;
    int ret;

    if ((ret = location(a, true, &st, where, sizeof(where), e)) != SK_OK ||
        (ret = ledger_open(where, &l, e)) != SK_OK ||
        (ret = audit_sink_open_station(st, l, NULL, &audit, e)) != SK_OK ||
        (ret = ledger_export(l, &text, e)) != SK_OK)
        goto out;
    if ((doc = json_loads(text, 0, &jerr)) == NULL || lines == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "export: %s", jerr.text);
        goto out;
    }
    /* A shared ledger's records stay where they are; a file log travels with its ledger. */
    if ((ret = audit_export_lines(audit, add_line, lines, &n, e)) != SK_OK) {
        sk_err_wrap(e, "audit log not exported");
        goto out;
    }
    if (json_object_set_new(doc, "station", json_string(st->station_id)) != 0 ||
        json_object_set(doc, "audit", lines) != 0 ||
        (out = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS)) == NULL) {
        ret = sk_err_set(e, SK_EINTERNAL, "export: out of memory");
        goto out;
    }
    if ((ret = write_out(a->out, out, e)) != SK_OK)
        goto out;
    fprintf(stderr, "exported %s: %zu issuances, %zu audit records of station %s\n", where,
            json_array_size(json_object_get(json_object_get(doc, "tables"), "issuances")),
            json_array_size(lines), st->station_id);
out:
    free(out);
    free(text);
    json_decref(lines);
    json_decref(doc);
    audit_sink_free(audit);
    ledger_free(l);
    station_free(st);
    return ret;
}

static int do_import(const struct args *a, sk_err *e)
{
    station_config *st = NULL;
    char where[PATH_MAX];
    ledger *l = NULL;
    audit_sink *audit = NULL;
    unsigned char *data = NULL;
    size_t len = 0, n = 0, stations = 0;
    json_t *doc = NULL;
    const char *origin = a->origin;
    ledger_import_counts c;
    int ret;

    if ((ret = location(a, true, &st, where, sizeof(where), e)) != SK_OK)
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
        (ret = ledger_import(l, (const char *)data, len, origin, &c, e)) != SK_OK)
        goto out;
    printf("imported %s into %s: %zu issuances, %zu steps, %zu serials, %zu seals, %zu CRL "
           "numbers, %zu audit records\n", a->from, where, c.issuances, c.steps, c.serials,
           c.seals, c.crls, c.audit_records);
    /* The imported chain must check out where it now lives (its chains alone: the station's
     * sink without the ledger). */
    if ((ret = audit_sink_open_station(st, NULL, NULL, &audit, e)) != SK_OK ||
        (ret = audit_verify_all(audit, &n, &stations, e)) != SK_OK)
        goto out;
    printf("audit log: %zu records of %zu stations, chains intact\n", n, stations);
out:
    audit_sink_free(audit);
    json_decref(doc);
    free(data);
    ledger_free(l);
    station_free(st);
    return ret;
}

static int run(const char *cmd, const struct args *a, sk_err *e)
{
    station_config *st = NULL;
    char where[PATH_MAX];
    ledger *l = NULL;
    audit_sink *audit = NULL;
    int ret, from = 0, to = 0;
    size_t n = 0, stations = 0;

    if (strcmp(cmd, "export") == 0)
        return do_export(a, e);
    if (strcmp(cmd, "import") == 0)
        return do_import(a, e);
    if ((ret = location(a, strcmp(cmd, "audit-verify") == 0, &st, where, sizeof(where), e)) !=
        SK_OK)
        goto out;
    if (strcmp(cmd, "init") == 0) {
        if ((ret = ledger_init(where, &to, e)) == SK_OK)
            printf("ledger %s: created, schema version %d\n", where, to);
    } else if (strcmp(cmd, "migrate") == 0) {
        if ((ret = ledger_migrate(where, &from, &to, e)) == SK_OK && from == to)
            printf("ledger %s: schema version %d, nothing to do\n", where, to);
        else if (ret == SK_OK)
            printf("ledger %s: migrated from schema version %d to %d\n", where, from, to);
    } else if (strcmp(cmd, "version") == 0) {
        if ((ret = ledger_open(where, &l, e)) == SK_OK &&
            (ret = ledger_schema_version(l, &to, e)) == SK_OK)
            printf("ledger %s: %s, schema version %d (this sealkey: %d)\n", where,
                   ledger_backend_name(l), to, ledger_schema_latest());
    } else {
        if ((ret = ledger_open(where, &l, e)) == SK_OK &&
            (ret = audit_sink_open_station(st, l, NULL, &audit, e)) == SK_OK &&
            (ret = audit_verify_all(audit, &n, &stations, e)) == SK_OK)
            printf("audit log of %s: %zu records of %zu stations, chains intact\n",
                   audit_sink_shared(audit) ? where : st->dir, n, stations);
    }
out:
    audit_sink_free(audit);
    ledger_free(l);
    station_free(st);
    return ret;
}

int cmd_ledger(int argc, char **argv)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'}, {"ledger", required_argument, NULL, 'l'},
        {"out", required_argument, NULL, 'o'},     {"from", required_argument, NULL, 'f'},
        {"origin", required_argument, NULL, 'g'},  {"help", no_argument, NULL, 'h'},
        {"json", no_argument, NULL, 'j'},          {"no-tokens", no_argument, NULL, 'T'},
        {NULL, 0, NULL, 0}};
    static const char *const cmds[] = {"init",   "migrate",      "version",  "export",
                                       "import", "audit-verify", "reconcile"};
    struct args a = {0};
    const char *cmd;
    bool known = false;
    sk_err e;
    int c;

    sk_err_clear(&e);
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': a.station = optarg; break;
        case 'l': a.ledger = optarg; break;
        case 'o': a.out = optarg; break;
        case 'f': a.from = optarg; break;
        case 'g': a.origin = optarg; break;
        case 'j': a.json = true; break;
        case 'T': a.no_tokens = true; break;
        case 'h': printf("usage: %s\n", usage); return SK_OK;
        default: return cli_usage_error(usage, "ledger: bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(usage, "ledger: one command expected");
    cmd = argv[optind];
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        known = known || strcmp(cmd, cmds[i]) == 0;
    if (!known)
        return cli_usage_error(usage, "ledger: unknown command '%s'", cmd);
    if (strcmp(cmd, "import") != 0 && (a.from != NULL || a.origin != NULL))
        return cli_usage_error(usage, "ledger %s: --from and --origin are for import", cmd);
    if (strcmp(cmd, "import") == 0 && a.from == NULL)
        return cli_usage_error(usage, "ledger import: --from FILE is required");
    if (a.out != NULL && strcmp(cmd, "export") != 0)
        return cli_usage_error(usage, "ledger %s: --out is for export", cmd);
    if ((a.json || a.no_tokens) && strcmp(cmd, "reconcile") != 0)
        return cli_usage_error(usage, "ledger %s: --json and --no-tokens are for reconcile", cmd);
    if (strcmp(cmd, "reconcile") == 0) {
        if (a.ledger != NULL)
            return cli_usage_error(usage, "ledger reconcile: checks the station's own ledger, "
                                   "not --ledger");
        return cmd_ledger_reconcile(a.station, a.json, !a.no_tokens);
    }
    if (run(cmd, &a, &e) != SK_OK)
        return cli_report(&e);
    return SK_OK;
}
