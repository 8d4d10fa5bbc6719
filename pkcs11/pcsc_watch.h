/* Watching card readers over pcsc-lite: readers coming and going (hot-plug) and cards being
 * inserted and removed, as a stream of events. Nothing here prints.
 *
 * One SCardGetStatusChange over every reader plus the "\\?PnP?\Notification" entry, each
 * entry's dwEventState carried into the next call's dwCurrentState (../shared/PKCS11-NOTES.md).
 * Readers present at the first call are reported as added, and cards already in them as
 * inserted, so a station started with tokens in its readers sees them. A card pulled and
 * put back between two calls is caught by the event counter in dwEventState's high word
 * and reported as a removal followed by an insertion. If pcscd stops, its readers are
 * reported removed and the watch reconnects when it is back. */
#ifndef SK_PCSC_WATCH_H
#define SK_PCSC_WATCH_H

#include <stddef.h>

#include "util/sk_err.h"

#define PCSC_READER_NAME_MAX 128 /* pcsc-lite's MAX_READERNAME, NUL included */
#define PCSC_MAX_READERS 64

typedef struct pcsc_watch pcsc_watch;

typedef enum pcsc_event_kind {
    PCSC_READER_ADDED,
    PCSC_READER_REMOVED,
    PCSC_CARD_INSERTED,
    PCSC_CARD_REMOVED,
} pcsc_event_kind;

typedef struct pcsc_event {
    pcsc_event_kind kind;
    char reader[PCSC_READER_NAME_MAX];
} pcsc_event;

/* Connect to pcscd. SK_ETOKEN when pcscd does not answer (the message says so). */
int pcsc_watch_new(pcsc_watch **out, sk_err *e);
void pcsc_watch_free(pcsc_watch *w);

/* Wait up to timeout_ms for changes. *ev points to *n events, valid until the next call;
 * *n is 0 on a timeout. Only unexpected pcsc-lite answers are errors (SK_ETOKEN, naming the
 * function and the SCARD_* code). */
int pcsc_watch_wait(pcsc_watch *w, unsigned long timeout_ms, const pcsc_event **ev, size_t *n,
                    sk_err *e);

/* "inserted", "removed", ... for messages. */
const char *pcsc_event_name(pcsc_event_kind k);

#endif
