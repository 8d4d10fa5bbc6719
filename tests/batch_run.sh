#!/usr/bin/env bash
# A batch issues every valid order, two at a time, reports the bad ones without stopping, and
# a second run finds nothing left to do.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
clone_orders 8 BATCH GCJS "$T/o"
# Order 3 gets a bad USCC check character, order 5 a scan of the wrong kind of seal.
awk 'BEGIN{n=0} /"order_number"/{n++} n==3 && /"uscc"/ && !done {sub(/"uscc": "[^"]*"/, "\"uscc\": \"91360100MA35G8K21X\""); done=1} {print}' \
    "$T/o/orders.json" > "$T/o/tmp.json" && mv "$T/o/tmp.json" "$T/o/orders.json"
cp "$T/o/scans/JX2026-000102-legal-rep.jpg" "$T/o/scans/square.jpg"
awk 'BEGIN{n=0} /"order_number"/{n++} n==5 && /"official":/ {sub(/"official": "[^"]*"/, "\"official\": \"scans/square.jpg\"")} {print}' \
    "$T/o/orders.json" > "$T/o/tmp.json" && mv "$T/o/tmp.json" "$T/o/orders.json"

expect_status 1 "batch with two bad orders" -- "$SEALKEY" batch --station "$st" --orders "$T/o/orders.json" --jobs 2
expect_output "BATCH-0003 FAILED \(input\): .*unit.uscc" "bad USCC reported with its field"
expect_output "BATCH-0005 FAILED \(input\): .*seal_scans.official" "bad scan reported with its field"
expect_output "8 orders: 6 issued, 0 already issued, 2 failed" "summary counts"
for i in 0001 0002 0004 0006 0007 0008; do
    expect_output "BATCH-$i issued: token [0-9a-f]+, certificate [0-9A-F]+" "BATCH-$i issued"
    check "BATCH-$i has its certificate" test -s "$st/out/BATCH-$i/cert.pem"
done
check "no output for the bad-scan order" test ! -e "$st/out/BATCH-0005/cert.pem"
check "the bad-scan order used no serial" test "$(sqlite3 "$st/ledger.sqlite" "SELECT count(*) FROM issuances WHERE order_number='BATCH-0005'")" = 0

# A re-run issues nothing twice.
expect_status 1 "second run" -- "$SEALKEY" batch --station "$st" --orders "$T/o/orders.json" --json
expect_output '"already_issued": 6' "second run finds the six done"
expect_output '"issued": 0' "second run issues nothing"
check "the --json report is one JSON document" python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r["orders"]) == 8' "$T/out"
check "six tokens in all" test "$(softhsm2-util --show-slots | grep -c 'Label: *BATCH-')" = 6
check "one verified issuance per order" test "$(sqlite3 "$st/ledger.sqlite" "SELECT count(DISTINCT order_number) FROM issuances WHERE step='verified'")" = 6
# Two batches at once on one station and file: the claims split the orders between them.
clone_orders 10 TWIN GCJS "$T/t"
"$SEALKEY" batch --station "$st" --orders "$T/t/orders.json" --jobs 2 > "$T/a.out" 2>&1 &
a=$!
"$SEALKEY" batch --station "$st" --orders "$T/t/orders.json" --jobs 2 > "$T/b.out" 2>&1
rb=$?
wait "$a"
ra=$?
check "both concurrent batches succeed ($ra, $rb)" test "$ra" -eq 0 -a "$rb" -eq 0
[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] || { sed 's/^/    a: /' "$T/a.out"; sed 's/^/    b: /' "$T/b.out"; }
check "each of the 10 orders verified exactly once" test "$(sqlite3 "$st/ledger.sqlite" "SELECT count(*) FROM issuances WHERE order_number LIKE 'TWIN-%' AND step='verified'")" = 10
check "no failed attempts from the race" test "$(sqlite3 "$st/ledger.sqlite" "SELECT count(*) FROM issuances WHERE order_number LIKE 'TWIN-%' AND step='failed'")" = 0
check "10 tokens for 10 orders" test "$(softhsm2-util --show-slots | grep -c 'Label: *TWIN-')" = 10
expect_status 2 "bad --jobs" -- "$SEALKEY" batch --station "$st" --orders "$T/o/orders.json" --jobs 0
# Refused orders and two racing batches leave every certificate and token accounted for.
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"
finish
