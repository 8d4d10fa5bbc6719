#!/bin/bash
# Issue 15: batch over soft SKF devices, crash resume at every step, and the fault tests
# (device removed mid-issuance, wrong PIN with retries left, full device).
. "$SOURCE_DIR/tests/lib.sh"
: "${SKFSOFT_MODULE:?run through ctest}"
ST=$T/st
export SKFSOFT_DIR=$T/skf
mkdir -p "$ST" "$SKFSOFT_DIR"
cat > "$ST/station.json" <<JSON
{
  "station_id": "SKF-02",
  "token_api": "skf",
  "skf_library": "$SKFSOFT_MODULE",
  "skf_auth_key": "file:dev-auth",
  "kmc": {"escrow_dir": "kmc", "escrow_secret": "file:kmc-secret"},
  "ca": {"name": "SM2 Demo CA", "key_algorithm": "sm2", "passphrase": "file:ca-pass"},
  "pin_policy": {"so_pin": "file:so-pin", "user_pin_retries": 3},
  "projects": [{"code": "GMSM", "name": "SM2 project", "key_algorithm": "sm2"}]
}
JSON
umask 077
printf '%s\n' 'so-pin-4711' > "$ST/so-pin"
printf '%s\n' 'sm2 ca passphrase' > "$ST/ca-pass"
printf '%s' '1234567812345678' > "$ST/dev-auth"
printf '%s\n' 'escrow secret' > "$ST/kmc-secret"
umask 022
"$SEALKEY" ca init --station "$ST" >/dev/null 2>&1 || fail "ca init"
clone_orders 4 SKFB GMSM "$T/o"
orders=$T/o/orders.json
db=$ST/ledger.sqlite
for i in 1 2 3 4; do mkdir "$SKFSOFT_DIR/dev$i"; done

# -- crash at every step (one worker), each re-run resumes on the device it stopped on
points="reserved token_init token_initialised keygen key_generated cert_signed cert_issued
        enc_cert_issued seals_made objects_written written outputs_written verified"
# The crash points are test hooks: a build without them (Release) runs the batch plainly.
have_test_hooks || points=
for p in $points; do
    rc=$( (SEALKEY_TEST_CRASH_AT=$p setsid "$SEALKEY" batch --station "$ST" --orders "$orders" \
        --jobs 1 >"$T/out" 2>&1; echo $?) 2>/dev/null)
    check "batch killed at $p (exit $rc)" test "$rc" -eq 137
done
expect_status 0 "the re-run finishes the batch (2 workers)" -- \
    "$SEALKEY" batch --station "$ST" --orders "$orders" --jobs 2
check "each order verified exactly once" test "$(sqlite3 "$db" "SELECT count(DISTINCT order_number) FROM issuances WHERE step='verified'")" = 4
check "no order verified twice" test "$(sqlite3 "$db" "SELECT count(*) FROM issuances WHERE step='verified'")" = 4
check "no serial left merely reserved" test "$(sqlite3 "$db" "SELECT count(*) FROM serials WHERE state='reserved'")" = 0
[ -z "$points" ] || check "the crash runs left failed attempts" test "$(sqlite3 "$db" "SELECT count(*) FROM issuances WHERE step='failed'")" -ge 10
check "four distinct devices hold the four orders" test "$(sqlite3 "$db" "SELECT count(DISTINCT token_serial) FROM issuances WHERE step='verified'")" = 4
for i in 1 2 3 4; do
    n=$(sed -n 's/^label=//p' "$SKFSOFT_DIR/dev$i/devinfo")
    c=$SKFSOFT_DIR/dev$i/apps/SEALKEY/con/sign
    check "dev$i: one application, complete ($n)" \
        test "$(ls "$SKFSOFT_DIR/dev$i/apps")" = SEALKEY -a -s "$c/sign.cer" -a -s "$c/enc.cer"
    openssl x509 -inform DER -in "$c/sign.cer" -out "$T/c.pem" 2>/dev/null
    check "dev$i: its certificate is out/$n/cert.pem" cmp -s "$T/c.pem" "$ST/out/$n/cert.pem"
done
expect_status 0 "audit log verifies after the crashes" -- "$SEALKEY" audit verify --station "$ST"
expect_status 0 "ledger reconcile after the crashes" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output 'clean' "clean"

# -- faults on single orders
clone_orders 3 SKFF GMSM "$T/f"
forders=$T/f/orders.json
# A full device: refused with the SKF code, recorded as failed, and redone once there is room.
mkdir "$SKFSOFT_DIR/full"
echo 6000 > "$SKFSOFT_DIR/full/capacity"
expect_status 5 "a full device" -- "$SEALKEY" issue --station "$ST" --orders "$forders" \
    --order SKFF-0001 --token skf:full
expect_output 'SAR_NO_ROOM' "names SAR_NO_ROOM"
check "the attempt is failed in the ledger" test "$(sqlite3 "$db" "SELECT step FROM issuances WHERE order_number='SKFF-0001' ORDER BY id DESC LIMIT 1")" = failed
rm "$SKFSOFT_DIR/full/capacity"
expect_status 0 "redone on the same device once it has room" -- \
    "$SEALKEY" issue --station "$ST" --orders "$forders" --order SKFF-0001
check "on the device that was full" test "$(sed -n 's/^label=//p' "$SKFSOFT_DIR/full/devinfo")" = SKFF-0001

# A device pulled in the middle (crash point keygen stands for the moment; the device goes
# while the process is stopped there): the re-run without it fails with SAR_DEVICE_REMOVED or
# no blank device, and resumes on it when it is back.
mkdir "$SKFSOFT_DIR/pull"
if have_test_hooks; then
rc=$( (SEALKEY_TEST_CRASH_AT=key_generated setsid "$SEALKEY" issue --station "$ST" --orders "$forders" \
    --order SKFF-0002 --token skf:pull >"$T/out" 2>&1; echo $?) 2>/dev/null)
check "killed at key_generated" test "$rc" -eq 137
mv "$SKFSOFT_DIR/pull" "$T/pulled"
expect_status 5 "the re-run without the device" -- "$SEALKEY" issue --station "$ST" --orders "$forders" \
    --order SKFF-0002 --token skf:pull
expect_output 'no SKF device matches' "says the device is not there"
mv "$T/pulled" "$SKFSOFT_DIR/pull"
expect_status 0 "resumes on the device when it is back" -- \
    "$SEALKEY" issue --station "$ST" --orders "$forders" --order SKFF-0002
check "issued on the pulled device" test "$(sed -n 's/^label=//p' "$SKFSOFT_DIR/pull/devinfo")" = SKFF-0002
else # no crash hook: the order goes onto that device plainly, for the PIN checks below
    expect_status 0 "issued on the device 'pull'" -- "$SEALKEY" issue --station "$ST" \
        --orders "$forders" --order SKFF-0002 --token skf:pull
fi

# A device pulled during key generation (keygen_ms: a slow device): SAR_DEVICE_REMOVED, exit
# 5, the attempt failed in the ledger; back in, the re-run redoes the order on it.
mkdir "$SKFSOFT_DIR/slow"
echo 1500 > "$SKFSOFT_DIR/slow/keygen_ms"
"$SEALKEY" issue --station "$ST" --orders "$forders" --order SKFF-0003 --token skf:slow >"$T/slow.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    [ -d "$SKFSOFT_DIR/slow/apps/SEALKEY/con/sign" ] && break
    sleep 0.05
done
mv "$SKFSOFT_DIR/slow" "$T/slow"
wait "$pid"
rc=$?
cp "$T/slow.out" "$T/out"
check "pulled during key generation: exit 5 (got $rc)" test "$rc" -eq 5
expect_output 'SKF_GenECCKeyPair: SAR_DEVICE_REMOVED' "names the SKF function and code"
check "the attempt is failed in the ledger" test "$(sqlite3 "$db" "SELECT step FROM issuances WHERE order_number='SKFF-0003' ORDER BY id DESC LIMIT 1")" = failed
rm "$T/slow/keygen_ms"
mv "$T/slow" "$SKFSOFT_DIR/slow"
expect_status 0 "redone on the device when it is back" -- \
    "$SEALKEY" issue --station "$ST" --orders "$forders" --order SKFF-0003
check "on the pulled device" test "$(sed -n 's/^label=//p' "$SKFSOFT_DIR/slow/devinfo")" = SKFF-0003

# A wrong PIN with retries left: seal sign refuses and says how many are left; the right PIN
# still works (the counter resets).
pin=$(sed -n 's/^user PIN: *//p' "$ST/out/SKFF-0002/pin-mailer.txt")
umask 077; printf '%s\n' "$pin" > "$T/pin"; printf '%s\n' 99999999 > "$T/bad"; umask 022
echo doc > "$T/doc.txt"
expect_status 6 "a wrong PIN" -- "$SEALKEY" seal sign --seal "$ST/out/SKFF-0002/official.esl" \
    --cert "$ST/out/SKFF-0002/cert.pem" --key skf:pull/SEALKEY/sign --module "$SKFSOFT_MODULE" \
    --key-pass "file:$T/bad" --in "$T/doc.txt" --out "$T/doc.sig"
expect_output '2 tries left|2 left|left: 2|2 retr' "two tries left of user_pin_retries 3"
expect_status 6 "a second wrong PIN: tried, one try left after it" -- \
    "$SEALKEY" seal sign --seal "$ST/out/SKFF-0002/official.esl" \
    --cert "$ST/out/SKFF-0002/cert.pem" --key skf:pull/SEALKEY/sign --module "$SKFSOFT_MODULE" \
    --key-pass "file:$T/bad" --in "$T/doc.txt" --out "$T/doc.sig"
expect_status 6 "even the right PIN is not tried on the last try" -- \
    "$SEALKEY" seal sign --seal "$ST/out/SKFF-0002/official.esl" \
    --cert "$ST/out/SKFF-0002/cert.pem" --key skf:pull/SEALKEY/sign --module "$SKFSOFT_MODULE" \
    --key-pass "file:$T/pin" --in "$T/doc.txt" --out "$T/doc.sig"
check "nothing written" [ ! -e "$T/doc.sig" ]
expect_status 0 "ledger reconcile after the faults" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output 'clean' "clean"
expect_output '7 SKF devices' "reconcile looked at the seven devices"

# -- reconcile reads the devices: a live order's device wiped is a finding
mv "$SKFSOFT_DIR/dev1/apps/SEALKEY" "$T/dev1-app"
expect_status 1 "reconcile finds the wiped device" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output 'token_wiped: .*live SKF device .* with no application' "names the wiped device"
mv "$T/dev1-app" "$SKFSOFT_DIR/dev1/apps/SEALKEY"
expect_status 0 "reconcile --no-tokens does not open the devices" -- \
    "$SEALKEY" ledger reconcile --station "$ST" --no-tokens
finish
