/* Station config (issuer/station/station.h): station_load reads DIR/station.json. */
#include "fuzz/fuzz_util.h"
#include "issuer/station/station.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    station_config *st = NULL;
    sk_err e;

    sk_err_clear(&e);
    fuzz_write("station.json", data, size);
    if (station_load(fuzz_dir(), &st, &e) == SK_OK) {
        /* The lookups callers make right after loading. */
        (void)station_project_find(st, "GCJS");
        (void)station_reader_find(st, "Virtual PCD 00 00");
    }
    station_free(st);
    return 0;
}
