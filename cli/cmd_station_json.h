/* sealkey station --json: the station reports as it goes, so its JSON is one object per line
 * (JSON Lines), an event each, in the words batch --json uses for an order's outcome. */
#ifndef SK_CMD_STATION_JSON_H
#define SK_CMD_STATION_JSON_H

#include "issuer/supervisor/supervisor.h"

/* One line for an event the supervisor reports (steps and limits aside, as in the text). */
void station_json_event(const sup_event *ev);

/* The last line: what the run did. */
void station_json_summary(const sup_station_counts *c);

#endif
