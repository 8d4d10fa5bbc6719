/* sealkey batch: every approved order of a file that the ledger has not finished, onto the
 * available blank tokens, several at once, each in a worker process of its own. The work is
 * the supervisor's (issuer/supervisor/supervisor.h); this file parses the options and prints what
 * it reports: a progress bar or a line per order, or a --json report. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_log.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "cli/cli_orders.h"
#include "issuer/supervisor/supervisor.h"

static const char usage[] =
    "sealkey batch --orders FILE [--jobs N] [--json] [--station DIR] [--ca-pass SOURCE]\n"
    "              [--order-timeout SECONDS] [--operator NAME] [--dry-run]\n"
    "  Issue every order of FILE that the ledger has not finished (as `sealkey issue` does,\n"
    "  seals included) onto the available blank tokens, N at a time (default 1), each in\n"
    "  its own worker process. Orders already verified are skipped; an order interrupted by\n"
    "  a crash is resumed on its token. A failing order (bad data, bad scan, token error,\n"
    "  timeout) is reported with its reason and does not stop the others.\n"
    "  The file is checked whole before anything is issued, then read again order by order,\n"
    "  so memory stays the same for 100 or 100,000 orders.\n"
    "  Time limits come from \"timeouts\" in station.json: one for the whole order (default\n"
    "  600 s; --order-timeout overrides it) and optionally one per step, e.g.\n"
    "  \"key_generated\": 120. A worker over a limit is stopped and its order fails with the\n"
    "  limit named; the ledger keeps its step and the next run resumes it on its token.\n"
    "  Progress: a bar on a terminal, else one line per order; --json prints a report.\n"
    "  Each order's outcome and each fault also go to the system log (station.json \"log\":\n"
    "  facility, identity; docs/operations.md).\n"
    "  --dry-run checks the file and the ledger and says what would be issued, touching no\n"
    "  token and no secret.\n"
    "  --operator NAME   who runs it, for the ledger and the audit log (default\n"
    "                    $SEALKEY_OPERATOR, else the login name): 1-63 bytes of UTF-8, no\n"
    "                    control or invisible characters (docs/audit.md); checked first\n"
    "  Exit status: 0 when every order is issued, 1 when any failed, 2/3/6 as usual for\n"
    "  the command line, the station or its secrets.";

/* What the run has settled so far, and how to show it. */
struct tally {
    size_t total, issued, before, failed, elsewhere, done;
    size_t awaiting;        /* external signing: keys made, waiting for certificates */
    struct timespec start;
    bool tty, json, dry_run;
    bool json_first;        /* no order printed yet in the --json report */
    cli_log *log;           /* the system log: each order's outcome, each fault */
};

struct batch_args {
    const char *orders;
    long jobs, timeout;     /* timeout 0: the station's timeouts.order */
    bool json, dry_run;
    sup *s;                 /* the supervisor (prepare), which owns the station */
    struct tally t;
};

static void batch_args_free(void *p)
{
    struct batch_args *a = p;

    sup_free(a->s);
    cli_log_free(a->t.log);
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int cmd_batch_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"orders", required_argument, NULL, 'f'},
                                         {"jobs", required_argument, NULL, 'j'},
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_CA_PASS_ROW,
                                         CLI_OPT_OPERATOR_ROW,
                                         {"order-timeout", required_argument, NULL, 't'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct batch_args *a = cli_args(cx, sizeof(*a), batch_args_free);
    cli_output out = {0};
    int c, ret;

    if (a == NULL)
        return SK_OK;
    a->jobs = 1;
    while ((c = getopt_long(argc, argv, "hj:", opts, NULL)) != -1) {
        switch (c) {
        case 'f': a->orders = optarg; break;
        case 'j':
            if (cli_parse_long(optarg, 1, 64, &a->jobs) != 0)
                return cli_usage_error(usage, "batch: --jobs takes 1 to 64, not '%s'", optarg);
            break;
        case 't':
            if (cli_parse_long(optarg, 1, 86400, &a->timeout) != 0)
                return cli_usage_error(usage, "batch: --order-timeout takes 1 to 86400 seconds");
            break;
        case 'n': a->dry_run = true; break;
        default:
            if ((ret = cli_opt_common(cx, &out, c, usage, "batch")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "batch")) != SK_OK)
        return ret;
    if (a->orders == NULL)
        return cli_usage_error(usage, "batch: --orders is required");
    if (cli_output_check(&out, CLI_FMT_TEXT, usage, "batch") != SK_OK)
        return SK_EUSAGE;
    a->json = out.format == CLI_FMT_JSON;
    /* A dry run touches no token and no secret. */
    if (a->dry_run)
        cx->needs &= ~(unsigned)(CLI_SO_PIN | CLI_CA_SECRET);
    return SK_OK;
}

/* What a failure at a time limit adds to its message; the buffers for why() are sized by it. */
#define RESUMES "; the order resumes on the next run"
#define WHY_MAX (sizeof(((sup_result *)0)->message) + sizeof(RESUMES))

/* Why an order failed, as the report gives it: a time limit also says what comes next. buf
 * (WHY_MAX bytes) holds the whole message and the note; were it ever short, the message is
 * given alone rather than cut. */
static const char *why(const sup_report *j, char *buf, size_t len)
{
    int n;

    if (!j->limit)
        return j->result.message;
    n = snprintf(buf, len, "%s" RESUMES, j->result.message);
    return n >= 0 && (size_t)n < len ? buf : j->result.message;
}

static void progress(const struct tally *t, const sup_report *j)
{
    double el = since(&t->start);
    double rate = el > 0 ? (double)t->issued / el : 0;
    size_t left = t->total - t->done;
    const sup_result *r = &j->result;
    char buf[WHY_MAX];

    /* A capped validity is shown even under the progress bar: the CA needs renewing. */
    bool capped = j->outcome == SUP_ISSUED && r->validity_capped;

    if (!t->tty || j->outcome == SUP_FAILED || j->outcome == SUP_INVALID || capped) {
        if (t->tty)
            fputs("\r\033[K", stdout);
        if (j->outcome == SUP_ISSUED && r->awaiting_cert)
            printf("%s waiting for its certificate: token %s [%zu/%zu]\n", j->order,
                   r->token_serial, t->done, t->total);
        else if (j->outcome == SUP_ISSUED)
            printf("%s issued: token %s, certificate %s (%.1f s) [%zu/%zu]\n", j->order,
                   r->token_serial, r->cert_serial, j->seconds, t->done, t->total);
        if (capped) /* as issue says it (cli/cmd_issue.c) */
            printf("  notice: validity capped at the issuing CA's notAfter %s; renew the CA\n",
                   r->not_after);
        else if (j->outcome == SUP_ELSEWHERE)
            printf("%s skipped: being issued by another process or station [%zu/%zu]\n",
                   j->order, t->done, t->total);
        else if (j->outcome == SUP_DONE_BEFORE)
            printf("%s already issued elsewhere: token %s, certificate %s [%zu/%zu]\n",
                   j->order, r->token_serial, r->cert_serial, t->done, t->total);
        else
            printf("%s FAILED (%s): %s [%zu/%zu]\n", j->order, sk_status_name(r->status),
                   why(j, buf, sizeof(buf)), t->done, t->total);
    }
    if (t->tty) {
        int width = 30, fill = t->total ? (int)(width * t->done / t->total) : width;
        printf("\r[%.*s%*s] %zu/%zu  %zu issued  %zu failed  %zu left  %.2f/s  ETA %.0f s",
               fill, "##############################", width - fill, "", t->done, t->total,
               t->issued, t->failed, left, rate, rate > 0 ? (double)left / rate : 0.0);
        fflush(stdout);
    }
}

/* One order of the --json report, printed as soon as it is settled. */
static void report_order(struct tally *t, const sup_report *j)
{
    static const char *const names[] = {
        [SUP_PENDING] = "pending",         [SUP_ISSUED] = "issued",
        [SUP_DONE_BEFORE] = "already_issued", [SUP_INVALID] = "invalid",
        [SUP_FAILED] = "failed",           [SUP_ELSEWHERE] = "claimed_elsewhere",
        [SUP_STOPPED] = "stopped"};
    const sup_result *r = &j->result;
    char buf[WHY_MAX];
    json_t *seals = json_array();
    json_t *o;
    char *text;

    for (size_t k = 0; k < r->n_seals; k++)
        if (r->seal_ids[k][0] != '\0')
            json_array_append_new(seals, json_string(r->seal_ids[k]));
    o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:o, s:f}", "order_number", j->order,
                  "status", r->awaiting_cert ? "awaiting_certificate" : names[j->outcome],
                  "exit_status", r->status, "error",
                  j->outcome == SUP_FAILED || j->outcome == SUP_INVALID
                      ? why(j, buf, sizeof(buf))
                      : "",
                  "token_serial", r->token_serial, "cert_serial", r->cert_serial, "seal_ids",
                  seals, "seconds", j->seconds);
    /* As issue --json gives them; the date only for a certificate signed. */
    if (o != NULL && j->outcome == SUP_ISSUED && !r->awaiting_cert) {
        json_object_set_new(o, "not_after", json_string(r->not_after));
        json_object_set_new(o, "validity_capped", json_boolean(r->validity_capped));
    }
    text = o != NULL ? json_dumps(o, 0) : NULL;
    printf("%s    %s", t->json_first ? "" : ",\n", text != NULL ? text : "{}");
    t->json_first = false;
    free(text);
    json_decref(o);
}

static void report_summary(const struct tally *t)
{
    json_t *sum = json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}", "orders", (json_int_t)t->total,
                            "issued", (json_int_t)t->issued, "already_issued",
                            (json_int_t)t->before, "failed", (json_int_t)t->failed,
                            "claimed_elsewhere", (json_int_t)t->elsewhere, "seconds",
                            since(&t->start));
    char *text;

    if (sum != NULL && t->awaiting > 0)
        json_object_set_new(sum, "awaiting_certificate", json_integer((json_int_t)t->awaiting));
    text = sum != NULL ? json_dumps(sum, JSON_INDENT(2)) : NULL;
    printf("\n  ],\n  \"summary\": %s\n}\n", text != NULL ? text : "{}");
    free(text);
    json_decref(sum);
}

/* Count a settled order and show it. */
static void settle(struct tally *t, const sup_report *j)
{
    switch (j->outcome) {
    case SUP_ISSUED: *(j->result.awaiting_cert ? &t->awaiting : &t->issued) += 1; break;
    case SUP_DONE_BEFORE: t->before++; break;
    case SUP_ELSEWHERE: t->elsewhere++; break;
    default: t->failed++; break;
    }
    t->done++;
    if (t->json)
        report_order(t, j);
    /* Orders finished before this run are counted, not listed one by one. */
    else if (j->outcome != SUP_DONE_BEFORE || j->seconds > 0)
        progress(t, j);
}

/* What the supervisor reports: a batch shows settled orders (and, in a dry run, the orders
 * with problems); the workers' steps and starts are not shown. */
static void on_event(void *ctx, const sup_event *ev)
{
    struct tally *t = ctx;

    cli_log_event(t->log, ev);
    if (ev->kind == SUP_EV_NOT_QUEUED)
        printf("%s\n", ev->message);
    else if (ev->kind == SUP_EV_SETTLED)
        settle(t, ev->report);
}

/* --dry-run: what a run would do, from the file and the ledger alone. */
static int dry_run(sup *s, const struct tally *t, sk_err *e)
{
    size_t todo, done, bad;
    int ret = sup_batch_dry_run(s, &todo, &done, &bad, e);

    if (ret != SK_OK)
        return ret;
    printf("batch (dry run): %zu orders: %zu to issue, %zu already issued, %zu invalid\n",
           t->total, todo, done, bad);
    return bad == 0 ? SK_OK : SK_EFAIL;
}

/* The run itself, its secrets read; *started once the --json report is begun. */
static int run(const struct batch_args *a, sup *s, struct tally *t, bool *started, sk_err *e)
{
    int ret;

    clock_gettime(CLOCK_MONOTONIC, &t->start);
    t->json_first = true;
    if (a->json)
        printf("{\n  \"orders\": [\n");
    *started = true;
    if ((ret = sup_batch_run(s, (size_t)a->jobs, e)) != SK_OK)
        return ret;
    cli_log_say(t->log, t->failed > 0 ? LOG_WARNING : LOG_INFO,
                "%zu orders: %zu issued, %zu already issued, %zu failed, %zu being issued "
                "elsewhere",
                t->total, t->issued, t->before, t->failed, t->elsewhere);
    if (t->tty)
        fputs("\n", stdout);
    if (!a->json) {
        double el = since(&t->start);
        printf("batch: %zu orders: %zu issued, %zu already issued, %zu failed, in %.1f s "
               "(%.2f orders/s)\n",
               t->total, t->issued, t->before, t->failed, el,
               el > 0 ? (double)t->issued / el : 0.0);
        if (t->elsewhere > 0)
            printf("batch: %zu order(s) were being issued elsewhere and were left to them\n",
                   t->elsewhere);
        if (t->awaiting > 0)
            printf("batch: %zu order(s) wait for their certificates (external signing): "
                   "sealkey csr-export, then sealkey cert-import\n", t->awaiting);
    }
    return t->failed == 0 ? SK_OK : SK_EFAIL;
}

/* The supervisor, on the station, with the order file checked whole; the secrets go
 * straight into its locked memory (a prompt is fine): the workers inherit them and never
 * ask. */
int cmd_batch_prepare(cli_ctx *cx, sk_err *e)
{
    struct batch_args *a = cx->args;
    struct tally *t = &a->t;
    sup_secrets *room = NULL;
    int ret;

    t->json = a->json;
    t->tty = !a->json && isatty(STDOUT_FILENO);
    sup_config cfg = {.operator_name = cx->operator_name,
                      .order_timeout = a->timeout,
                      .on_event = on_event,
                      .ctx = t};
    /* A dry run touches nothing, so it has nothing to tell the system log. */
    if (!a->dry_run)
        cli_log_open(cx->st, "batch", &t->log);
    /* The supervisor takes the station over (also when sup_new fails). */
    cx->st_taken = true;
    if ((ret = sup_new(cx->st, &cfg, &a->s, e)) != SK_OK ||
        (ret = sup_batch_open(a->s, a->orders, &t->total, e)) != SK_OK) {
        cli_log_say(t->log, LOG_ERR, "not started: %s", e->msg);
        return ret;
    }
    if (a->dry_run)
        return SK_OK;
    cli_log_say(t->log, LOG_INFO, "started: %s, %zu orders, %ld at a time, operator %s",
                a->orders, t->total, a->jobs, cx->operator_name);
    if ((ret = sup_secrets_room(a->s, &room, e)) != SK_OK)
        return ret;
    cx->so_pin_to = room->so_pin;
    cx->ca_secret_to = room->ca_secret;
    return SK_OK;
}

int cmd_batch_run(cli_ctx *cx, sk_err *e)
{
    struct batch_args *a = cx->args;
    bool started = false;
    int ret = a->dry_run ? dry_run(a->s, &a->t, e) : run(a, a->s, &a->t, &started, e);

    /* The --json report stays one JSON document even when the run stops early. */
    if (a->json && started)
        report_summary(&a->t);
    /* Failed orders were said one by one; a fault that stops the run is the log's too. */
    if (ret == SK_EFAIL)
        sk_err_clear(e);
    else if (ret != SK_OK)
        cli_log_say(a->t.log, LOG_ERR, "stopped: %s", e->msg);
    return ret;
}
