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

# external_station ST EXT: make ST (make_station) a station with external signing (station.json
# ca.signing "external", docs/pki.md) whose CA is an openssl-made root and issuing CA in EXT
# (EXT/root.crt, issuing.crt and .key, leaf.ext for the certificates it signs), with its seal
# maker signed by an SM2 root there; ca request and ca import done. A station.json already in
# ST is kept (set its station_id first, say).
external_station() {
    local st=$1 ext=$2 id=distid:1234567812345678
    [ -e "$st/station.json" ] || make_station "$st"
    sed -i 's|"passphrase": "file:ca-pass",|"passphrase": "file:ca-pass", "signing": "external",|' "$st/station.json"
    mkdir -p "$ext"
    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$ext/ca.ext"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' > "$ext/leaf.ext"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ext/root.key" \
        -subj "/C=CN/O=Jiangxi Demo CA/CN=External Root" -days 7300 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -out "$ext/root.crt" 2>/dev/null &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ext/issuing.key" \
        -subj "/C=CN/O=Jiangxi Demo CA/CN=External Issuing CA" -out "$ext/issuing.csr" 2>/dev/null &&
    openssl x509 -req -in "$ext/issuing.csr" -CA "$ext/root.crt" -CAkey "$ext/root.key" -days 3650 \
        -extfile "$ext/ca.ext" -out "$ext/issuing.crt" 2>/dev/null &&
    openssl genpkey -algorithm SM2 -out "$ext/sm2root.key" 2>/dev/null &&
    openssl req -x509 -new -key "$ext/sm2root.key" -sm3 -sigopt $id -days 7300 \
        -subj "/O=Jiangxi Demo CA/CN=SM2 Seal Root" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign -out "$ext/sm2root.crt" 2>/dev/null &&
    "$SEALKEY" ca request --station "$st" >/dev/null 2>&1 &&
    openssl x509 -req -in "$st/ca/seal-maker.csr" -CA "$ext/sm2root.crt" -CAkey "$ext/sm2root.key" \
        -sm3 -sigopt $id -vfyopt $id -days 3650 -extfile "$ext/leaf.ext" \
        -out "$ext/seal-maker.crt" 2>/dev/null &&
    "$SEALKEY" ca import --station "$st" --cert "$ext/issuing.crt" --root "$ext/root.crt" \
        --seal-cert "$ext/seal-maker.crt" --seal-root "$ext/sm2root.crt" >/dev/null 2>&1 ||
        fail "external_station $st"
}
