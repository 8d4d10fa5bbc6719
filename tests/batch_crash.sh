#!/usr/bin/env bash
# Kill the batch with SIGKILL at every step of the issuance state machine in turn (and at
# random moments), re-run, and prove: each order issued exactly once, every reserved serial
# used or void, every token complete and verified, no stray tokens.
source "$SOURCE_DIR/tests/lib.sh"
require_test_hooks  # SEALKEY_TEST_CRASH_AT
st=$T/station
make_station "$st"
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
clone_orders 16 CRASH GCJS "$T/o"
orders=$T/o/orders.json

points="reserved token_init token_initialised keygen key_generated cert_signed cert_issued
        seals_made objects_written written outputs_written verified"
for p in $points; do
    # setsid: the crash kills the batch's whole process group, not this script.
    # (in a subshell whose stderr is dropped, so bash's "Killed" notice does not clutter the log)
    rc=$( (SEALKEY_TEST_CRASH_AT=$p setsid "$SEALKEY" batch --station "$st" --orders "$orders" \
        --jobs 1 >"$T/out" 2>&1; echo $?) 2>/dev/null)
    check "batch killed at $p (exit $rc)" test "$rc" -eq 137
done
# Random moments, two workers at a time.
for delay in 0.3 0.7 0.5; do
    setsid "$SEALKEY" batch --station "$st" --orders "$orders" --jobs 2 >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 -- -"$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done

expect_status 0 "the re-run finishes the job" -- "$SEALKEY" batch --station "$st" --orders "$orders" --jobs 2
db=$st/ledger.sqlite
check "each order verified exactly once" test "$(sqlite3 "$db" "SELECT count(*) FROM (SELECT order_number FROM issuances WHERE step='verified' GROUP BY order_number HAVING count(*) = 1)")" = 16
check "no order verified twice" test "$(sqlite3 "$db" "SELECT count(*) FROM issuances WHERE step='verified'")" = 16
check "no issuance left in flight" test "$(sqlite3 "$db" "SELECT count(*) FROM issuances WHERE step NOT IN ('verified','failed')")" = 0
check "no serial left merely reserved" test "$(sqlite3 "$db" "SELECT count(*) FROM serials WHERE state='reserved'")" = 0
check "every verified issuance's serial is used" test "$(sqlite3 "$db" "SELECT count(*) FROM serials s JOIN issuances i ON i.id=s.issuance_id WHERE i.step='verified' AND s.state='used'")" = 16
check "serials unique" test "$(sqlite3 "$db" "SELECT count(*) - count(DISTINCT serial) FROM serials")" = 0
check "the crash runs left failed attempts on record" test "$(sqlite3 "$db" "SELECT count(*) FROM issuances WHERE step='failed'")" -ge 10
# The audit trail survived the kills intact and tells the same story.
expect_status 0 "audit log verifies after the crashes" -- "$SEALKEY" audit verify --station "$st"
# A kill between a step's ledger commit and its audit record loses that record (docs/audit.md):
# never two 'verified' records for an order, and at most one lost per random kill and worker.
verified_records=$(grep -c '"event":"verified"' "$st/audit.log")
check "audit records 'verified' for every order but those a kill cut off ($verified_records)" \
    test "$verified_records" -le 16 -a "$verified_records" -ge 10
check "no order has two 'verified' audit records" test -z "$(grep '"event":"verified"' "$st/audit.log" | grep -o '"order":"[^"]*"' | sort | uniq -d)"
check "audit records the interrupted attempts" test "$(grep -c '"event":"issuance_failed"' "$st/audit.log")" -ge 10
# Tokens: one per order, each holding what the ledger says.
check "exactly one token per order, no strays" test "$(softhsm2-util --show-slots | grep -c 'Label: *CRASH-')" = 16
for i in $(seq -f "%04g" 1 16); do
    n=CRASH-$i
    pin=$(sed -n 's/^user PIN: *//p' "$st/out/$n/pin-mailer.txt")
    serial=$(sqlite3 "$db" "SELECT token_serial FROM issuances WHERE order_number='$n' AND step='verified'")
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$n" --login --pin "$pin" --list-objects >"$T/objs" 2>&1
    check "$n token opens with its mailer PIN and holds a private key" grep -q "Private Key Object" "$T/objs"
    check "$n token holds both seals" test "$(grep -c 'Data object' "$T/objs")" = 2
    check "$n token holds certificate + 2 CA certificates" test "$(grep -c 'Certificate Object' "$T/objs")" = 3
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$n" --read-object --type cert --label "$n signing key" -o "$T/c.der" >/dev/null 2>&1
    openssl x509 -inform DER -in "$T/c.der" -out "$T/c.pem" 2>/dev/null
    check "$n certificate on the token is the ledger's" cmp -s "$T/c.pem" "$st/out/$n/cert.pem"
    softhsm2-util --show-slots | grep -B3 "Label: *$n *$" | grep -q "$serial" || fail "$n token serial matches the ledger"
done
# Whatever the kills left: every certificate signed is live or revoked, no attempt is left
# interrupted, every token labelled with an order is the ledger's, the audit log is whole.
expect_status 0 "ledger reconcile after the crashes" -- "$SEALKEY" ledger reconcile --station "$st"
finish
