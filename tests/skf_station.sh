#!/bin/bash
# Issue 15: station mode on SKF devices: SKF_WaitForDevEvent's insertions start issuances
# (a device present at the start, and one inserted later), each onto the device that came.
. "$SOURCE_DIR/tests/lib.sh"
: "${SKFSOFT_MODULE:?run through ctest}"
ST=$T/st
export SKFSOFT_DIR=$T/skf
mkdir -p "$ST" "$SKFSOFT_DIR"
cat > "$ST/station.json" <<JSON
{
  "station_id": "SKF-03",
  "token_api": "skf",
  "skf_library": "$SKFSOFT_MODULE",
  "skf_auth_key": "file:dev-auth",
  "ca": {"name": "SM2 Demo CA", "key_algorithm": "sm2", "passphrase": "file:ca-pass"},
  "pin_policy": {"so_pin": "file:so-pin"},
  "projects": [{"code": "GMSM", "name": "SM2 project", "key_algorithm": "sm2"}],
  "readers": {"usbkey": "reader"}
}
JSON
umask 077
printf '%s\n' 'so-pin-4711' > "$ST/so-pin"
printf '%s\n' 'sm2 ca passphrase' > "$ST/ca-pass"
printf '%s' '1234567812345678' > "$ST/dev-auth"
umask 022
"$SEALKEY" ca init --station "$ST" >/dev/null 2>&1 || fail "ca init"
clone_orders 2 SKFS GMSM "$T/o"
mkdir "$SKFSOFT_DIR/usbkey-1"
"$SEALKEY" station --station "$ST" --orders "$T/o/orders.json" --exit-when-done --timeout 60 \
    >"$T/station.out" 2>&1 &
pid=$!
# The second device arrives once the first is issued.
for _ in $(seq 1 150); do
    [ -d "$SKFSOFT_DIR/usbkey-1/apps/SEALKEY/con/sign" ] && grep -q 'SKFS-0001 done' "$T/station.out" && break
    sleep 0.1
done
mkdir "$SKFSOFT_DIR/usbkey-2"
wait "$pid"
rc=$?
cp "$T/station.out" "$T/out"
check "station exits 0 when the queue is empty (exit $rc)" test "$rc" -eq 0
check "the device present at the start got the first order" \
    test "$(sed -n 's/^label=//p' "$SKFSOFT_DIR/usbkey-1/devinfo")" = SKFS-0001
check "the device inserted later got the second" \
    test "$(sed -n 's/^label=//p' "$SKFSOFT_DIR/usbkey-2/devinfo")" = SKFS-0002
check "both verified" test "$(sqlite3 "$ST/ledger.sqlite" "SELECT count(*) FROM issuances WHERE step='verified'")" = 2
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output 'clean' "clean"
# A device pulled while its key is being made (the soft device's keygen_ms: a slow device):
# SKF_WaitForDevEvent reports the removal, the issuance is stopped and the order goes back to
# the queue; when the device is back, its order resumes on it and is issued.
clone_orders 1 SKFP GMSM "$T/p"
mkdir -p "$T/shipped"
mv "$SKFSOFT_DIR/usbkey-1" "$SKFSOFT_DIR/usbkey-2" "$T/shipped/" # the issued tokens left
mkdir "$SKFSOFT_DIR/usbkey-3"
echo 5000 > "$SKFSOFT_DIR/usbkey-3/keygen_ms"
"$SEALKEY" station --station "$ST" --orders "$T/p/orders.json" --exit-when-done --timeout 60 \
    >"$T/station2.out" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
    [ -d "$SKFSOFT_DIR/usbkey-3/apps/SEALKEY/con/sign" ] && break
    sleep 0.1
done
mv "$SKFSOFT_DIR/usbkey-3" "$T/usbkey-3"
for _ in $(seq 1 150); do
    grep -q 'removed during order SKFP-0001' "$T/station2.out" && break
    sleep 0.1
done
# Put back once the stopped worker is gone (a token inserted while its reader's worker is
# still stopping is not used, as on PKCS#11 stations).
for _ in $(seq 1 100); do
    pgrep -P "$pid" >/dev/null || break
    sleep 0.1
done
sleep 0.5
rm "$T/usbkey-3/keygen_ms"
mv "$T/usbkey-3" "$SKFSOFT_DIR/usbkey-3"
wait "$pid"
rc=$?
cp "$T/station2.out" "$T/out"
check "station exits 0 after the pulled device came back (exit $rc)" test "$rc" -eq 0
expect_output 'usbkey-3: token removed during order SKFP-0001' "the station saw the device pulled"
expect_output '1 issued, 1 interrupted by a pulled token, 0 failed' "the summary counts it"
expect_output 'SKFP-0001 done' "the order was issued when it came back"
check "on the device that was pulled" \
    test "$(sed -n 's/^label=//p' "$SKFSOFT_DIR/usbkey-3/devinfo")" = SKFP-0001
check "the interrupted attempt is failed in the ledger" \
    test "$(sqlite3 "$ST/ledger.sqlite" "SELECT count(*) FROM issuances WHERE order_number='SKFP-0001' AND step='failed'")" -ge 1
expect_status 0 "ledger reconcile after the pull" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output 'clean' "clean"

# A pkcs11: URI for an SKF device is refused, naming the entry.
sed -i 's|"usbkey": "reader"|"usbkey": "pkcs11:serial=1"|' "$ST/station.json"
expect_status 3 "a pkcs11: reader entry on an SKF station" -- "$SEALKEY" status --station "$ST"
expect_output 'readers.usbkey' "names the entry"
finish
