#!/usr/bin/env bash
# Memory of `sealkey batch` against the size of the order file: it must stay flat.
#   bench/batch_memory.sh [N...]     (default: 100 1000 10000 50000)
# 1. Peak RSS of --dry-run (both passes over the file, validation, ledger lookups) per N.
# 2. A real run (2 jobs) on 100 and on 10,000 orders, stopped after RUN_SECONDS (default 30):
#    the batch process's own peak RSS (VmHWM; the workers are separate processes, each with
#    its token module loaded, and do not depend on the file).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sizes=${*:-100 1000 10000 50000}
secs=${RUN_SECONDS:-30}
"$here/scripts/setup.sh" "$here/build" >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/sealkey-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$here/bench/lib.sh"
bench_station

# orders N PREFIX: N copies of the first example order in one awk pass (make_orders runs sed
# per order, too slow for 50,000).
orders() {
    awk '/^  \{/{d=1} d{print} /^  \}/{exit}' "$here/examples/orders.json" | sed '$ s/},$/}/' |
        awk -v n="$1" -v p="$2" '{ t = t $0 "\n" } END {
            print "["
            for (i = 1; i <= n; i++) {
                o = t; sub(/"order_number": "[^"]*"/, sprintf("\"order_number\": \"%s-%06d\"", p, i), o)
                printf "%s%s", o, (i < n ? ",\n" : "\n")
            }
            print "]" }'
}

echo "== peak RSS of sealkey batch --dry-run"
printf "%8s %10s %12s\n" orders "file KiB" "peak KiB"
for n in $sizes; do
    orders "$n" MEM > "$W/mem.json"
    kb=$( { /usr/bin/time -f %M "$sealkey" batch --station "$st" --orders "$W/mem.json" --dry-run >/dev/null; } 2>&1 | tail -1)
    printf "%8s %10s %12s\n" "$n" "$(( $(stat -c %s "$W/mem.json") / 1024 ))" "$kb"
done

echo "== the batch process's peak RSS while issuing (2 jobs, stopped after ${secs} s)"
printf "%8s %10s %12s\n" orders issued "peak KiB"
for n in 100 10000; do
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-run$n")"
    rm -rf "$st/ledger.sqlite"* "$st/out" "$st/audit."*
    orders "$n" RUN$n > "$W/run.json"
    # Blank tokens for the run: SoftHSM keeps one free slot; sealkey initialises it.
    "$sealkey" batch --station "$st" --orders "$W/run.json" --jobs 2 >/dev/null 2>&1 &
    pid=$!
    hwm=0
    end=$(( $(date +%s) + secs ))
    while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do
        h=$(awk '/^VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        [ "${h:-0}" -gt "$hwm" ] && hwm=$h
        sleep 0.2
    done
    # SIGKILL like a power cut: a re-run would resume; here the store is thrown away.
    { pkill -KILL -P "$pid"; kill -KILL "$pid"; wait "$pid"; } 2>/dev/null || true
    done_n=$(sqlite3 "$st/ledger.sqlite" "SELECT count(*) FROM issuances WHERE step='verified'" 2>/dev/null || echo "?")
    printf "%8s %10s %12s\n" "$n" "$done_n" "$hwm"
done
