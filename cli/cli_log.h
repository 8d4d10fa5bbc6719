/* The system log of batch and station runs: each order's outcome and each fault, for
 * operators and monitoring (journalctl -t IDENT, or syslog), never a secret. The audit log
 * stays the record; this is what a run says about itself as it goes. Where it goes is the
 * station's "log" (facility, identity, socket: docs/operations.md). */
#ifndef SK_CLI_LOG_H
#define SK_CLI_LOG_H

#include "issuer/station/station.h"
#include "issuer/supervisor/supervisor.h"

typedef struct cli_log cli_log;

/* The station's log for a run of `run` ("batch", "station"). Never fails the run: when the
 * log cannot be opened, or a socket that station.json names is not there, it says so once
 * on stderr and *out logs nothing (NULL is a valid, silent log). */
void cli_log_open(const station_config *st, const char *run, cli_log **out);
void cli_log_free(cli_log *l);

/* One message at priority (LOG_INFO, LOG_ERR, ...), prefixed with the run ("batch: ..."). */
void cli_log_say(cli_log *l, int priority, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The supervisor's events an operator or a monitor cares about: every order settled (issued,
 * failed with its status and reason, stopped, left to another station), a time limit, a
 * token pulled, an order left out of the queue, readers coming and going. */
void cli_log_event(cli_log *l, const sup_event *ev);

#endif
