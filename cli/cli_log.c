/* The system log of batch and station runs: cli/cli_log.h. */
#include "cli/cli_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "util/sk_syslog.h"

struct cli_log {
    sk_syslog *sink;
    const char *run;
    bool warned; /* a send that failed was said once on stderr */
    bool quiet;  /* the default socket is not there: no system log on this machine */
};

void cli_log_open(const station_config *st, const char *run, cli_log **out)
{
    cli_log *l = calloc(1, sizeof(*l));
    sk_err e;

    *out = NULL;
    sk_err_clear(&e);
    if (l == NULL) {
        fprintf(stderr, "sealkey: system log: out of memory; going on without it\n");
        return;
    }
    if (sk_syslog_open(st->log_socket, st->log_facility, st->log_ident, &l->sink, &e) != SK_OK) {
        fprintf(stderr, "sealkey: %s: %s; going on without the system log\n", st->dir, e.msg);
        free(l);
        return;
    }
    l->run = run;
    /* No /dev/log (a container, a build machine): nothing to say. A socket the station
     * names is another matter: the first failed send is reported. */
    l->quiet = !st->log_socket_set && access(st->log_socket, F_OK) != 0;
    *out = l;
}

void cli_log_free(cli_log *l)
{
    if (l == NULL)
        return;
    sk_syslog_free(l->sink);
    free(l);
}

void cli_log_say(cli_log *l, int priority, const char *fmt, ...)
{
    char msg[2600];
    int n;
    va_list ap;
    sk_err e;

    if (l == NULL || l->quiet)
        return;
    n = snprintf(msg, sizeof(msg), "%s: ", l->run);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(msg))
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap); /* a longer one is cut */
    va_end(ap);
    sk_err_clear(&e);
    if (sk_syslog_send(l->sink, priority, msg, &e) != SK_OK && !l->warned) {
        fprintf(stderr, "sealkey: %s; going on (the audit log is the record)\n", e.msg);
        l->warned = true;
    }
}

/* "reader R: " for a station's events, "" for a batch's. */
#define AT(ev)                                                                                     \
    (ev)->reader != NULL ? "reader " : "", (ev)->reader != NULL ? (ev)->reader : "",               \
        (ev)->reader != NULL ? ": " : ""

static const char *next_name(sup_next n)
{
    switch (n) {
    case SUP_NEXT_DROPPED:
        return "dropped from the queue";
    case SUP_NEXT_BACK:
        return "back in the queue";
    case SUP_NEXT_FRONT:
        return "back at the front of the queue";
    case SUP_NEXT_DONE:
        break;
    }
    return "left for the next run";
}

static void settled(cli_log *l, const sup_event *ev)
{
    const sup_report *j = ev->report;
    const sup_result *r = &j->result;
    /* A batch goes on with the next order; a station says what it does with this one. */
    const char *then = ev->reader != NULL ? next_name(ev->next) : "left for the next run";

    switch (j->outcome) {
    case SUP_ISSUED:
        cli_log_say(l, LOG_INFO, "%s%s%sorder %s issued: token %s, certificate %s (%.1f s)", AT(ev),
                    j->order, r->token_serial, r->cert_serial, j->seconds);
        break;
    case SUP_DONE_BEFORE:
        /* Orders issued by an earlier run are counted in the summary, not listed. */
        if (j->seconds > 0)
            cli_log_say(l, LOG_NOTICE, "%s%s%sorder %s already issued elsewhere: token %s", AT(ev),
                        j->order, r->token_serial);
        break;
    case SUP_ELSEWHERE:
        cli_log_say(l, LOG_NOTICE, "%s%s%sorder %s is being issued by another process or station",
                    AT(ev), j->order);
        break;
    case SUP_STOPPED:
        cli_log_say(l, LOG_WARNING, "%s%s%sorder %s stopped%s; %s", AT(ev), j->order,
                    ev->pulled ? " (token pulled)" : "", then);
        break;
    case SUP_FAILED:
    case SUP_INVALID:
    case SUP_PENDING:
        cli_log_say(l, LOG_ERR, "%s%s%sorder %s FAILED (%s): %s; %s", AT(ev), j->order,
                    sk_status_name(r->status), r->message, then);
        break;
    }
}

void cli_log_event(cli_log *l, const sup_event *ev)
{
    if (l == NULL)
        return;
    switch (ev->kind) {
    case SUP_EV_SETTLED:
        settled(l, ev);
        break;
    case SUP_EV_NOT_QUEUED:
        cli_log_say(l, LOG_WARNING, "not queued: %s", ev->message);
        break;
    case SUP_EV_LIMIT:
        cli_log_say(l, LOG_WARNING, "%s%s%sorder %s over its time limit, stopped: %s", AT(ev),
                    ev->order, ev->message != NULL ? ev->message : "");
        break;
    case SUP_EV_PULLED:
        cli_log_say(l, LOG_WARNING, "reader %s: token pulled during order %s", ev->reader,
                    ev->order);
        break;
    case SUP_EV_PLANNED:
        cli_log_say(l, LOG_INFO, "%zu orders in the queue, %zu already issued, %zu not queued",
                    ev->queued, ev->done, ev->bad);
        break;
    case SUP_EV_READER_ADDED:
        cli_log_say(l, LOG_NOTICE, "reader %s: %s%s", ev->reader,
                    ev->token != NULL ? "ready, tokens: " : "not in station.json \"readers\"",
                    ev->token != NULL ? ev->token : "");
        break;
    case SUP_EV_READER_REMOVED:
        cli_log_say(l, LOG_WARNING, "reader %s: disconnected", ev->reader);
        break;
    case SUP_EV_STOPPING:
        cli_log_say(l, LOG_NOTICE, "stopping (%zu orders running)", ev->running);
        break;
    case SUP_EV_WATCHING:
    case SUP_EV_TOKEN_IGNORED:
    case SUP_EV_TOKEN_REMOVED:
    case SUP_EV_STARTED:
    case SUP_EV_STEP:
        break;
    }
}
