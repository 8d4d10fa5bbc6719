/* sealkey station: the interactive sibling of batch. It waits for tokens inserted into the
 * card readers (pcsc-lite), issues the next unfinished order of the file onto each in a
 * worker process of its own, and tells the operator what went where and when a token may be
 * pulled. The work is the supervisor's (issuer/supervisor/supervisor.h); this file parses the
 * options, builds the list of the orders' problems, catches Ctrl-C and prints what it reports. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_log.h"
#include "cli/cli_opts.h"
#include "cli/cli_orders.h"
#include "cli/cli_output.h"
#include "cli/cmd_station_json.h"
#include "issuer/supervisor/supervisor.h"
#include "util/sk_problems.h"

static const char usage[] =
    "sealkey station --orders FILE [--station DIR] [--ca-pass SOURCE] [--operator NAME]\n"
    "                [--order-timeout SECONDS] [--max-orders N] [--exit-when-done]\n"
    "                [--timeout SECONDS] [--json]\n"
    "  Wait for tokens inserted into the card readers and issue the next order of FILE that\n"
    "  the ledger has not finished onto each (seals included), one worker per reader. Which\n"
    "  token a reader stands for is set by \"readers\" in station.json (docs/station-mode.md).\n"
    "  A token pulled during its issuance stops it; the order goes back to the front of the\n"
    "  queue and is resumed on that token when it comes back. Ctrl-C once: take no new\n"
    "  tokens and finish the running orders; twice: stop them too.\n"
    "  --max-orders N    stop after N orders issued (with external signing an order whose key\n"
    "                    is made waits for its certificate: it counts as waiting, not issued;\n"
    "                    orders waiting already are not queued, sealkey cert-import ends them)\n"
    "  --exit-when-done  stop when the queue is empty\n"
    "  --timeout S       stop (running orders too) after S seconds, exit status 1\n"
    "  --operator NAME   who runs it, for the ledger and the audit log (default\n"
    "                    $SEALKEY_OPERATOR, else the login name): 1-63 bytes of UTF-8, no\n"
    "                    control or invisible characters (docs/audit.md); checked first\n"
    "  Each order is held to \"timeouts\" in station.json (whole order and per step, as for\n"
    "  batch); --order-timeout overrides the whole-order limit.\n"
    "  Each order's outcome and each fault also go to the system log (station.json \"log\":\n"
    "  facility, identity; docs/operations.md).\n"
    "  --json            one JSON object per line (JSON Lines) on standard output for each\n"
    "                    event as it happens (\"event\": planned, reader_added, started,\n"
    "                    settled with the order's \"status\" as batch --json names it, ...),\n"
    "                    and a last \"summary\" line; errors on standard error\n"
    "  Exit status: 0, or 1 when an order failed or the timeout struck; 2/3/5/6 as usual.";

/* Set by the SIGINT/SIGTERM handler, read by the event loop: the count of stop requests.
 * File-static because a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_requests;

static void on_stop(int sig)
{
    (void)sig;
    if (stop_requests < 2)
        stop_requests++;
}

struct args {
    const char *orders;
    long order_timeout, max_orders, timeout;
    bool exit_when_done;
    cli_output out;
    sup *s; /* the supervisor (prepare), which owns the station */
    cli_log *log; /* the system log: each order's outcome, each fault */
};

static void args_free(void *p)
{
    struct args *a = p;

    sup_free(a->s);
    cli_log_free(a->log);
}

/* One line for the operator, with the time, flushed at once (stdout may be a pipe). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char when[16] = "";
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;

    if (localtime_r(&now, &tm) != NULL)
        strftime(when, sizeof(when), "%H:%M:%S", &tm);
    printf("%s ", when);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

int cmd_station_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"orders", required_argument, NULL, 'f'},
                                         CLI_OPT_CA_PASS_ROW,
                                         CLI_OPT_OPERATOR_ROW,
                                         {"order-timeout", required_argument, NULL, 't'},
                                         {"max-orders", required_argument, NULL, 'n'},
                                         {"exit-when-done", no_argument, NULL, 'x'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct args *a = cli_args(cx, sizeof(*a), args_free);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': a->orders = optarg; break;
        case 'x': a->exit_when_done = true; break;
        case 't':
            if (cli_parse_long(optarg, 1, 86400, &a->order_timeout) != 0)
                return cli_usage_error(usage, "station: --order-timeout takes 1 to 86400 seconds");
            break;
        case 'n':
            if (cli_parse_long(optarg, 1, 1000000, &a->max_orders) != 0)
                return cli_usage_error(usage, "station: --max-orders takes 1 to 1000000");
            break;
        case 'T':
            if (cli_parse_long(optarg, 1, 604800, &a->timeout) != 0)
                return cli_usage_error(usage, "station: --timeout takes 1 to 604800 seconds");
            break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "station")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "station")) != SK_OK)
        return ret;
    if (a->orders == NULL)
        return cli_usage_error(usage, "station: --orders is required");
    return cli_output_check(&a->out, CLI_FMT_TEXT, usage, "station");
}

static void settled(const sup_event *ev)
{
    const sup_report *j = ev->report;
    const sup_result *r = &j->result;

    switch (j->outcome) {
    case SUP_ISSUED:
        if (r->awaiting_cert) { /* external signing: the token comes back for cert-import */
            say("reader %s: order %s: key made on token %s, waiting for its certificate -- "
                "keep the token for sealkey cert-import", ev->reader, j->order,
                r->token_serial);
            break;
        }
        say("reader %s: order %s done (token %s)%s", ev->reader, j->order, r->token_serial,
            ev->pulled ? ", just before its token was pulled" : " -- the token may be pulled");
        if (r->validity_capped) /* as issue says it (cli/cmd_issue.c) */
            say("reader %s: order %s: notice: validity capped at the issuing CA's notAfter %s; "
                "renew the CA", ev->reader, j->order, r->not_after);
        break;
    case SUP_DONE_BEFORE:
        say("reader %s: order %s is already issued (token %s) -- the token was not used",
            ev->reader, j->order, r->token_serial);
        break;
    case SUP_STOPPED:
        /* A pulled token was said when it was pulled. */
        if (!ev->pulled)
            say("reader %s: order %s stopped -- order back in the queue", ev->reader, j->order);
        break;
    case SUP_ELSEWHERE:
        /* Another station or batch holds the order's claim: not this token's fault. */
        say("reader %s: order %s is being issued elsewhere -- order back in the queue; "
            "the token was not used",
            ev->reader, j->order);
        break;
    case SUP_FAILED:
    case SUP_INVALID:
    case SUP_PENDING:
        say("reader %s: order %s FAILED (%s): %s -- %s", ev->reader, j->order,
            sk_status_name(r->status), r->message,
            ev->next == SUP_NEXT_DROPPED ? "order dropped from the queue"
                                         : "order back in the queue");
        break;
    }
}

static void stopping(const struct args *a, const sup_event *ev)
{
    switch (ev->stop) {
    case SUP_STOP_TIMEOUT: say("station: timed out after %ld s; stopping", a->timeout); break;
    case SUP_STOP_ASKED:
        if (ev->running > 0)
            say("station: stopping after the running orders (Ctrl-C again to stop them)");
        break;
    case SUP_STOP_MAX_ORDERS:
        say("station: %zu orders issued; stopping (--max-orders)", ev->issued);
        break;
    }
}

/* One line for the operator per event the supervisor reports (steps and limits aside: a
 * limit is said when its order settles). */
static void on_event(void *ctx, const sup_event *ev)
{
    const struct args *a = ctx;

    cli_log_event(a->log, ev);
    if (a->out.format == CLI_FMT_JSON) {
        station_json_event(ev);
        return;
    }
    switch (ev->kind) {
    case SUP_EV_NOT_QUEUED: say("station: not queued: %s", ev->message); break;
    case SUP_EV_PLANNED:
        say("station: %zu orders in the queue, %zu already issued, %zu not queued", ev->queued,
            ev->done, ev->bad);
        if (ev->awaiting > 0)
            say("station: %zu orders wait for their certificate, not for a token (sealkey "
                "cert-import)", ev->awaiting);
        break;
    case SUP_EV_WATCHING: say("station: waiting for tokens (Ctrl-C to stop)"); break;
    case SUP_EV_READER_ADDED:
        if (ev->token != NULL)
            say("reader %s: ready (tokens: %s)", ev->reader, ev->token);
        else
            say("reader %s: not in station.json \"readers\"; its tokens are ignored", ev->reader);
        break;
    case SUP_EV_READER_REMOVED: say("reader %s: disconnected", ev->reader); break;
    case SUP_EV_TOKEN_IGNORED:
        if (ev->why == SUP_IGNORE_STOPPING)
            say("reader %s: token inserted while order %s is still stopping; not used",
                ev->reader, ev->order);
        else if (ev->why == SUP_IGNORE_DRAINING)
            say("reader %s: token inserted, but the station is stopping", ev->reader);
        else
            say("reader %s: token inserted, but no order is waiting", ev->reader);
        break;
    case SUP_EV_TOKEN_REMOVED: say("reader %s: token removed", ev->reader); break;
    case SUP_EV_STARTED: say("reader %s: order %s issuing...", ev->reader, ev->order); break;
    case SUP_EV_PULLED:
        say("reader %s: token removed during order %s -- order back in the queue", ev->reader,
            ev->order);
        break;
    case SUP_EV_SETTLED: settled(ev); break;
    case SUP_EV_STOPPING: stopping(a, ev); break;
    case SUP_EV_STEP:
    case SUP_EV_LIMIT: break;
    }
}

/* The supervisor, and its queue from the orders of f, each with its first problem (the
 * loader's, order_check's, a repeated number) or none. Takes st and f over, also on failure;
 * nothing of the problems' lists is left for the workers to inherit. */
static int plan(const struct args *a, const char *operator_name, station_config *st,
                order_file *f, const sk_problems *load_probs, sup **s, sk_err *e)
{
    sup_config cfg = {.operator_name = operator_name,
                      .order_timeout = a->order_timeout,
                      .on_event = on_event,
                      .ctx = (void *)a};
    const char **problems = calloc(f->n + 1, sizeof(*problems));
    sk_problems probs;
    int ret;

    if (problems == NULL) {
        station_free(st);
        order_file_free(f);
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    }
    sk_problems_init(&probs);
    order_file_check(f, st, load_probs, &probs, NULL);
    for (size_t i = 0; i < f->n; i++)
        problems[i] = cli_order_problem(&probs, &f->orders[i]);
    if ((ret = sup_new(st, &cfg, s, e)) == SK_OK)
        ret = sup_station_plan(*s, f, problems, e);
    else
        order_file_free(f);
    free(problems);
    sk_problems_free(&probs);
    return ret;
}

/* Issue until a stop rule ends it, with Ctrl-C and SIGTERM counted as stop requests. */
/* ", N waiting for their certificate" (external signing), or nothing. */
static const char *awaiting_note(const sup_station_counts *c, char *buf, size_t len)
{
    if (c->awaiting == 0)
        return "";
    snprintf(buf, len, ", %zu waiting for their certificate (sealkey cert-import)", c->awaiting);
    return buf;
}

static int run(const struct args *a, sup *s, sk_err *e)
{
    sup_station_opts opts = {.max_orders = a->max_orders,
                             .timeout = a->timeout,
                             .exit_when_done = a->exit_when_done,
                             .stop_requests = &stop_requests};
    struct sigaction sa, old_int, old_term;
    sup_station_counts c;
    char note[96];
    int ret;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop; /* no SA_RESTART: the wait returns early to see the request */
    sigemptyset(&sa.sa_mask);
    stop_requests = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    if ((ret = sup_station_run(s, &opts, &c, e)) == SK_OK) {
        if (a->out.format == CLI_FMT_JSON)
            station_json_summary(&c);
        else
            say("station: %zu issued, %zu interrupted by a pulled token, %zu failed, %zu left "
                "in the queue%s",
                c.issued, c.pulled, c.failed, c.left, awaiting_note(&c, note, sizeof(note)));
        cli_log_say(a->log, c.failed > 0 || c.timed_out ? LOG_WARNING : LOG_INFO,
                    "ended%s: %zu issued, %zu interrupted by a pulled token, %zu failed, "
                    "%zu left in the queue%s",
                    c.timed_out ? " at its --timeout" : "", c.issued, c.pulled, c.failed,
                    c.left, awaiting_note(&c, note, sizeof(note)));
        ret = c.timed_out || c.failed > 0 ? SK_EFAIL : SK_OK;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return ret;
}

/* The orders and the readers, then the supervisor with its queue; the secrets go straight
 * into its locked memory: the workers inherit them and never ask. They stay while the
 * station runs and are wiped when it ends. */
int cmd_station_prepare(cli_ctx *cx, sk_err *e)
{
    struct args *a = cx->args;
    station_config *st = cx->st;
    order_file *f = NULL;
    sup_secrets *room = NULL;
    sk_problems load_probs;
    int ret;

    sk_problems_init(&load_probs);
    cli_log_open(st, "station", &a->log);
    cli_log_say(a->log, LOG_INFO, "started: %s, operator %s", a->orders, cx->operator_name);
    if ((ret = order_file_load(a->orders, &f, &load_probs, e)) != SK_OK)
        goto out;
    if (st->n_readers == 0) {
        ret = sk_err_set(e, SK_EINPUT,
                         "%s/station.json has no \"readers\": station mode needs to know which "
                         "token each reader stands for (docs/station-mode.md)",
                         st->dir);
        goto out;
    }
    /* plan takes the station and the orders over. */
    cx->st_taken = true;
    ret = plan(a, cx->operator_name, st, f, &load_probs, &a->s, e);
    f = NULL;
    sk_problems_free(&load_probs);
    if (ret != SK_OK || (ret = sup_secrets_room(a->s, &room, e)) != SK_OK)
        goto out;
    cx->so_pin_to = room->so_pin;
    cx->ca_secret_to = room->ca_secret;
out:
    if (ret != SK_OK)
        cli_log_say(a->log, LOG_ERR, "not started: %s", e->msg);
    sk_problems_free(&load_probs);
    order_file_free(f);
    return ret;
}

int cmd_station_run(cli_ctx *cx, sk_err *e)
{
    struct args *a = cx->args;
    int ret = run(a, a->s, e);

    /* Failed orders were said one by one; a fault that stops the station is the log's too. */
    if (ret == SK_EFAIL)
        sk_err_clear(e);
    else if (ret != SK_OK)
        cli_log_say(a->log, LOG_ERR, "stopped: %s", e->msg);
    return ret;
}
