#!/bin/bash
# Build the libFuzzer harnesses with clang in build-fuzz and run each for SECONDS (default 60)
# from its seed corpus, one per core at a time (FUZZ_PARALLEL). Prints execs and execs/s per
# harness and any crash; exits non-zero if any harness crashed, leaked, hit UB or timed out.
#
#   bench/fuzz.sh [SECONDS] [HARNESS...]      e.g. bench/fuzz.sh 30   (CI), bench/fuzz.sh 60 ses
#
# Seeds: fuzz/corpus/<h>/ (committed) plus tests/data, examples and tests/data/eseal
# where they fit a harness. The growing corpus lives in build-fuzz/corpus/<h>/ and is kept
# between runs; crash inputs land in build-fuzz/crashes/<h>/ -- keep each one, once fixed, in
# tests/fuzz-regress/<h>/ so ctest replays it.
set -u
SECS=${1:-60}
shift $(( $# > 0 ? 1 : 0 ))
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$SRC/build-fuzz}
export TMPDIR=${TMPDIR:-$SRC/build-fuzz/tmp}
ALL="order station form_template ses cert pic form_extract tok_uri secret_src audit time"
HARNESSES=${*:-$ALL}

mkdir -p "$BUILD" "$TMPDIR"
# Others' code is built with clang here too; its warnings are not what this run is about.
CC=clang cmake -S "$SRC" -B "$BUILD" -DSEALKEY_FUZZ=ON -DSEALKEY_WERROR=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/configure.log" 2>&1 ||
    { cat "$BUILD/configure.log"; exit 2; }
targets=""
for h in $HARNESSES; do targets="$targets fuzz_$h"; done
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$(nproc)" --target $targets >"$BUILD/build.log" 2>&1 ||
    { tail -40 "$BUILD/build.log"; exit 2; }

# Extra seeds from the tree, copied (not linked) so libFuzzer may rewrite the corpus dir.
seed_extra() {
    local h=$1 dir=$2
    case $h in
    order) cp "$SRC"/examples/orders*.json "$SRC"/tests/data/orders/*.json "$dir"/ 2>/dev/null ;;
    station) cp "$SRC"/examples/station.json "$dir"/ 2>/dev/null ;;
    form_template) cp "$SRC"/templates/*.json "$dir"/ 2>/dev/null ;;
    ses) cp "$SRC"/tests/data/eseal/*.esl "$dir"/ 2>/dev/null ;;
    esac
    return 0
}

# One harness: its line of the table goes to logs/<h>.result, its exit status is the fuzzer's.
run_one() {
    local h=$1 corpus=$BUILD/corpus/$1 crashes=$BUILD/crashes/$1 log=$BUILD/logs/$1.log
    local dict=() maxlen=() status execs rate cov result
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    [ -d "$SRC/fuzz/corpus/$h" ] && cp -n "$SRC/fuzz/corpus/$h"/* "$corpus"/ 2>/dev/null
    seed_extra "$h" "$corpus"
    [ -f "$SRC/fuzz/$h.dict" ] && dict=(-dict="$SRC/fuzz/$h.dict")
    # pic and form_extract decode images: larger inputs, and Leptonica may take a while.
    case $h in
    pic | form_extract) maxlen=(-max_len=262144 -timeout=25) ;;
    *) maxlen=(-max_len=65536 -timeout=10) ;;
    esac
    # One process, one worker (libFuzzer's default): -jobs/-workers would fork children that
    # log to ./fuzz-N.log instead.
    "$BUILD/fuzz/fuzz_$h" "$corpus" "${dict[@]}" "${maxlen[@]}" -max_total_time="$SECS" \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$crashes/" >"$log" 2>&1
    status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        result="CRASH (exit $status): $(ls -t "$crashes" | head -1)"
    fi
    printf '%-14s %10s %8s %8s  %s\n' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$result" \
        > "$BUILD/logs/$h.result"
    if [ "$status" -ne 0 ]; then
        grep -E -m1 -A12 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log" |
            sed 's/^/    /' >> "$BUILD/logs/$h.result"
    fi
    return "$status"
}

# FUZZ_PARALLEL harnesses at once (default: one per core); each is one process.
par=${FUZZ_PARALLEL:-$(nproc)}
rc=0
total_start=$(date +%s)
printf '%-14s %10s %8s %8s  %s\n' harness execs exec/s cov result
for h in $HARNESSES; do
    rm -f "$BUILD/logs/$h.result"
    run_one "$h" &
    while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n; done
done
wait
for h in $HARNESSES; do
    if [ -f "$BUILD/logs/$h.result" ]; then
        cat "$BUILD/logs/$h.result"
        grep -q "CRASH" "$BUILD/logs/$h.result" && rc=1
    else
        printf '%-14s %10s %8s %8s  %s\n' "$h" "?" "?" "?" "no result"
        rc=1
    fi
done
echo "total $(($(date +%s) - total_start)) s; logs in $BUILD/logs, crashes in $BUILD/crashes"
exit $rc
