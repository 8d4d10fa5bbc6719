/* Station mode on SKF devices (issue 15): device insertions and removals from the vendor
 * library's SKF_WaitForDevEvent, as the same event stream pkcs11/pcsc_watch.h gives for card
 * readers, so the station loop (sup_station.c) runs unchanged. Each SKF device is both the
 * "reader" (its SKF_EnumDev name) and the card: an insertion is reported as reader added +
 * card inserted, a removal as card removed + reader removed; devices present at the start are
 * reported as inserted. Nothing here prints. */
#ifndef SK_SUP_SKF_WATCH_H
#define SK_SUP_SKF_WATCH_H

#include <stddef.h>

#include "pkcs11/pcsc_watch.h"
#include "util/sk_err.h"

typedef struct sup_skf_watch sup_skf_watch;

/* Load the library (its own handle) and start waiting for device events in a watcher
 * process (not a thread: the station forks its workers, docs/station-mode.md). */
int sup_skf_watch_new(const char *library, sup_skf_watch **out, sk_err *e);
/* End the watcher process, reap it, unload. */
void sup_skf_watch_free(sup_skf_watch *w);

/* As pcsc_watch_wait: up to timeout_ms for events; *ev valid until the next call. An error of
 * the watcher's wait (the library's) is returned here. */
int sup_skf_watch_wait(sup_skf_watch *w, unsigned long timeout_ms, const pcsc_event **ev,
                       size_t *n, sk_err *e);

#endif
