/* Reader and card events over pcsc-lite (see pcsc_watch.h). */
#include "pkcs11/pcsc_watch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <winscard.h>

#define PNP_READER "\\\\?PnP?\\Notification"
/* Per call: a reader can at most be removed with its card, or have its card pulled and put
 * back, and new readers are added; four per reader is room enough. */
#define MAX_EVENTS (4 * PCSC_MAX_READERS)

struct reader {
    char name[PCSC_READER_NAME_MAX];
    DWORD state;        /* the last dwEventState, given back as dwCurrentState */
    bool present;       /* a card is in it, as last reported */
    bool seen;          /* its state has been read at least once */
    unsigned counter;   /* pcsc-lite's card event counter (high word of the state) */
};

struct pcsc_watch {
    SCARDCONTEXT ctx;
    bool connected;
    bool relist;        /* the reader list may have changed */
    DWORD pnp_state;
    struct reader r[PCSC_MAX_READERS];
    size_t n;
    pcsc_event ev[MAX_EVENTS];
    size_t nev;
};

const char *pcsc_event_name(pcsc_event_kind k)
{
    switch (k) {
    case PCSC_READER_ADDED: return "reader added";
    case PCSC_READER_REMOVED: return "reader removed";
    case PCSC_CARD_INSERTED: return "card inserted";
    case PCSC_CARD_REMOVED: return "card removed";
    }
    return "?";
}

static void push(pcsc_watch *w, pcsc_event_kind k, const char *reader)
{
    if (w->nev >= MAX_EVENTS)
        return;
    /* reader may be a name inside *w, hence the copy by length rather than snprintf. */
    size_t len = strnlen(reader, PCSC_READER_NAME_MAX - 1);
    w->ev[w->nev].kind = k;
    memmove(w->ev[w->nev].reader, reader, len);
    w->ev[w->nev].reader[len] = '\0';
    w->nev++;
}

static int pcsc_fail(sk_err *e, const char *fn, LONG rv)
{
    return sk_err_set(e, SK_ETOKEN, "pcsc-lite: %s: %s (0x%08lx)", fn, pcsc_stringify_error(rv),
                      (unsigned long)rv);
}

/* pcscd went away (stopped, restarted): every reader is gone with its card. */
static bool service_lost(LONG rv)
{
    return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
           rv == SCARD_E_INVALID_HANDLE || rv == SCARD_F_COMM_ERROR;
}

static void drop_reader(pcsc_watch *w, size_t i)
{
    if (w->r[i].present)
        push(w, PCSC_CARD_REMOVED, w->r[i].name);
    push(w, PCSC_READER_REMOVED, w->r[i].name);
    w->r[i] = w->r[--w->n];
}

static void disconnect(pcsc_watch *w)
{
    while (w->n > 0)
        drop_reader(w, w->n - 1);
    if (w->connected)
        SCardReleaseContext(w->ctx);
    w->connected = false;
    w->pnp_state = SCARD_STATE_UNAWARE;
}

static int connect_pcscd(pcsc_watch *w, sk_err *e)
{
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &w->ctx);

    if (rv != SCARD_S_SUCCESS)
        return sk_err_set(e, SK_ETOKEN, "pcsc-lite: cannot reach pcscd (is it running?): %s",
                          pcsc_stringify_error(rv));
    w->connected = true;
    w->relist = true;
    w->pnp_state = SCARD_STATE_UNAWARE;
    return SK_OK;
}

/* The reader names, a multi-string, into *out (malloc'd); NULL when there are none. */
static LONG list_readers(pcsc_watch *w, char **out)
{
    LONG rv = SCARD_E_INSUFFICIENT_BUFFER;

    *out = NULL;
    /* The list can grow between the size query and the read: try again then. */
    for (int tries = 0; tries < 3 && rv == SCARD_E_INSUFFICIENT_BUFFER; tries++) {
        DWORD len = 0;
        free(*out);
        *out = NULL;
        rv = SCardListReaders(w->ctx, NULL, NULL, &len);
        if (rv != SCARD_S_SUCCESS || len == 0)
            break;
        if ((*out = calloc(1, (size_t)len + 1)) == NULL)
            return SCARD_E_NO_MEMORY;
        rv = SCardListReaders(w->ctx, NULL, *out, &len);
    }
    if (rv == SCARD_E_NO_READERS_AVAILABLE)
        rv = SCARD_S_SUCCESS;
    if (rv != SCARD_S_SUCCESS) {
        free(*out);
        *out = NULL;
    }
    return rv;
}

static bool in_list(const char *list, const char *name)
{
    for (const char *p = list; p != NULL && *p != '\0'; p += strlen(p) + 1)
        if (strcmp(p, name) == 0)
            return true;
    return false;
}

static LONG relist(pcsc_watch *w)
{
    char *names = NULL;
    LONG rv = list_readers(w, &names);

    if (rv != SCARD_S_SUCCESS)
        return rv;
    w->relist = false;
    for (size_t i = w->n; i-- > 0;)
        if (!in_list(names, w->r[i].name))
            drop_reader(w, i);
    for (const char *p = names; p != NULL && *p != '\0'; p += strlen(p) + 1) {
        bool known = false;
        for (size_t i = 0; i < w->n && !known; i++)
            known = strcmp(w->r[i].name, p) == 0;
        if (known || w->n >= PCSC_MAX_READERS || strlen(p) >= PCSC_READER_NAME_MAX)
            continue;
        struct reader *r = &w->r[w->n++];
        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", p);
        r->state = SCARD_STATE_UNAWARE; /* answered at once with the reader's state */
        push(w, PCSC_READER_ADDED, r->name);
    }
    free(names);
    return SCARD_S_SUCCESS;
}

static void note_state(pcsc_watch *w, struct reader *r, DWORD ev)
{
    bool now = (ev & SCARD_STATE_PRESENT) != 0;
    unsigned counter = (unsigned)((ev >> 16) & 0xffff);

    if (ev & (SCARD_STATE_UNKNOWN | SCARD_STATE_IGNORE)) {
        w->relist = true; /* the reader went away; relist reports it */
        return;
    }
    if (r->seen && r->present && now && counter != r->counter) {
        /* Pulled and put back between two calls: the operator swapped tokens. */
        push(w, PCSC_CARD_REMOVED, r->name);
        push(w, PCSC_CARD_INSERTED, r->name);
    } else if (now != r->present) {
        push(w, now ? PCSC_CARD_INSERTED : PCSC_CARD_REMOVED, r->name);
    }
    r->present = now;
    r->counter = counter;
    r->seen = true;
    r->state = ev;
}

static void nap(unsigned long ms)
{
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

int pcsc_watch_new(pcsc_watch **out, sk_err *e)
{
    pcsc_watch *w = calloc(1, sizeof(*w));
    int ret;

    *out = NULL;
    if (w == NULL)
        return sk_err_set(e, SK_EINTERNAL, "out of memory");
    if ((ret = connect_pcscd(w, e)) != SK_OK) {
        free(w);
        return ret;
    }
    *out = w;
    return SK_OK;
}

void pcsc_watch_free(pcsc_watch *w)
{
    if (w == NULL)
        return;
    if (w->connected)
        SCardReleaseContext(w->ctx);
    free(w);
}

int pcsc_watch_wait(pcsc_watch *w, unsigned long timeout_ms, const pcsc_event **ev, size_t *n,
                    sk_err *e)
{
    SCARD_READERSTATE st[PCSC_MAX_READERS + 1];
    const char *fn = "SCardListReaders";
    LONG rv = SCARD_S_SUCCESS;
    sk_err ignored;
    int ret = SK_OK;

    w->nev = 0;
    *ev = w->ev;
    *n = 0;
    /* pcscd is being restarted: try again at the next call rather than fail. */
    if (!w->connected && connect_pcscd(w, &ignored) != SK_OK) {
        nap(timeout_ms);
        goto out;
    }
    if (w->relist)
        rv = relist(w);
    if (rv == SCARD_S_SUCCESS) {
        memset(st, 0, sizeof(st));
        for (size_t i = 0; i < w->n; i++) {
            st[i].szReader = w->r[i].name;
            st[i].dwCurrentState = w->r[i].state;
        }
        st[w->n].szReader = PNP_READER;
        st[w->n].dwCurrentState = w->pnp_state;
        fn = "SCardGetStatusChange";
        /* Readers just added are reported now; their cards come with the next answer. */
        rv = SCardGetStatusChange(w->ctx, w->nev > 0 ? 0 : (DWORD)timeout_ms, st,
                                  (DWORD)(w->n + 1));
    }
    if (rv == SCARD_S_SUCCESS && strcmp(fn, "SCardGetStatusChange") == 0) {
        size_t nr = w->n;
        for (size_t i = 0; i < nr; i++)
            if (st[i].dwEventState & SCARD_STATE_CHANGED)
                note_state(w, &w->r[i], st[i].dwEventState);
        if (st[nr].dwEventState & SCARD_STATE_CHANGED) {
            w->pnp_state = st[nr].dwEventState;
            w->relist = true;
        }
        if (w->relist) {
            fn = "SCardListReaders";
            rv = relist(w);
        }
    } else if (rv == SCARD_E_UNKNOWN_READER) {
        w->relist = true;
        rv = SCARD_S_SUCCESS;
    } else if (rv == SCARD_E_NO_READERS_AVAILABLE) {
        /* Older pcsc-lite answers at once when there is no reader: do not spin. */
        w->relist = true;
        nap(timeout_ms);
        rv = SCARD_S_SUCCESS;
    } else if (rv == SCARD_E_TIMEOUT || rv == SCARD_E_CANCELLED) {
        rv = SCARD_S_SUCCESS;
    }
    if (service_lost(rv)) {
        disconnect(w);
        rv = SCARD_S_SUCCESS;
    }
    if (rv != SCARD_S_SUCCESS)
        ret = pcsc_fail(e, fn, rv);
out:
    *n = w->nev;
    return ret;
}
