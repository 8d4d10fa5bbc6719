#!/usr/bin/env bash
# Issue 13, item 6: a token after its issuance.
#  1. show: the ledger and the token side by side, text and JSON, without a PIN;
#  2. unblock: a user PIN locked by wrong tries (pkcs11-tool through the wrapper, whose
#     P11FAULT_PIN_TRIES lockout stands in for a real token's) is replaced, with the SO PIN,
#     by a new random PIN in a NEW 0600 mailer; the holder logs in with it; a PIN that is not
#     locked needs --force; a wrong SO PIN leaves no mailer behind;
#  3. hold and release: the CRL lists the certificate as certificateHold, then not; reconcile
#     is clean throughout; the held token stays its order's;
#  4. lost: a held certificate revoked for good (keyCompromise), the token marked lost;
#  5. refusals.
source "$SOURCE_DIR/tests/lib.sh"
: "${P11FAULT_SO:?run through ctest}"
st=$T/station
make_station "$st"
sed -i "s|\"pkcs11_module\": *\"[^\"]*\"|\"pkcs11_module\": \"$P11FAULT_SO\"|" "$st/station.json"
export SEALKEY_OPERATOR=tester P11FAULT_MODULE=$SOFTHSM2_MODULE
export P11FAULT_PIN_TRIES=3 P11FAULT_PIN_STATE=$T/pin-lockout
clone_orders 3 TS GCJS "$T/o"
orders=$T/o/orders.json
db=$st/ledger.sqlite
q() { sqlite3 "$db" "$1"; }
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
for n in 1 2 3; do
    expect_status 0 "issue TS-000$n" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order TS-000$n
done
tok() { "$SEALKEY" token "$@" --station "$st"; }
serial_of() { q "SELECT token_serial FROM issuances WHERE order_number = '$1' AND step = 'verified'"; }
cert_of() { q "SELECT cert_serial FROM issuances WHERE order_number = '$1' AND step IN ('verified', 'revoked')"; }
json() { python3 -c "import json,sys; d=json.load(open('$T/out')); print($1)"; }
# pkcs11-tool through the wrapper; a sanitizer build's wrapper needs the ASan runtime loaded
# first (docs/fault-injection.md, "Limits"), and pkcs11-tool's own leaks are not ours.
p11_env=()
case $(ldd "$P11FAULT_SO" 2>/dev/null) in
    *libasan*) p11_env=(LD_PRELOAD="$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0) ;;
esac
p11() { env "${p11_env[@]}" pkcs11-tool --module "$P11FAULT_SO" --token-label "$1" "${@:2}"; }
mailer_pin() { sed -n 's/^user PIN: *//p' "$1"; }
crl() {
    "$SEALKEY" crl --station "$st" -o "$T/crl.pem" >/dev/null 2>&1 || fail "crl"
    openssl crl -in "$T/crl.pem" -noout -text > "$T/crl.txt" 2>&1
}
crl_reason() {
    awk -v s="Serial Number: $1" 'index(toupper($0), toupper(s)) {f = 1; next}
        f && /Serial Number/ {exit} f && /CRL Reason Code/ {getline; sub(/^ +/, ""); print; exit}' "$T/crl.txt"
}
verify() {
    q "SELECT cert_pem FROM issuances WHERE cert_serial = '$1'" > "$T/c.pem"
    openssl verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$st/ca/root.crt" \
        -untrusted "$st/ca/issuing.crt" "$T/c.pem" 2>&1
    return 0
}
s1=$(serial_of TS-0001) s2=$(serial_of TS-0002) s3=$(serial_of TS-0003)
c1=$(cert_of TS-0001) c2=$(cert_of TS-0002) c3=$(cert_of TS-0003)

# --- 1. show
expect_status 0 "show by order" -- tok show --order TS-0001
expect_output "^order / label +TS-0001 +TS-0001" "show: the order beside the token's label"
expect_output "^token serial +$s1 +$s1" "show: the serial on both sides"
expect_output "^state +live +initialised" "show: live in the ledger, initialised token"
expect_output "^user PIN .* ok" "show: the PIN counters"
expect_output "certificate .*serial $c1.*\(the ledger's certificate\)" "show: the token's certificate is the ledger's"
expect_status 0 "show by serial, JSON" -- tok show --serial "$s2" --json
check "show --json: the ledger side" test "$(json "d['ledger']['order_number'], d['ledger']['status'], d['ledger']['cert_serial']")" = "TS-0002 live $c2"
check "show --json: the token side, public objects only" test "$(json "d['token']['label'], d['token']['user_pin_locked'], sorted(set(o['class'] for o in d['token']['objects']))")" = "TS-0002 False ['certificate', 'data', 'public key']"
expect_status 0 "show by URI" -- tok show --token "pkcs11:serial=$s3" --json
check "show --token: found by the URI" test "$(json "d['ledger']['order_number']")" = TS-0003
expect_status 0 "show --no-token" -- tok show --order TS-0001 --no-token
expect_output "token \(not looked at\)" "show --no-token: the ledger alone"

# --- 2. unblock
pin1=$(mailer_pin "$st/out/TS-0001/pin-mailer.txt")
sum_before=$(sha256sum < "$st/out/TS-0001/pin-mailer.txt")
check "the issuance's mailer has a PIN" test -n "$pin1"
for i in 1 2 3; do p11 TS-0001 --login --pin 000000 -O >/dev/null 2>&1; done
expect_status 1 "the right PIN no longer works" -- p11 TS-0001 --login --pin "$pin1" -O
expect_output "CKR_PIN_LOCKED" "the PIN is locked"
expect_status 0 "show a locked token" -- tok show --order TS-0001 --json
check "show: user PIN locked" test "$(json "d['token']['user_pin'], d['token']['user_pin_locked']")" = "locked True"
expect_status 4 "unblock of a PIN that is not locked" -- tok unblock --order TS-0002
expect_output "user PIN is not locked.*--force" "unblock without --force says why"
printf '%s\n' 'wrong-so-pin' > "$T/wrong-so"; chmod 600 "$T/wrong-so"
cp "$st/station.json" "$T/station.json.good"
python3 - "$st/station.json" "$T/wrong-so" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["pin_policy"]["so_pin"] = "file:" + sys.argv[2]
json.dump(d, open(sys.argv[1], "w"), indent=2)
PY
expect_status 6 "unblock with a wrong SO PIN" -- tok unblock --order TS-0001
expect_output "C_Login \(SO\)" "a wrong SO PIN named"
check "no mailer left by the failed unblock" test ! -e "$st/out/TS-0001/pin-mailer-unblock-1.txt"
cp "$T/station.json.good" "$st/station.json"
expect_status 0 "unblock" -- tok unblock --order TS-0001 --orders "$orders"
expect_output "pin-mailer-unblock-1.txt" "unblock names the new mailer"
m1=$st/out/TS-0001/pin-mailer-unblock-1.txt
check "the new mailer is 0600" test "$(stat -c %a "$m1")" = 600
check "the old mailer is untouched" test "$(sha256sum < "$st/out/TS-0001/pin-mailer.txt")" = "$sum_before"
check "the new mailer has the order's unit" grep -q "^unit: *[^ ]" "$m1"
pin2=$(mailer_pin "$m1")
check "a new PIN" test -n "$pin2" -a "$pin2" != "$pin1"
expect_status 0 "the holder logs in with the PIN from the new mailer" -- p11 TS-0001 --login --pin "$pin2" -O
expect_output "Private Key Object" "logged in: the private key is listed"
expect_status 0 "unblock --force by serial, no order file" -- tok unblock --serial "$s1" --force
m2=$st/out/TS-0001/pin-mailer-unblock-2.txt
check "a second unblock writes a second mailer" test -f "$m2"
check "the first unblock mailer is kept" test "$(mailer_pin "$m1")" = "$pin2"
expect_status 0 "log in with the second new PIN" -- p11 TS-0001 --login --pin "$(mailer_pin "$m2")" -O
check "two unblocked events in the ledger" test "$(q "SELECT count(*) FROM token_events WHERE event = 'unblocked' AND token_serial = '$s1'")" = 2
check "audit: pin_unblocked" test "$(grep -c '"event":"pin_unblocked"' "$st/audit.log")" = 2
check "no PIN in the ledger or the audit log" sh -c "! grep -aq -e '$pin2' -e '$(mailer_pin "$m2")' '$st/audit.log' '$db'"
expect_status 0 "unblock by a URI without serial= (the token is read for it)" -- tok unblock --token "pkcs11:token=TS-0001" --force
check "a third mailer" test -f "$st/out/TS-0001/pin-mailer-unblock-3.txt"

# --- 3. hold and release
expect_status 0 "hold" -- tok hold --order TS-0002
expect_output "on hold since" "hold says so"
crl
check "held: on the CRL as certificateHold" test "$(crl_reason "$c2")" = "Certificate Hold"
check "held: openssl refuses it" grep -q "certificate revoked" <<< "$(verify "$c2")"
expect_status 4 "hold twice" -- tok hold --order TS-0002
expect_output "on hold already" "a second hold says it is held"
expect_status 0 "status of a held order" -- "$SEALKEY" status --station "$st" --order TS-0002
expect_output "certificate on hold since" "status says on hold"
expect_status 0 "show held" -- tok show --order TS-0002 --json
check "show: on hold" test "$(json "d['ledger']['status'], d['ledger']['held']")" = "on hold True"
expect_status 0 "reconcile with a held certificate" -- "$SEALKEY" ledger reconcile --station "$st"
expect_output "\(2 live, 1 on hold, 0 revoked\).*: clean" "reconcile counts the hold, finds nothing wrong"
expect_status 4 "a held token is not taken by another order" -- "$SEALKEY" issue --station "$st" --orders "$orders" \
    --order TS-0001 --reissue --reinit --token "pkcs11:serial=$s2"
expect_output "TS-0002" "the refusal names the order that holds the token"
expect_status 0 "a batch over the orders with one on hold" -- "$SEALKEY" batch --station "$st" --orders "$orders"
expect_output "0 issued" "the batch issues nothing: the held order is still issued"
check "no new issuance of the held order" test "$(q "SELECT count(*) FROM issuances WHERE order_number = 'TS-0002'")" = 1
expect_status 0 "release by serial" -- tok release --serial "$s2"
crl
check "released: not on the next CRL" test -z "$(crl_reason "$c2")"
check "released: openssl accepts it" grep -q ": OK" <<< "$(verify "$c2")"
expect_status 4 "release of a certificate not on hold" -- tok release --order TS-0002
expect_output "is not on hold" "release says why"
check "ledger: held and released events" test "$(q "SELECT group_concat(event) FROM token_events WHERE token_serial = '$s2'")" = "held,released"
check "audit: cert_held, cert_released" test "$(grep -c -e '"event":"cert_held"' -e '"event":"cert_released"' "$st/audit.log")" = 2

# --- 4. lost, after a hold
expect_status 0 "hold TS-0003" -- tok hold --order TS-0003
expect_status 0 "lost" -- tok lost --serial "$s3"
expect_output "token $s3 marked lost, certificate $c3 revoked \(keyCompromise\)" "lost says what it did"
crl
check "lost: on the CRL as keyCompromise" test "$(crl_reason "$c3")" = "Key Compromise"
check "lost: the issuance is revoked" test "$(q "SELECT step || ' ' || revocation_reason FROM issuances WHERE cert_serial = '$c3'")" = "revoked keyCompromise"
expect_status 0 "show lost" -- tok show --order TS-0003 --json
check "show: lost" test "$(json "d['ledger']['status'], d['ledger']['lost']")" = "lost (revoked) True"
expect_status 4 "lost twice" -- tok lost --order TS-0003
expect_output "marked lost already" "a second lost says so"
expect_status 0 "reconcile after hold, release, lost" -- "$SEALKEY" ledger reconcile --station "$st"
expect_output "\(2 live, 1 revoked\).*: clean" "reconcile clean"

# --- 5. refusals
expect_status 2 "no token named" -- tok show
expect_status 2 "two ways of naming" -- tok hold --order TS-0001 --serial "$s1"
expect_status 2 "an option of another verb" -- tok hold --order TS-0001 --force
expect_status 3 "a reason that is none" -- tok lost --order TS-0001 --reason stolen
expect_status 4 "hold of an unknown order" -- tok hold --order TS-9999
expect_status 4 "unblock a token the ledger does not hold" -- tok unblock --serial 0000000000000000
expect_status 2 "no verb" -- "$SEALKEY" token
expect_status 0 "audit log verifies" -- "$SEALKEY" audit verify --station "$st"

# --- 6. what a token says is shown, never obeyed: an object label that is not UTF-8 and
# carries a terminal escape (any token can be put in a reader)
printf 'x' > "$T/obj"
expect_status 0 "a public data object with a hostile label" -- p11 TS-0001 --login \
    --pin "$(mailer_pin "$st/out/TS-0001/pin-mailer-unblock-3.txt")" --write-object "$T/obj" \
    --type data --label $'odd\xff\x1b[2Jlabel'
expect_status 0 "show lists it" -- tok show --order TS-0001
check "show: no escape byte reaches the terminal" sh -c "! grep -q \"$(printf '\033')\" '$T/out'"
expect_output 'odd\\xff\\x1b\[2Jlabel' "show: the label escaped"
expect_status 0 "show --json with a label that is not UTF-8" -- tok show --order TS-0001 --json
check "show --json: the label escaped" test "$(json "r'odd\\xff\\x1b[2Jlabel' in [o['label'] for o in d['token']['objects']]")" = True
finish
