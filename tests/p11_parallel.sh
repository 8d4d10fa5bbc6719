#!/usr/bin/env bash
# Issue 13, item 4: only the choice of a token is serialised. Four jobs on slow tokens (the
# fault module adds 2 s to every C_InitToken) must run their initialisations at the same
# time: the wrapper's call log, one line per call with its pid and wall-clock span, shows
# four C_InitToken calls of four processes that all overlap. Before, tokens.lock was held
# through C_InitToken and the four ran one after another (8 s). Every order still ends on a
# token of its own, exactly once.
source "$SOURCE_DIR/tests/lib.sh"
: "${P11FAULT_SO:?run through ctest}"
st=$T/station
make_station "$st"
sed -i "s|\"pkcs11_module\": *\"[^\"]*\"|\"pkcs11_module\": \"$P11FAULT_SO\"|" "$st/station.json"
export SEALKEY_OPERATOR=tester P11FAULT_MODULE=$SOFTHSM2_MODULE
sql() { sqlite3 "$st/ledger.sqlite" "$1"; }
expect_status 0 "ca init" -- "$SEALKEY" ca init --station "$st"
clone_orders 4 PAR GCJS "$T/o"

P11FAULT_LOG=$T/calls.log P11FAULT_DELAY_MS=C_InitToken:2000 expect_status 0 "batch of 4 on slow tokens" -- \
    "$SEALKEY" batch --station "$st" --orders "$T/o/orders.json" --jobs 4
expect_output "4 orders: 4 issued" "all four issued"
awk '$2 == "C_InitToken" && $4 == "CKR_OK"' "$T/calls.log" > "$T/inits"
check "four C_InitToken calls, by four processes" \
    test "$(wc -l < "$T/inits")" = 4 -a "$(awk '{print $6}' "$T/inits" | sort -u | wc -l)" = 4
# All four overlap when the last one started before the first one ended.
overlap() {
    awk 'NR == 1 || $7 > s {s = $7} NR == 1 || $8 < f {f = $8}
         END {printf "last C_InitToken start %s, first end %s\n", s, f; exit !(s < f)}' "$T/inits"
}
if overlap > "$T/out"; then ok; else fail "the four C_InitToken calls do not overlap: $(cat "$T/out")"; sed 's/^/    /' "$T/inits" >&2; fi
check "each order verified exactly once" \
    test "$(sql "SELECT count(*) FROM issuances WHERE order_number LIKE 'PAR-%' AND step='verified'")" = 4
check "four tokens, four serials" \
    test "$(sql "SELECT count(DISTINCT token_serial) FROM issuances WHERE step='verified'")" = 4
check "each labelled with its order" test "$(softhsm2-util --show-slots | grep -c 'Label: *PAR-')" = 4
check "no claim left behind" test -z "$(ls -A "$st/token-claims" 2>/dev/null)"

# A token another process has claimed (here: its claim file held by flock(1)) is refused at
# once with exit status 11 (busy), before anything is recorded for the order.
softhsm2-util --init-token --free --label spare --so-pin so-pin-4711 --pin 123456 >/dev/null 2>&1 || fail "spare token"
serial=$(pkcs11-tool --module "$SOFTHSM2_MODULE" -L 2>/dev/null | awk '/token label *: spare/ {f=1} f && /serial num/ {print $NF; exit}')
check "spare token has a serial" test -n "$serial"
mkdir -p "$st/token-claims"
claim=$st/token-claims/$(printf '%s' "$serial" | od -An -tx1 | tr -d ' \n').lock
(exec 9>"$claim" && flock 9 && exec sleep 30) &
holder=$!
for _ in $(seq 50); do flock -n "$claim" true 2>/dev/null || break; sleep 0.1; done
clone_orders 1 CLM GCJS "$T/c"
expect_status 11 "a token claimed by another process" -- "$SEALKEY" issue --station "$st" --orders "$T/c/orders.json" --order CLM-0001 --token "pkcs11:token=spare" --reinit
expect_output "token serial $serial is being issued onto by another process" "claim named"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
check "nothing recorded for the refused order" test "$(sql "SELECT count(*) FROM issuances WHERE order_number = 'CLM-0001'")" = 0
finish
