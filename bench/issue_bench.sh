#!/usr/bin/env bash
# Tokens per second on SoftHSM: sealkey vs the stock-tool pipeline vs the raw PKCS#11 floor.
#   bench/issue_bench.sh [N]        (default N=50; EC P-256 and RSA-2048, one run)
# sealkey:  one `sealkey issue` per order: ledger steps, CSR, certificate, CA chain, both
#           electronic seals (picture pipeline + SM2 signature), read-back verification
# stock:    softhsm2-util --init-token; pkcs11-tool --keypairgen; openssl req with the libp11
#           engine; openssl x509 -req; pkcs11-tool --write-object (certificate + CA certificate)
# floor:    bench/p11_floor: only the token work through raw PKCS#11, in one process
# Each method gets a fresh SoftHSM store, since SoftHSM's cost grows with its token count.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-50}
"$here/scripts/setup.sh" "$here/build" >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/sealkey-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$here/bench/lib.sh"
floor=$here/build/bench/p11_floor
bench_station
stock_setup

bench_sealkey() { # ALG PROJECT
    local alg=$1 proj=$2 prefix t0 t1
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-sk-$alg")"
    prefix=$(echo "B$alg" | tr a-z A-Z)
    make_orders "$proj" "$prefix" "$N" > "$W/orders-$alg.json"
    t0=$(now)
    for i in $(seq -f "%05g" 1 "$N"); do
        "$sealkey" issue --station "$st" --orders "$W/orders-$alg.json" --order "$prefix-$i" >/dev/null
    done
    t1=$(now)
    rate "$N" "$t0" "$t1"
}

bench_stock() { # ALG KEYTYPE
    local alg=$1 keytype=$2 t0 t1
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-stock-$alg")"
    t0=$(now)
    for i in $(seq -w 1 "$N"); do stock_issue "S$alg-$i" "$keytype"; done
    t1=$(now)
    rate "$N" "$t0" "$t1"
}

bench_floor() { # ALG
    eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-floor-$1")"
    "$floor" "$module" "$1" "$N" "$W/issuing.der" | sed -n 's/.*= \([0-9.]*\) tokens\/s.*/\1/p'
}

printf "%-10s %10s %10s %10s %14s %14s\n" "algorithm" "sealkey" "stock" "floor" "floor/sealkey" "sealkey/stock"
for spec in "ec-p256 GCJS EC:prime256v1" "rsa-2048 ZFCG rsa:2048"; do
    set -- $spec
    s=$(bench_sealkey "$1" "$2")
    k=$(bench_stock "$1" "$3")
    f=$(bench_floor "$1")
    printf "%-10s %8s/s %8s/s %8s/s %13sx %13sx\n" "$1" "$s" "$k" "$f" \
        "$(echo "scale=2; $f / $s" | bc)" "$(echo "scale=2; $s / $k" | bc)"
done
echo "(N=$N tokens per cell, tokens per second; SoftHSM $(softhsm2-util --version))"
