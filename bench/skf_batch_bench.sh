#!/usr/bin/env bash
# Per-token cost of `sealkey batch` on the soft SKF device (SM2, issue 15) beside SoftHSM
# (EC P-256): the whole issuance, seals and read-back included, N orders (default 20) with 1
# and 2 jobs; and with a KMC (dual certificates) on SKF.   bench/skf_batch_bench.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-20}
W=$(mktemp -d "${TMPDIR:-/tmp}/sealkey-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
source "$here/bench/lib.sh"
skfsoft=$here/build/tests/skfsoft/libskfsoft.so
[ -x "$sealkey" ] && [ -f "$skfsoft" ] || { echo "build first (cmake --build build)"; exit 2; }
bench_station

# An SKF station beside it: SM2 CA, the soft SKF library, N blank devices per run.
sst=$W/skf-station
mkdir -p "$sst"
umask 077
echo bench-so-pin > "$sst/so-pin"; echo bench-ca-pass > "$sst/ca-pass"
printf '%s' 1234567812345678 > "$sst/dev-auth"; echo bench-escrow > "$sst/kmc-secret"
umask 022
skf_json() { # $1: extra members
    cat > "$sst/station.json" <<JSON
{"station_id": "BENCH-SKF", "token_api": "skf", "skf_library": "$skfsoft",
 "skf_auth_key": "file:dev-auth", $1
 "ca": {"name": "Bench SM2 CA", "key_algorithm": "sm2", "passphrase": "file:ca-pass"},
 "pin_policy": {"so_pin": "file:so-pin"},
 "projects": [{"code": "GMSM", "name": "SM2", "key_algorithm": "sm2"}]}
JSON
}
skf_json ""
"$sealkey" ca init --station "$sst" >/dev/null

per_token() { echo "scale=3; ($3 - $2) / $1" | bc; }
echo "== sealkey batch, $n orders: seconds per token (whole issuance, seals, read-back)"
printf "%-34s %10s %10s\n" path "-j1" "-j2"
run_p11() {
    local row=() j
    for j in 1 2; do
        rm -rf "$st/ledger.sqlite"* "$st/out" "$st/audit."*
        make_orders GCJS "P$j" "$n" > "$W/p11.json"
        eval "$("$here/softhsm-config/new-store.sh" "$W/hsm-$j")"
        t0=$(now)
        "$sealkey" batch --station "$st" --orders "$W/p11.json" --jobs $j >"$W/log" || { tail -5 "$W/log"; exit 1; }
        row+=("$(per_token "$n" "$t0" "$(now)")")
    done
    printf "%-34s %10s %10s\n" "SoftHSM, EC P-256" "${row[@]}"
}
run_skf() { # $1 label, $2 extra station members
    local row=() j
    skf_json "$2"
    for j in 1 2; do
        rm -rf "$sst/ledger.sqlite"* "$sst/out" "$sst/audit."* "$sst/kmc" "$W/skf"
        mkdir -p "$W/skf"
        for i in $(seq 1 "$n"); do mkdir "$W/skf/dev$i"; done
        make_orders GMSM "S$j" "$n" > "$W/skf.json"
        t0=$(now)
        SKFSOFT_DIR=$W/skf "$sealkey" batch --station "$sst" --orders "$W/skf.json" --jobs $j \
            >"$W/log" || { tail -5 "$W/log"; exit 1; }
        row+=("$(per_token "$n" "$t0" "$(now)")")
    done
    printf "%-34s %10s %10s\n" "$1" "${row[@]}"
}
( cd "$W" && run_p11 )
( cd "$W" && run_skf "soft SKF, SM2" "" )
( cd "$W" && run_skf "soft SKF, SM2 + KMC (dual cert)" '"kmc": {"escrow_dir": "kmc", "escrow_secret": "file:kmc-secret"},' )
