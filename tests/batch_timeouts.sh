#!/usr/bin/env bash
# Time limits from station.json: a batch on a token whose key generation hangs (the fault
# module adds 3 s) stops each worker at the step's limit, names the limit, keeps the step
# in the ledger, and a re-run on a healthy token finishes every order exactly once on the
# token it started on. --order-timeout overrides the whole-order limit.
source "$SOURCE_DIR/tests/lib.sh"
: "${P11FAULT_SO:?run through ctest}"
st=$T/station
make_station "$st"
sed -i -e "s|\"pkcs11_module\": *\"[^\"]*\"|\"pkcs11_module\": \"$P11FAULT_SO\"|" \
    -e 's|"key_generated": 120|"key_generated": 1|' "$st/station.json"
check "station.json limits key generation to 1 s" grep -q '"key_generated": 1$' "$st/station.json"
export SEALKEY_OPERATOR=tester P11FAULT_MODULE=$SOFTHSM2_MODULE
sql() { sqlite3 "$st/ledger.sqlite" "$1"; }
expect_status 0 "ca init" -- "$SEALKEY" ca init --station "$st"
clone_orders 3 SLOW GCJS "$T/o"

P11FAULT_DELAY_MS=C_GenerateKeyPair:3000 expect_status 1 "batch on a hanging token" -- \
    "$SEALKEY" batch --station "$st" --orders "$T/o/orders.json" --jobs 2
for i in 0001 0002 0003; do
    expect_output "SLOW-$i FAILED \(token\): timed out: step key_generated took over 1 s \(timeouts.key_generated in station.json\); the order resumes on the next run" \
        "SLOW-$i stopped at the key generation limit"
done
expect_output "3 orders: 0 issued, 0 already issued, 3 failed" "summary counts the timeouts"
check "the ledger keeps the step each order reached" \
    test "$(sql "SELECT count(*) FROM issuances WHERE order_number LIKE 'SLOW-%' AND step='token_initialised'")" = 3
check "three tokens were started" test "$(softhsm2-util --show-slots | grep -c 'Label: *SLOW-')" = 3

expect_status 0 "re-run on a healthy token" -- \
    "$SEALKEY" batch --station "$st" --orders "$T/o/orders.json" --jobs 2
expect_output "3 orders: 3 issued" "all three issued on the re-run"
check "each order verified exactly once" \
    test "$(sql "SELECT count(*) FROM issuances WHERE order_number LIKE 'SLOW-%' AND step='verified'")" = 3
check "no new token: each order finished on its own" \
    test "$(softhsm2-util --show-slots | grep -c 'Label: *SLOW-')" = 3
check "no serial left reserved" \
    test "$(sql "SELECT count(*) FROM serials WHERE state='reserved'")" = 0

# The whole-order limit, from the command line.
clone_orders 1 LATE GCJS "$T/l"
P11FAULT_DELAY_MS=C_GenerateKeyPair:3000 expect_status 1 "--order-timeout 1" -- \
    "$SEALKEY" batch --station "$st" --orders "$T/l/orders.json" --order-timeout 1 --json
expect_output '"error": "timed out: the order took over 1 s \(--order-timeout\); the order resumes on the next run"' \
    "--order-timeout named in the JSON report"
expect_output '"failed": 1' "JSON summary counts it"
check "the --json report is one JSON document" python3 -m json.tool "$T/out" >/dev/null
# Reconcile names the order a time limit stopped; once re-run, every certificate signed
# along the way is live on one token or revoked.
expect_status 1 "ledger reconcile sees the stopped order" -- "$SEALKEY" ledger reconcile --station "$st"
expect_output "interrupted: order LATE-0001" "reconcile names the interrupted order"
expect_status 0 "re-run of the stopped order" -- "$SEALKEY" batch --station "$st" --orders "$T/l/orders.json"
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"
finish
