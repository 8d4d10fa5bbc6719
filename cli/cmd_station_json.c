/* cli/cmd_station_json.h: the station's events as JSON Lines on standard output. */
#include "cli/cmd_station_json.h"

#include <jansson.h>
#include <time.h>

#include "cli/cli_output.h"

/* As batch --json names them (cli/cmd_batch.c). */
static const char *outcome_name(sup_outcome o)
{
    static const char *const names[] = {
        [SUP_PENDING] = "pending",         [SUP_ISSUED] = "issued",
        [SUP_DONE_BEFORE] = "already_issued", [SUP_INVALID] = "invalid",
        [SUP_FAILED] = "failed",           [SUP_ELSEWHERE] = "claimed_elsewhere",
        [SUP_STOPPED] = "stopped"};

    return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "unknown";
}

static const char *next_name(sup_next n)
{
    return n == SUP_NEXT_DONE      ? "done"
           : n == SUP_NEXT_DROPPED ? "dropped"
           : n == SUP_NEXT_BACK    ? "queue_back"
                                   : "queue_front";
}

/* The line's common fields, then fields (taken), printed and flushed. */
static void emit(const char *event, const sup_event *ev, json_t *fields)
{
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    json_t *o = json_pack("{s:s, s:s}", "time", "", "event", event);
    sk_err e;

    if (gmtime_r(&now, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (o != NULL) {
        json_object_set_new(o, "time", json_string(when));
        if (ev != NULL && ev->reader != NULL)
            json_object_set_new(o, "reader", json_string(ev->reader));
        if (ev != NULL && ev->order != NULL)
            json_object_set_new(o, "order_number", json_string(ev->order));
        if (fields != NULL)
            json_object_update(o, fields);
    }
    json_decref(fields);
    /* A line that cannot be written is lost like a text line: the audit log is the record. */
    (void)cli_json_line(o, &e);
}

static json_t *settled(const sup_event *ev)
{
    const sup_report *j = ev->report;
    const sup_result *r = &j->result;
    bool failed = j->outcome == SUP_FAILED || j->outcome == SUP_INVALID ||
                  j->outcome == SUP_PENDING;
    json_t *o;

    o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:b, s:s, s:f}", "order_number", j->order,
                     "status", outcome_name(j->outcome), "exit_status", r->status, "error",
                     failed ? r->message : "", "token_serial", r->token_serial, "cert_serial",
                     r->cert_serial, "pulled", ev->pulled, "next", next_name(ev->next),
                     "seconds", j->seconds);
    /* As batch --json and issue --json give them, for a certificate signed. */
    if (o != NULL && j->outcome == SUP_ISSUED && !r->awaiting_cert) {
        json_t *seals = json_array();
        for (size_t k = 0; seals != NULL && k < r->n_seals; k++)
            if (r->seal_ids[k][0] != '\0')
                json_array_append_new(seals, json_string(r->seal_ids[k]));
        json_object_set_new(o, "seal_ids", seals);
        json_object_set_new(o, "not_after", json_string(r->not_after));
        json_object_set_new(o, "validity_capped", json_boolean(r->validity_capped));
    }
    return o;
}

void station_json_event(const sup_event *ev)
{
    static const char *const ignored[] = {[SUP_IGNORE_STOPPING] = "order_stopping",
                                          [SUP_IGNORE_DRAINING] = "station_stopping",
                                          [SUP_IGNORE_NO_ORDER] = "no_order_waiting"};
    static const char *const stops[] = {[SUP_STOP_TIMEOUT] = "timeout",
                                        [SUP_STOP_ASKED] = "asked",
                                        [SUP_STOP_MAX_ORDERS] = "max_orders"};

    switch (ev->kind) {
    case SUP_EV_NOT_QUEUED:
        emit("not_queued", ev, json_pack("{s:s}", "message", ev->message));
        break;
    case SUP_EV_PLANNED:
        emit("planned", ev, json_pack("{s:I, s:I, s:I, s:I}", "queued", (json_int_t)ev->queued,
                                      "already_issued", (json_int_t)ev->done, "not_queued",
                                      (json_int_t)ev->bad, "awaiting_certificate",
                                      (json_int_t)ev->awaiting));
        break;
    case SUP_EV_WATCHING: emit("watching", ev, NULL); break;
    case SUP_EV_READER_ADDED:
        emit("reader_added", ev, json_pack("{s:s?, s:b}", "tokens", ev->token, "mapped",
                                           ev->token != NULL));
        break;
    case SUP_EV_READER_REMOVED: emit("reader_removed", ev, NULL); break;
    case SUP_EV_TOKEN_IGNORED:
        emit("token_ignored", ev, json_pack("{s:s}", "why", ignored[ev->why]));
        break;
    case SUP_EV_TOKEN_REMOVED: emit("token_removed", ev, NULL); break;
    case SUP_EV_STARTED: emit("started", ev, NULL); break;
    case SUP_EV_PULLED: emit("pulled", ev, NULL); break;
    case SUP_EV_SETTLED: emit("settled", ev, settled(ev)); break;
    case SUP_EV_STOPPING:
        emit("stopping", ev, json_pack("{s:s, s:I, s:I}", "why", stops[ev->stop], "running",
                                       (json_int_t)ev->running, "issued",
                                       (json_int_t)ev->issued));
        break;
    case SUP_EV_STEP:
    case SUP_EV_LIMIT: break;
    }
}

void station_json_summary(const sup_station_counts *c)
{
    emit("summary", NULL, json_pack("{s:I, s:I, s:I, s:I, s:I, s:b}", "issued",
                                    (json_int_t)c->issued, "awaiting_certificate",
                                    (json_int_t)c->awaiting, "pulled", (json_int_t)c->pulled,
                                    "failed", (json_int_t)c->failed, "left",
                                    (json_int_t)c->left, "timed_out", c->timed_out));
}
