#!/usr/bin/env bash
# What issuance refuses, with which exit status and message, and what the ledger records.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
orders=$SOURCE_DIR/examples/orders.json
first=$(grep -o '"order_number": *"[^"]*"' "$orders" | head -1 | sed 's/.*: *"\(.*\)"/\1/')
second=$(grep -o '"order_number": *"[^"]*"' "$orders" | sed -n 2p | sed 's/.*: *"\(.*\)"/\1/')
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"

expect_status 2 "missing --order" -- "$SEALKEY" issue --station "$st" --orders "$orders"
expect_status 3 "unknown order" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order NOPE-1
expect_output "no order NOPE-1" "unknown order named"
expect_status 3 "missing order file" -- "$SEALKEY" issue --station "$st" --orders "$T/none.json" --order "$first"
expect_output "none.json" "missing file named"

# An order that is not approved is refused before any token is touched.
sed "0,/\"approved\"/s//\"pending\"/" "$orders" > "$T/pending.json"
mkdir -p "$T/scans" && cp -r "$SOURCE_DIR/examples/scans" "$T/" 2>/dev/null
expect_status 3 "order not approved" -- "$SEALKEY" issue --station "$st" --orders "$T/pending.json" --order "$first"
expect_output "approved" "not-approved reason given"

# A secret given in place of a source is refused without echoing it.
expect_status 3 "bad CA passphrase source" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$first" --ca-pass hunter2
expect_no_output "hunter2" "secret not echoed"

# Wrong CA passphrase: refused before the ledger is touched.
printf 'wrong\n' > "$T/wrong-pass"
expect_status 6 "wrong CA passphrase" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$first" --ca-pass "file:$T/wrong-pass"
expect_output "passphrase" "wrong passphrase named"

expect_status 0 "first issue" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$first"
expect_status 4 "already issued" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$first"
expect_output "already issued" "already-issued reason"
expect_output "--reissue" "already-issued hint"

# Another order's live token is not erased, even with --reinit (issue 11; tests/lifecycle.sh).
expect_status 4 "another order's live token" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token "pkcs11:token=$first" --reinit
expect_output "live token of order $first" "live-token reason"
# A token that is already personalised (here by hand, unknown to the ledger) is not erased
# unless asked.
softhsm2-util --init-token --free --label spare --so-pin so-pin-4711 --pin 123456 >/dev/null 2>&1 || fail "spare token"
expect_status 4 "token already initialised" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token "pkcs11:token=spare"
expect_output "already initialised" "initialised-token reason"

# Wrong SO PIN on --reinit: the token refuses, the ledger records the failure, serial voided.
cp "$st/so-pin" "$T/so-pin.good"
printf 'not-the-so-pin\n' > "$st/so-pin"
expect_status 6 "wrong SO PIN" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token "pkcs11:token=spare" --reinit
expect_output "C_InitToken" "wrong SO PIN names the call"
expect_no_output "not-the-so-pin" "SO PIN not echoed"
cp "$T/so-pin.good" "$st/so-pin"
"$SEALKEY" status --station "$st" --order "$second" --json > "$T/out"
expect_output '"step": "failed"' "failed issuance recorded"
sqlite3 "$st/ledger.sqlite" "SELECT state FROM serials s JOIN issuances i ON i.id = s.issuance_id WHERE i.order_number = '$second'" > "$T/out"
expect_output "^void$" "serial of the failed issuance is void"

# The same order then goes through on a fresh token.
expect_status 0 "retry after failure" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second"

# Reissue: a replacement token with a new certificate; the old issuance is superseded.
old_serial=$(openssl x509 -in "$st/out/$first/cert.pem" -noout -serial)
expect_status 0 "reissue" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$first" --reissue
new_serial=$(openssl x509 -in "$st/out/$first/cert.pem" -noout -serial)
check "reissue has a new serial" test "$old_serial" != "$new_serial"
"$SEALKEY" status --station "$st" --order "$first" --all > "$T/out"
expect_output "superseded" "old issuance superseded"

# A given user PIN is used, and never printed.
printf '24681357\n' > "$T/pin"
third=$(grep -o '"order_number": *"[^"]*"' "$orders" | sed -n 3p | sed 's/.*: *"\(.*\)"/\1/')
expect_status 0 "issue with given PIN" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$third" --user-pin "file:$T/pin"
expect_no_output "24681357" "given PIN not printed"
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$third" --login --pin 24681357 --list-objects >"$T/out" 2>&1
expect_output "Certificate Object" "token opens with the given PIN"
# Every certificate signed along the way is live on one token or revoked.
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"
finish
