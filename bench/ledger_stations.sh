#!/usr/bin/env bash
# Shared-ledger throughput: orders per second of `sealkey batch` with 1, 2 and 3 stations at
# once on one PostgreSQL ledger (fsync on), against one station on its SQLite ledger.
#   bench/ledger_stations.sh [ORDERS] [JOBS]     (default 24 orders, 2 jobs per station)
# Every station has its own SoftHSM store and the same issuing CA; all stations take the same
# order file and split it through their claims. Uses build/cli/sealkey (or $SEALKEY).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-24}
JOBS=${2:-2}
export SOURCE_DIR=$here
export SEALKEY=${SEALKEY:-$here/build/cli/sealkey}
[ -x "$SEALKEY" ] || "$here/scripts/setup.sh" "$here/build" >/dev/null
set +e
source "$here/tests/lib.sh"
PG_FSYNC=on source "$here/tests/pg_cluster.sh"
export PG_FSYNC=on
pg_cluster_start || exit 1
export SEALKEY_OPERATOR=bench

now() { date +%s.%N; }

# stations RUN COUNT LEDGER: COUNT fresh station dirs on LEDGER sharing one CA.
stations() {
    local run=$1 count=$2 ledger=$3 i
    for i in $(seq 1 "$count"); do
        local st=$T/$run/st$i
        make_station "$st"
        sed -i -e "s|\"ledger\": \"[^\"]*\"|\"ledger\": \"$ledger\"|" \
            -e "s|\"station_id\": \"[^\"]*\"|\"station_id\": \"B-$run-$i\"|" "$st/station.json"
        "$here/softhsm-config/new-store.sh" "$T/$run/hsm$i" > "$T/$run/hsm$i.env"
        if [ "$i" = 1 ]; then
            "$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || { echo "ca init failed"; exit 1; }
        else
            cp -r "$T/$run/st1/ca" "$st/"
        fi
    done
}

# run NAME COUNT LEDGER PREFIX: print orders/s of COUNT stations on one order file.
run() {
    local name=$1 count=$2 ledger=$3 prefix=$4 i t0 t1 pids=()
    mkdir -p "$T/$name"
    stations "$name" "$count" "$ledger"
    clone_orders "$N" "$prefix" GCJS "$T/$name/o"
    t0=$(now)
    for i in $(seq 1 "$count"); do
        ( eval "$(cat "$T/$name/hsm$i.env")"
          exec "$SEALKEY" batch --station "$T/$name/st$i" --orders "$T/$name/o/orders.json" \
              --jobs "$JOBS" ) >/dev/null 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || echo "  (a batch of $name exited $?)"; done
    t1=$(now)
    printf "%-34s %8d %10.2f %10.2f\n" "$name" "$N" "$(echo "$t1 - $t0" | bc)" \
        "$(echo "$N / ($t1 - $t0)" | bc -l)"
}

echo "== ledger throughput: $N orders, --jobs $JOBS per station, $(nproc) CPUs, SoftHSM, EC P-256"
printf "%-34s %8s %10s %10s\n" configuration orders seconds "orders/s"
run sqlite-1-station 1 ledger.sqlite SQ
for s in 1 2 3; do
    db=bench$s
    pg_sql "CREATE DATABASE $db" >/dev/null
    uri=${PG_URI%/*}/$db
    "$SEALKEY" ledger init --ledger "$uri" >/dev/null
    run "postgresql-$s-station" "$s" "$uri" "PG$s"
    check_n=$("$PG_BIN/psql" -qAtX "$uri" -c "SELECT count(*) FROM issuances WHERE step = 'verified'")
    [ "$check_n" = "$N" ] || echo "  !! $check_n of $N verified"
done
