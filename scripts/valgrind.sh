#!/usr/bin/env bash
# The C test programs, and sealkey itself through one end-to-end issuance, under valgrind
# memcheck: any error or definite leak in sealkey's code fails the run. Suppressions for
# third-party libraries are in tests/valgrind.supp, each with its reason.
#   scripts/valgrind.sh [BUILD_DIR]     (default build/, built by scripts/setup.sh)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
command -v valgrind >/dev/null || { apt-get install -y -qq valgrind >/dev/null; }
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --suppressions="$here/tests/valgrind.supp" --child-silent-after-fork=yes)
export SOURCE_DIR=$here BUILD_DIR=$build SHARED_DIR=${SHARED_DIR:-$here/../shared}
export SOFTHSM2_MODULE=/usr/lib/softhsm/libsofthsm2.so
T=$(mktemp -d "${TMPDIR:-/tmp}/sealkey-vg.XXXXXX")
trap 'rm -rf "$T"' EXIT
eval "$("$here/softhsm-config/new-store.sh" "$T/hsm")"
passed=0
failed=0
run() {
    local name=$1; shift
    if "${vg[@]}" "$@" >"$T/$name.log" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); echo "valgrind: $name failed:"; tail -30 "$T/$name.log"
    fi
}
for t in test_util test_ledger test_orders_ids test_tok_uri test_ses test_pic test_audit \
         test_form_render test_tok; do
    [ -x "$build/tests/$t" ] && run "$t" "$build/tests/$t"
done
# One issuance end to end: CA, token, certificate, seals, verification.
st=$T/station
mkdir -p "$st"
cp "$here/examples/station.json" "$st/"
umask 077; echo vg-so-pin-1 > "$st/so-pin"; echo vg-ca-pass > "$st/ca-pass"; umask 022
run ca_init "$build/cli/sealkey" ca init --station "$st"
run issue "$build/cli/sealkey" issue --station "$st" --orders "$here/examples/orders.json" --order JX2026-000102
run seal_verify "$build/cli/sealkey" seal verify "$st/out/JX2026-000102/official.esl" --ca "$st/ca/seal-root.crt"
run status "$build/cli/sealkey" status --station "$st" --json
run audit "$build/cli/sealkey" audit verify --station "$st"
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
