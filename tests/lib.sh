# Sourced by the shell tests. Gives each test a scratch directory, a throwaway SoftHSM store
# and small assertion helpers; the closing line is ctest-readable.
set -uo pipefail
: "${SEALKEY:?run through ctest}" "${SOURCE_DIR:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/sealkey-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
# SEALKEY_VALGRIND=1: every sealkey run of the test goes through valgrind memcheck
# (tests/valgrind-sealkey); one log per process in $T/valgrind, checked by finish().
if [ "${SEALKEY_VALGRIND:-0}" = 1 ]; then
    export SEALKEY_VALGRIND_BIN=$SEALKEY SEALKEY_VALGRIND_LOGS=$T/valgrind
    export SEALKEY=$SOURCE_DIR/tests/valgrind-sealkey
    mkdir -p "$SEALKEY_VALGRIND_LOGS"
fi
eval "$("$SOURCE_DIR/softhsm-config/new-store.sh" "$T/hsm")"
export SOFTHSM2_MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
PASSED=0
FAILED=0

ok()   { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }

# expect_status WANT DESCRIPTION -- command...   (stdout+stderr kept in $T/out)
expect_status() {
    local want=$1 what=$2; shift 3
    "$@" >"$T/out" 2>&1
    local got=$?
    if [ "$got" -eq "$want" ]; then ok; else fail "$what: exit $got, want $want"; sed 's/^/    /' "$T/out" >&2; fi
}
# expect_output PATTERN DESCRIPTION   (grep -E on the last command's output)
expect_output() {
    if grep -Eq -- "$1" "$T/out"; then ok; else fail "$2: output lacks /$1/"; sed 's/^/    /' "$T/out" >&2; fi
}
expect_no_output() {
    if grep -Eq -- "$1" "$T/out"; then fail "$2: output has /$1/"; sed 's/^/    /' "$T/out" >&2; else ok; fi
}
check() { local what=$1; shift; if "$@"; then ok; else fail "$what"; fi; }

# A station directory with the example config and a SoftHSM-backed module, with the SO PIN
# and CA passphrase in files (mode 0600) that the config names.
make_station() {
    local st=$1
    mkdir -p "$st"
    cp "$SOURCE_DIR/examples/station.json" "$st/station.json"
    umask 077
    printf '%s\n' 'so-pin-4711' > "$st/so-pin"
    printf '%s\n' 'ca passphrase for tests' > "$st/ca-pass"
    umask 022
}

finish() {
    local log
    for log in "${SEALKEY_VALGRIND_LOGS:-/nonexistent}"/*.log; do
        [ -s "$log" ] || continue
        fail "valgrind: sealkey $(cat "${log%.log}.cmd" 2>/dev/null || echo "(a forked worker, pid $(basename "$log" .log))")"
        sed 's/^/    /' "$log" >&2
    done
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# clone_orders COUNT PREFIX PROJECT DIR: DIR/orders.json with COUNT copies of the first example
# order numbered PREFIX-0001.., and the example scans beside it.
clone_orders() {
    local count=$1 prefix=$2 proj=$3 dir=$4 first i
    mkdir -p "$dir"
    cp -r "$SOURCE_DIR/examples/scans" "$dir/"
    first=$(awk '/^  \{/{d=1} d{print} /^  \}/{exit}' "$SOURCE_DIR/examples/orders.json" | sed '$ s/},$/}/')
    {
        echo "["
        for i in $(seq -f "%04g" 1 "$count"); do
            [ "$i" = 0001 ] || echo ","
            echo "$first" | sed -e "s/\"order_number\": \"[^\"]*\"/\"order_number\": \"$prefix-$i\"/" \
                -e "s/\"project_code\": \"[^\"]*\"/\"project_code\": \"$proj\"/"
        done
        echo "]"
    } > "$dir/orders.json"
}

# require_test_hooks: a test that needs the test-only hooks (SEALKEY_TEST_CRASH_AT,
# SEALKEY_TEST_STOP_BEFORE_EXIT) skips, saying why, when the binary was built without them
# (CMake SEALKEY_TEST_HOOKS=OFF: Release and packagers' builds); ctest counts it as skipped
# (exit 77). A test build says so in its version line.
have_test_hooks() {
    "${SEALKEY_VALGRIND_BIN:-$SEALKEY}" --version 2>/dev/null | grep -q "test build: SEALKEY_TEST_\* hooks"
}
require_test_hooks() {
    have_test_hooks && return 0
    echo "SKIPPED: $(basename "$0") needs the test-only hooks; this sealkey was built without" \
        "them (cmake -DSEALKEY_TEST_HOOKS=ON for the whole suite)"
    exit 77
}
