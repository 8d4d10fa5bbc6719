#!/usr/bin/env bash
# Batch throughput on SoftHSM and how jobs scale when the token is slow (memory against the
# file size: bench/batch_memory.sh).   bench/batch_bench.sh [N...]   (default: 100 1000)
# 1. `sealkey batch` on N orders with 1 and 2 jobs vs the stock-tool pipeline on the same N.
# 2. With the fault-injecting wrapper adding 2 s to every key generation (a real token's
#    speed), 6 orders with 1, 2 and 3 jobs.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
sizes=${*:-100 1000}
"$here/scripts/setup.sh" "$here/build" >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/sealkey-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$here/bench/lib.sh"
bench_station
stock_setup

echo "== batch throughput (orders/s, EC P-256, seals included for sealkey)"
printf "%8s %12s %12s %12s\n" orders "sealkey -j1" "sealkey -j2" stock
for n in $sizes; do
    row=()
    for j in 1 2; do
        eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-b$n-$j")"
        rm -rf "$st/ledger.sqlite"* "$st/out" "$st/audit."*
        make_orders GCJS "BN$n" "$n" > "$W/orders.json"
        t0=$(now)
        "$sealkey" batch --station "$st" --orders "$W/orders.json" --jobs $j >/dev/null
        row+=("$(rate "$n" "$t0" "$(now)")")
    done
    # The stock pipeline's rate does not depend on the batch size; time it up to STOCK_MAX.
    if [ "$n" -le "${STOCK_MAX:-100}" ]; then
        eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-s$n")"
        t0=$(now)
        for i in $(seq -w 1 "$n"); do stock_issue "S$n-$i" EC:prime256v1; done
        row+=("$(rate "$n" "$t0" "$(now)")")
    else
        row+=("-")
    fi
    printf "%8s %12s %12s %12s\n" "$n" "${row[@]}"
done

# Memory against the file size: bench/batch_memory.sh.

echo "== slow token (2 s per key generation through libp11fault), 6 orders"
wrapper=$here/build/tests/p11fault/libp11fault.so
sed "s|\"pkcs11_module\": \"[^\"]*\"|\"pkcs11_module\": \"$wrapper\"|" "$here/examples/station.json" > "$st/station.json"
for j in 1 2 3; do
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-slow-$j")"
    rm -rf "$st/ledger.sqlite"* "$st/out" "$st/audit."*
    make_orders GCJS "SLOW$j" 6 > "$W/slow.json"
    t0=$(now)
    P11FAULT_DELAY_MS="C_GenerateKeyPair:2000" "$sealkey" batch --station "$st" --orders "$W/slow.json" --jobs $j >/dev/null
    printf "  jobs %d: %s orders/s\n" "$j" "$(rate 6 "$t0" "$(now)")"
done
cp "$here/examples/station.json" "$st/station.json"
