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

# SoftHSM keeps every token of a store in one directory and reads all of them at each
# C_Initialize, so one store of 1,000 tokens makes every process slower than the last
# (a worker held 207 MB at token 1,000). A station's rack holds a few dozen tokens, emptied
# as they are shipped: so the orders go through in racks of RACK (default 100) tokens, each
# on a fresh store, for sealkey and the stock pipeline alike. RACK=0: one store for all.
rack=${RACK:-100}
# racks N PREFIX: chunk files $W/rack-K.json of at most RACK orders (all N when RACK=0).
racks() {
    local n=$1 prefix=$2 size k=0 left=$1
    size=$(( rack > 0 ? rack : n ))
    rm -f "$W"/rack-*.json
    while [ "$left" -gt 0 ]; do
        k=$((k + 1))
        make_orders GCJS "$prefix-R$k" $(( left < size ? left : size )) > "$W/rack-$k.json"
        left=$(( left - size ))
    done
}
echo "== batch throughput (orders/s, EC P-256, seals included for sealkey; racks of ${rack:-all})"
printf "%8s %12s %12s %12s\n" orders "sealkey -j1" "sealkey -j2" stock
for n in $sizes; do
    row=()
    for j in 1 2; do
        rm -rf "$st/ledger.sqlite"* "$st/out" "$st/audit."*
        racks "$n" "BN$n-J$j"
        t0=$(now)
        for f in "$W"/rack-*.json; do
            eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-$(basename "$f" .json)-$j")"
            "$sealkey" batch --station "$st" --orders "$f" --jobs $j >"$W/batch.log" || { tail -5 "$W/batch.log"; exit 1; }
        done
        row+=("$(rate "$n" "$t0" "$(now)")")
        rm -rf "$W"/hsm-rack-*
    done
    # The stock pipeline, up to STOCK_MAX orders (default 1000), racked the same way.
    if [ "$n" -le "${STOCK_MAX:-1000}" ]; then
        size=$(( rack > 0 ? rack : n ))
        t0=$(now)
        for i in $(seq -w 1 "$n"); do
            if [ $(( (10#$i - 1) % size )) -eq 0 ]; then
                eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-s$n-$i")"
            fi
            stock_issue "S$n-$i" EC:prime256v1
        done
        row+=("$(rate "$n" "$t0" "$(now)")")
        rm -rf "$W"/hsm-s*
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
