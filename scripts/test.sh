#!/usr/bin/env bash
# Set up and run the whole test suite: plain build, then again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then under valgrind memcheck the C tests, one issuance and the
# shell tests chosen in scripts/valgrind.sh (bad inputs, issuance refusals, seals, audit), then
# a short libFuzzer run of every parser harness. Exits non-zero if any of them fails.
#   scripts/test.sh --release: instead, the suite on a Release build as packages make it
#   (build-release: -O2, warnings as errors, no test hooks; the tests that need the hooks
#   report themselves skipped, saying why).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--release" ]; then
    "$here/scripts/setup.sh" --release "$here/build-release"
    echo "== tests (Release build)"
    cd "$here/build-release" && exec ctest --output-on-failure -j"$(nproc)"
fi
"$here/scripts/setup.sh" "$here/build"
"$here/scripts/setup.sh" --sanitize "$here/build-asan"

jobs=$(nproc)
status=0
echo "== tests (plain build)"
(cd "$here/build" && ctest --output-on-failure -j"$jobs") || status=1
echo "== tests (ASan + UBSan build)"
# Leaks inside third-party modules (SoftHSM, libp11) are suppressed in tests/lsan.supp,
# each entry with its reason; our own code is never suppressed.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
[ -f "$here/tests/lsan.supp" ] && export LSAN_OPTIONS=suppressions=$here/tests/lsan.supp
(cd "$here/build-asan" && ctest --output-on-failure -j"$jobs") || status=1
echo "== valgrind memcheck (C tests, one issuance, the chosen shell tests)"
"$here/scripts/valgrind.sh" "$here/build" || status=1
# Every parser of outside data under libFuzzer for a short while, so regressions surface;
# SEALKEY_FUZZ_SECONDS=0 skips it (a developer's quick run).
secs=${SEALKEY_FUZZ_SECONDS:-8}
fuzz_status=0
if [ "$secs" -gt 0 ]; then
    echo "== fuzzing (${secs} s per harness)"
    "$here/bench/fuzz.sh" "$secs" || fuzz_status=1
fi
# A short random run can find something new on any day; it is reported loudly here, and the
# input must then be fixed and kept in tests/fuzz-regress/, whose replay above is strict.
# SEALKEY_FUZZ_STRICT=1 makes a finding fail this script too.
if [ "$fuzz_status" -ne 0 ]; then
    echo "== FUZZING FOUND A CRASH: see build-fuzz/crashes; keep the input in tests/fuzz-regress/"
    [ "${SEALKEY_FUZZ_STRICT:-0}" = 1 ] && status=1
fi
# One closing line over the stages (plain suite, sanitizer suite, valgrind, fuzzing).
echo "== test.sh: $(( status == 0 ? 4 : 3 )) passed, $(( status == 0 ? 0 : 1 )) failed"
exit $status
