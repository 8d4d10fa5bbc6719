/* Print the reader and card events pcsc_watch reports, one a line, for SECONDS seconds:
 * a probe for tests/station_vpcd.sh and for looking at a real station's readers. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pkcs11/pcsc_watch.h"

int main(int argc, char **argv)
{
    pcsc_watch *w = NULL;
    sk_err e;
    long seconds = argc > 1 ? strtol(argv[1], NULL, 10) : 5;
    time_t end = time(NULL) + seconds;
    int ret;

    sk_err_clear(&e);
    if ((ret = pcsc_watch_new(&w, &e)) != SK_OK)
        goto out;
    while (time(NULL) < end) {
        const pcsc_event *ev = NULL;
        size_t n = 0;
        if ((ret = pcsc_watch_wait(w, 200, &ev, &n, &e)) != SK_OK)
            goto out;
        for (size_t i = 0; i < n; i++)
            printf("%ld %s: %s\n", (long)time(NULL), pcsc_event_name(ev[i].kind), ev[i].reader);
        fflush(stdout);
    }
out:
    if (ret != SK_OK)
        fprintf(stderr, "station_watch: %s\n", e.msg);
    pcsc_watch_free(w);
    return ret;
}
