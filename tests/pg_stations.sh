#!/usr/bin/env bash
# Three stations, one shared PostgreSQL ledger, one issuing CA, a SoftHSM store each (their
# own readers), run `sealkey batch` on the same 30 orders at once: the orders are split
# between them, each issued exactly once, serials unique, and the audit log verifies per
# station and as a whole.
source "$SOURCE_DIR/tests/lib.sh"
source "$SOURCE_DIR/tests/pg_cluster.sh"
pg_cluster_start || { echo "cannot start PostgreSQL"; exit 1; }
export SEALKEY_OPERATOR=tester
N=30
STATIONS="1 2 3"

for i in $STATIONS; do
    st=$T/st$i
    make_station "$st"
    sed -i -e "s|\"ledger\": \"[^\"]*\"|\"ledger\": \"$PG_URI\"|" \
        -e "s|\"station_id\": \"[^\"]*\"|\"station_id\": \"JX-NC-0$i\"|" "$st/station.json"
    "$SOURCE_DIR/softhsm-config/new-store.sh" "$T/hsm$i" > "$T/hsm$i.env"
done
expect_status 0 "ledger init" -- "$SEALKEY" ledger init --station "$T/st1"
expect_status 0 "ca init on station 1" -- "$SEALKEY" ca init --station "$T/st1"
# One issuing CA for all: "serials unique per issuer" must span the stations.
for i in 2 3; do cp -r "$T/st1/ca" "$T/st$i/"; done
clone_orders $N SHARED GCJS "$T/o"

pids=()
for i in $STATIONS; do
    ( eval "$(cat "$T/hsm$i.env")"
      exec "$SEALKEY" batch --station "$T/st$i" --orders "$T/o/orders.json" --jobs 2 --json ) \
        > "$T/b$i.json" 2> "$T/b$i.err" &
    pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs="$rcs $?"; done
check "every batch succeeds (exit$rcs)" test "$rcs" = " 0 0 0"
for i in $STATIONS; do cat "$T/b$i.err" >&2; done

issued=0
for i in $STATIONS; do
    n=$(grep -o '"issued": [0-9]*' "$T/b$i.json" | grep -o '[0-9]*$')
    echo "station $i issued $n"
    issued=$((issued + n))
    check "station $i reported nothing failed" test "$(grep -o '"failed": [0-9]*' "$T/b$i.json" | grep -o '[0-9]*$')" = 0
done
check "the stations together issued $N ($issued)" test "$issued" = $N
check "each order verified exactly once" test "$(pg_sql "SELECT count(*) FROM (SELECT order_number FROM issuances WHERE step = 'verified' GROUP BY order_number HAVING count(*) = 1) o")" = $N
check "no attempt lost to the race" test "$(pg_sql "SELECT count(*) FROM issuances WHERE step <> 'verified'")" = 0
check "serials unique" test "$(pg_sql "SELECT count(DISTINCT (issuer_id, cert_serial)) FROM issuances")" = $N
check "every serial used" test "$(pg_sql "SELECT count(*) FROM serials WHERE state = 'used'")" = $N
check "one issuer" test "$(pg_sql "SELECT count(DISTINCT issuer_id) FROM issuances")" = 1
check "work was shared: more than one station issued" test "$(pg_sql "SELECT count(DISTINCT station_id) FROM issuances")" -ge 2
tokens=0
for i in $STATIONS; do
    t=$(SOFTHSM2_CONF=$T/hsm$i/softhsm2.conf softhsm2-util --show-slots | grep -c 'Label: *SHARED-')
    check "station $i made a token per issuance" test "$t" = "$(pg_sql "SELECT count(*) FROM issuances WHERE station_id = 'JX-NC-0$i'")"
    tokens=$((tokens + t))
done
check "$N tokens in all ($tokens)" test "$tokens" = $N
for i in $STATIONS; do
    expect_status 0 "audit verify of station $i" -- "$SEALKEY" audit verify --station "$T/st$i"
done
expect_status 0 "audit verifies as a whole" -- "$SEALKEY" ledger audit-verify --station "$T/st1"
expect_output "records of 3 stations, chains intact" "three chains"
# The invariant holds on the shared ledger, seen from each station with its own tokens.
for i in $STATIONS; do
    expect_status 0 "reconcile at station $i" -- env SOFTHSM2_CONF="$T/hsm$i/softhsm2.conf" \
        "$SEALKEY" ledger reconcile --station "$T/st$i"
    expect_output "$N issuances, $N serials, $N certificates signed \($N live, 0 revoked\), 0 being issued, [0-9]+ tokens, [0-9]+ audit records: clean" "station $i: clean"
done
# A station's audit records deleted together with its head row: the certificates the ledger
# holds that station signed still show its log was not empty.
busy=$(pg_sql "SELECT station_id FROM issuances GROUP BY station_id ORDER BY count(*) DESC, station_id LIMIT 1")
certs=$(pg_sql "SELECT count(*) FROM issuances WHERE station_id = '$busy'")
i=${busy#JX-NC-0}
pg_sql "DELETE FROM audit_records WHERE station = '$busy'; DELETE FROM audit_heads WHERE station = '$busy'"
expect_status 1 "audit verify: $busy's records and head deleted" -- "$SEALKEY" audit verify --station "$T/st$i"
expect_output "audit log of station $busy has no records, but the ledger holds $certs certificates that station signed" "deletion named"
expect_status 1 "audit-verify of the whole log finds it too" -- "$SEALKEY" ledger audit-verify --station "$T/st1"
expect_output "station $busy has no records" "station named"
expect_status 1 "reconcile finds it" -- "$SEALKEY" ledger reconcile --station "$T/st1" --no-tokens
expect_output "^audit: .*station $busy has no records" "reconcile names it"
finish
