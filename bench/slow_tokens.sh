#!/usr/bin/env bash
# A rack of slow tokens kept busy (issue 13, item 4).   bench/slow_tokens.sh [ORDERS_PER_JOB]
# The fault-injecting wrapper (tests/p11fault) makes SoftHSM as slow as a USB token: seconds
# to format in C_InitToken and to generate a key, a fraction of one per login, PIN setting
# and object write (delays below; override with SLOW_DELAYS in P11FAULT_DELAY_MS syntax).
# `sealkey batch --jobs N` for N = 1..4 on N x ORDERS_PER_JOB orders (default 2): throughput
# and its ratio to one job. Only the choice of a token is serialised, so N jobs must reach
# at least 0.9 x N times the throughput of one; the script exits 1 when one does not.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
per_job=${1:-2}
delays=${SLOW_DELAYS:-C_InitToken:3000,C_GenerateKeyPair:2000,C_Login:300,C_InitPIN:300,C_CreateObject:200}
"$here/scripts/setup.sh" "$here/build" >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/sealkey-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$here/bench/lib.sh"
bench_station
wrapper=$here/build/tests/p11fault/libp11fault.so
[ -f "$wrapper" ] || { echo "build the p11fault target first ($wrapper)" >&2; exit 2; }
sed -i "s|\"pkcs11_module\": \"[^\"]*\"|\"pkcs11_module\": \"$wrapper\"|" "$st/station.json"
export P11FAULT_MODULE=$module P11FAULT_DELAY_MS=$delays SEALKEY_OPERATOR=bench

echo "== slow tokens ($delays), $per_job orders per job"
printf "%5s %7s %9s %12s %9s %9s\n" jobs orders seconds "orders/min" ratio "need"
base=""
status=0
for n in 1 2 3 4; do
    orders=$((n * per_job))
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-slow-$n")"
    rm -rf "$st/ledger.sqlite"* "$st/out" "$st/audit."* "$st/token-claims"
    make_orders GCJS "SLOWJ$n" "$orders" > "$W/slow.json"
    t0=$(now)
    "$sealkey" batch --station "$st" --orders "$W/slow.json" --jobs "$n" > "$W/batch.log" ||
        { tail -5 "$W/batch.log"; exit 1; }
    t1=$(now)
    per_min=$(echo "scale=3; $orders * 60 / ($t1 - $t0)" | bc)
    [ -n "$base" ] || base=$per_min
    ratio=$(echo "scale=2; $per_min / $base" | bc)
    need=$(echo "scale=2; 0.9 * $n" | bc)
    verdict=ok
    if [ "$(echo "$ratio < $need" | bc)" = 1 ]; then verdict=SHORT; status=1; fi
    printf "%5d %7d %9.1f %12.2f %9s %9s %s\n" "$n" "$orders" "$(echo "$t1 - $t0" | bc)" "$per_min" "$ratio" "$need" "$verdict"
done
exit $status
