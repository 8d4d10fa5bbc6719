#!/usr/bin/env bash
# sealkey issue through libp11fault.so (docs/fault-injection.md): a full token, a token
# pulled out mid-issuance, a refused PIN and a slow key generation, each checked for exit
# status, message and what the ledger records.
source "$SOURCE_DIR/tests/lib.sh"
: "${P11FAULT_SO:?run through ctest}"
st=$T/station
make_station "$st"
# The station loads the wrapper, which forwards to SoftHSM.
sed -i "s|\"pkcs11_module\": *\"[^\"]*\"|\"pkcs11_module\": \"$P11FAULT_SO\"|" "$st/station.json"
orders=$SOURCE_DIR/examples/orders.json
export SEALKEY_OPERATOR=tester P11FAULT_MODULE=$SOFTHSM2_MODULE
mapfile -t nums < <(grep -o '"order_number": *"[^"]*"' "$orders" | sed 's/.*: *"\(.*\)"/\1/')
check "at least 5 example orders" test "${#nums[@]}" -ge 5

issue() { "$SEALKEY" issue --station "$st" --orders "$orders" --order "$@"; }
latest_step() { "$SEALKEY" status --station "$st" --order "$1" --json; }
# serial state and step history of the order's latest issuance
serial_state() {
    sqlite3 "$st/ledger.sqlite" "SELECT s.state FROM serials s JOIN issuances i ON i.id = s.issuance_id
        WHERE i.order_number = '$1' ORDER BY i.id DESC LIMIT 1"
}
steps() {
    sqlite3 "$st/ledger.sqlite" "SELECT group_concat(step, ' ') FROM (SELECT st.step FROM issuance_steps st
        WHERE st.issuance_id = (SELECT max(id) FROM issuances WHERE order_number = '$1') ORDER BY st.rowid)"
}

# The wrapper without faults is transparent, and its log names every call.
expect_status 0 "ca init" -- "$SEALKEY" ca init --station "$st"
start=$(date +%s%N)
P11FAULT_LOG=$T/calls.log expect_status 0 "issue ${nums[0]} through the wrapper" -- issue "${nums[0]}"
base_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_output "order ${nums[0]} issued" "issue through the wrapper reports success"
check "call log numbers every call" test "$(awk '$1 != NR' "$T/calls.log" | wc -l)" -eq 0
check "call log has C_GenerateKeyPair" grep -q " C_GenerateKeyPair 1 CKR_OK forwarded" "$T/calls.log"
check "nothing injected without rules" test "$(grep -c injected "$T/calls.log")" -eq 0

# A full token: key generation fails with CKR_DEVICE_MEMORY.
n=${nums[1]}
P11FAULT_FAIL=C_GenerateKeyPair:1:CKR_DEVICE_MEMORY expect_status 5 "full token" -- issue "$n"
expect_output "C_GenerateKeyPair: CKR_DEVICE_MEMORY \(token is full\)" "full token named"
expect_output "order $n" "full token: order named"
latest_step "$n" > "$T/out"
expect_output '"step": "failed"' "full token: issuance recorded as failed"
expect_output '"error": ".*token is full' "full token: reason in the ledger"
check "full token: serial void" test "$(serial_state "$n")" = void
check "full token: steps stop after token_initialised" \
    test "$(steps "$n")" = "reserved token_initialised failed"

# The token is pulled out while the certificate is written: from the first C_CreateObject
# on, every call fails as a removed token does.
n=${nums[2]}
P11FAULT_FAIL=C_CreateObject:1:CKR_DEVICE_REMOVED:sticky expect_status 5 "token removed" -- issue "$n"
expect_output "CKR_DEVICE_REMOVED \(token was removed\)" "removal named"
expect_output "C_CreateObject" "removal names the call"
latest_step "$n" > "$T/out"
expect_output '"step": "failed"' "removed token: issuance recorded as failed"
failed_token=$(sed -n 's/.*"token_serial": "\(.*\)".*/\1/p' "$T/out")
# How far it got: the certificate was signed, so its serial is spent, not void.
check "removed token: steps show how far it got" \
    test "$(steps "$n")" = "reserved token_initialised key_generated cert_issued failed" -o \
    "$(steps "$n")" = "reserved token_initialised key_generated cert_issued seals_made failed"
check "removed token: serial of the signed certificate is used" test "$(serial_state "$n")" = used
# Without faults the order goes through, on the same token: the failed attempt recorded it
# (and revoked its certificate, which was signed), and check_ledger resumes on it.
expect_status 0 "rerun after removal" -- issue "$n"
expect_output "order $n issued" "rerun reports success"
latest_step "$n" > "$T/out"
expect_output '"step": "verified"' "rerun verified"
"$SEALKEY" status --station "$st" --order "$n" --all > "$T/out"
expect_output "failed" "the failed attempt stays in the history"
check "removed token: the failed attempt knew its token" test -n "$failed_token"
check "removed token: the rerun resumed on it" \
    test "$(sqlite3 "$st/ledger.sqlite" "SELECT token_serial FROM issuances WHERE order_number = '$n' AND step = 'verified'")" = "$failed_token"
check "removed token: the failed attempt's certificate is revoked" \
    test "$(sqlite3 "$st/ledger.sqlite" "SELECT revocation_reason FROM issuances WHERE order_number = '$n' AND step = 'failed'")" = cessationOfOperation

# Wrong PIN: the SO login (first C_Login) and the user login (second) are refused.
n=${nums[3]}
P11FAULT_FAIL=C_Login:1:CKR_PIN_INCORRECT expect_status 6 "SO PIN refused" -- issue "$n"
expect_output "C_Login \(SO\): CKR_PIN_INCORRECT" "SO PIN refusal named"
latest_step "$n" > "$T/out"
expect_output '"step": "failed"' "SO PIN refused: recorded as failed"
check "SO PIN refused: serial void" test "$(serial_state "$n")" = void
n=${nums[4]}
P11FAULT_FAIL=C_Login:2:CKR_PIN_INCORRECT expect_status 6 "user PIN refused" -- issue "$n"
expect_output "C_Login: CKR_PIN_INCORRECT" "user PIN refusal named"
expect_no_output "so-pin-4711" "SO PIN not echoed"
latest_step "$n" > "$T/out"
expect_output '"step": "failed"' "user PIN refused: recorded as failed"
check "user PIN refused: serial void" test "$(serial_state "$n")" = void

# A slow token: 200 ms more for key generation. Only lower bounds are asserted, as a busy
# machine can only make things slower; the difference to the plain run is printed.
n=${nums[4]}
start=$(date +%s%N)
P11FAULT_DELAY_MS=C_GenerateKeyPair:200 expect_status 0 "slow key generation" -- issue "$n"
slow_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_output "order $n issued" "slow token: issued"
check "slow token: issue took >= 200 ms (took $slow_ms ms)" test "$slow_ms" -ge 200
echo "plain issue: $base_ms ms; with 200 ms on C_GenerateKeyPair: $slow_ms ms"
# After the faults: the certificate signed before the token was pulled must be revoked, and
# every token labelled with an order known to the ledger.
expect_status 0 "ledger reconcile after the faults" -- "$SEALKEY" ledger reconcile --station "$st"
finish
