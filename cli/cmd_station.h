/* sealkey station: wait for tokens in the card readers and issue the next order onto each
 * (docs/station-mode.md). */
#ifndef SK_CMD_STATION_H
#define SK_CMD_STATION_H

int cmd_station(int argc, char **argv);

#endif
