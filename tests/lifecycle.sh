#!/usr/bin/env bash
# Issue 11, the certificate lifecycle: every certificate the station signs ends live on one
# verified token the ledger knows, or on the CRL, whatever the operator does.
#  1. a reissue revokes the old certificate (superseded, or the reason given) only once the
#     new token is verified; a reissue that fails leaves it live and revocable, a batch then
#     issues nothing, and revoke reaches it;
#  2. a token initialised is in the ledger at once: a C_InitPIN failure is resumed on the
#     same token; a chosen PIN of the wrong length or a PIN mailer that cannot be written is
#     refused before any token is touched;
#  3. another order's live token is not wiped, unless that order is revoked in the same
#     command (--revoke-holder), and then its certificate is on the CRL;
#  4. a certificate signed during an attempt that failed or crashed is on the next CRL
#     (cessationOfOperation), and migration 6 revokes those older versions left behind;
#  5. a reissue killed right after C_InitToken resumes on its unrecorded token, not on a
#     third; revoke closes an attempt that stopped after signing and revokes its certificate;
#     a token holding another order's unfinished attempt is not wiped.
# The station loads the fault-injecting module (tests/p11fault), transparent without rules.
source "$SOURCE_DIR/tests/lib.sh"
require_test_hooks  # SEALKEY_TEST_CRASH_AT
: "${P11FAULT_SO:?run through ctest}"
st=$T/station
make_station "$st"
sed -i "s|\"pkcs11_module\": *\"[^\"]*\"|\"pkcs11_module\": \"$P11FAULT_SO\"|" "$st/station.json"
export SEALKEY_OPERATOR=tester P11FAULT_MODULE=$SOFTHSM2_MODULE
clone_orders 11 LC GCJS "$T/o"
clone_orders 1 SOLO GCJS "$T/solo"   # an order with a file of its own, for the batch
orders=$T/o/orders.json
db=$st/ledger.sqlite
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"

issue() { "$SEALKEY" issue --station "$st" --orders "$orders" --order "$@"; }
# crash_at POINT ARGS...: an issue killed (SIGKILL, whole process group) at a crash point
crash_at() {
    local p=$1; shift
    ( SEALKEY_TEST_CRASH_AT=$p setsid "$SEALKEY" issue --station "$st" --orders "$orders" \
        --order "$@" >/dev/null 2>&1; echo $? ) 2>/dev/null
}
q() { sqlite3 "$db" "$1"; }
live() { q "SELECT $2 FROM issuances WHERE order_number = '$1' AND step = 'verified' AND revoked_at = ''"; }
last() { q "SELECT $2 FROM issuances WHERE order_number = '$1' ORDER BY id DESC LIMIT 1"; }
of_serial() { q "SELECT $2 FROM issuances WHERE cert_serial = '$1'"; }
# The certificate with that serial, from the ledger, as a PEM file.
cert() { of_serial "$1" cert_pem > "$T/$1.pem"; echo "$T/$1.pem"; }
crl() {
    "$SEALKEY" crl --station "$st" -o "$T/crl.pem" >/dev/null 2>&1 || fail "crl"
    openssl crl -in "$T/crl.pem" -noout -text > "$T/crl.txt" 2>&1
}
# The reason the CRL gives for a serial, "" when it does not list it.
crl_reason() {
    awk -v s="Serial Number: $1" 'index($0, s) {f = 1; next}
        f && /Serial Number/ {exit} f && /CRL Reason Code/ {getline; sub(/^ +/, ""); print; exit}' "$T/crl.txt"
}
# openssl verify with the CRL: its verdict on the certificate with that serial.
verify() {
    openssl verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$st/ca/root.crt" \
        -untrusted "$st/ca/issuing.crt" "$(cert "$1")" 2>&1
    return 0
}
verifies() { [[ "$(verify "$1")" == *": OK" ]]; }
revoked_by_openssl() { [[ "$(verify "$1")" == *"certificate revoked"* ]]; }
tokens_labelled() { softhsm2-util --show-slots | grep -c "Label: *$1 *\$"; }
audit_has() { grep "\"event\":\"$1\"" "$st/audit.log" | grep "$2" | grep -q -- "$3"; }

# --- 1. A reissue that fails keeps the old certificate live; a batch issues nothing more;
# revoke reaches it. The reissue fails at the write step, after its certificate was signed.
A=SOLO-0001
expect_status 0 "issue $A" -- "$SEALKEY" issue --station "$st" --orders "$T/solo/orders.json" --order $A
a1=$(live $A cert_serial)
P11FAULT_FAIL=C_CreateObject:1:CKR_DEVICE_REMOVED:sticky expect_status 5 "reissue of $A fails at the write step" -- \
    "$SEALKEY" issue --station "$st" --orders "$T/solo/orders.json" --order $A --reissue
a2=$(last $A cert_serial)
check "$A: the failed reissue signed a certificate" test "$(q "SELECT state FROM serials WHERE serial = '$a2'")" = used
check "$A: the old issuance is still the live one" test "$(live $A cert_serial)" = "$a1"
expect_status 0 "status of $A" -- "$SEALKEY" status --station "$st" --order $A
expect_output "^$A +verified .*$a1" "status shows the live issuance beside the failed reissue"
expect_output "^$A +failed" "status shows the failed reissue"
crl
check "$A: the old certificate is not on the CRL" test -z "$(crl_reason "$a1")"
check "$A: the old certificate still verifies with the CRL" verifies "$a1"
check "$A: the failed attempt's certificate is on the CRL as cessationOfOperation" \
    test "$(crl_reason "$a2")" = "Cessation Of Operation"
check "$A: openssl sees the failed attempt's certificate revoked" revoked_by_openssl "$a2"
check "$A: the audit record of the failure says the certificate is revoked" \
    audit_has issuance_failed "$a2" "revoked (cessationOfOperation)"
n_before=$(q "SELECT count(*) FROM issuances WHERE order_number = '$A'")
expect_status 0 "batch after the failed reissue" -- "$SEALKEY" batch --station "$st" --orders "$T/solo/orders.json"
expect_output "0 issued, 1 already issued" "the batch counts $A as issued"
check "$A: the batch made no second issuance" test "$(q "SELECT count(*) FROM issuances WHERE order_number = '$A'")" = "$n_before"
expect_status 0 "revoke $A after the failed reissue" -- "$SEALKEY" revoke --station "$st" --order $A --reason lost
expect_output "$A: 1 certificate\(s\) revoked" "revoke says how many"
expect_output "$a1" "revoke names the certificate"
expect_status 4 "revoke $A twice" -- "$SEALKEY" revoke --station "$st" --order $A --reason lost
crl
check "$A: the old certificate is on the CRL as keyCompromise" test "$(crl_reason "$a1")" = "Key Compromise"
check "$A: openssl sees it revoked" revoked_by_openssl "$a1"
check "$A: one audit record for the revocation" audit_has revoked "$a1" keyCompromise

# --- 1. A reissue crashed just before 'verified': the old certificate stays live. The
# rerun closes the crashed attempt (its certificate revoked) and resumes on its token; only
# when the new token is verified is the old certificate revoked, with the reason given.
B=LC-0001
expect_status 0 "issue $B" -- issue $B
b1=$(live $B cert_serial)
rc=$(crash_at outputs_written $B --reissue)
check "reissue of $B killed before verified (exit $rc)" test "$rc" -eq 137
b2=$(last $B cert_serial)
b2_tok=$(last $B token_serial)
check "$B: the crashed reissue is left at 'written'" test "$(last $B step)" = written
check "$B: the old issuance is still live" test "$(live $B cert_serial)" = "$b1"
crl
check "$B: the old certificate is not on the CRL before the new token is verified" test -z "$(crl_reason "$b1")"
check "$B: and verifies" verifies "$b1"
expect_status 3 "a reissue with an unknown reason" -- issue $B --reissue --reason stolen
expect_output "revocation reason 'stolen'" "unknown reason named"
expect_status 0 "rerun the reissue of $B with a reason" -- issue $B --reissue --reason keyCompromise
expect_output "replaced certificate \(serial $b1\) is revoked \(keyCompromise\)" "issue says what it revoked"
b3=$(live $B cert_serial)
check "$B: resumed on the crashed attempt's token" test "$(live $B token_serial)" = "$b2_tok"
check "$B: the old issuance is superseded" test "$(of_serial "$b1" step)" = superseded
crl
check "$B: the old certificate is on the CRL with the reason given" test "$(crl_reason "$b1")" = "Key Compromise"
check "$B: the crashed attempt's certificate is on the CRL" test "$(crl_reason "$b2")" = "Cessation Of Operation"
check "$B: the new certificate is not" test -z "$(crl_reason "$b3")"
check "$B: openssl sees the old one revoked" revoked_by_openssl "$b1"
check "$B: the new one verifies" verifies "$b3"
check "$B: audit record of the revocation" audit_has revoked "$b1" "replaced by certificate serial $b3"

# --- 3 (resume). A reissue crashed before its token was chosen: the rerun looks for a token
# by the order's label and finds only the order's live token, which it must leave alone.
G=LC-0003
expect_status 0 "issue $G" -- issue $G
g1=$(live $G cert_serial)
g1_tok=$(live $G token_serial)
rc=$(crash_at reserved $G --reissue)
check "reissue of $G killed at 'reserved' (exit $rc)" test "$rc" -eq 137
expect_status 0 "rerun the reissue of $G" -- issue $G --reissue
check "$G: the live token was not taken for the reissue" test "$(live $G token_serial)" != "$g1_tok"
check "$G: two tokens labelled $G" test "$(tokens_labelled $G)" = 2
crl
check "$G: the old certificate is on the CRL as superseded" test "$(crl_reason "$g1")" = Superseded

# --- 3. Another order's live token: refused, unless that order is revoked in the command.
D=LC-0004 E=LC-0005 F=LC-0006
expect_status 0 "issue $D" -- issue $D
expect_status 0 "issue $E" -- issue $E
d1=$(live $D cert_serial)
d_tok=$(live $D token_serial)
expect_status 4 "reinit of $D's live token for $F" -- issue $F --reinit --token "pkcs11:serial=$d_tok"
expect_output "live token of order $D" "refusal names the holder"
expect_output "$d_tok" "refusal names the token"
expect_output "--revoke-holder $D" "refusal says how"
check "$F: nothing reserved" test "$(q "SELECT count(*) FROM issuances WHERE order_number = '$F'")" = 0
check "$D: still live" test "$(live $D cert_serial)" = "$d1"
expect_status 4 "--revoke-holder naming another order" -- issue $F --reinit --token "pkcs11:serial=$d_tok" --revoke-holder $E
expect_output "live token of order $D, not of $E" "wrong holder refused"
expect_status 4 "--revoke-holder on a blank token" -- issue $F --revoke-holder $E
expect_output "not the live token of any order" "no holder refused"
expect_status 2 "--reason alone" -- issue $F --reason lost
check "$D and $E: still live" test "$(live $D cert_serial)/$(live $E step)" = "$d1/verified"
expect_status 0 "reinit of $D's token for $F, revoking $D" -- issue $F --reinit --token "pkcs11:serial=$d_tok" --revoke-holder $D
expect_output "order $D, whose token this was, is revoked" "issue says it revoked the holder"
check "$F: on $D's old token" test "$(live $F token_serial)" = "$d_tok"
check "$D: no longer live" test -z "$(live $D cert_serial)"
check "$D: revoked, cessationOfOperation" test "$(of_serial "$d1" "step || ' ' || revocation_reason")" = "revoked cessationOfOperation"
check "$D: audit record of the revocation" audit_has revoked "$d1" "wiped for order $F"
crl
check "$D: its certificate is on the CRL" test "$(crl_reason "$d1")" = "Cessation Of Operation"
check "$D: openssl sees it revoked" revoked_by_openssl "$d1"

# --- 2. C_InitPIN fails: the token is in the ledger already, and the rerun resumes on it.
H=LC-0007
P11FAULT_FAIL=C_InitPIN:1:CKR_DEVICE_ERROR expect_status 5 "C_InitPIN fails for $H" -- issue $H
expect_output "C_InitPIN" "the failing call named"
h_tok=$(last $H token_serial)
check "$H: the failed attempt recorded its token" test -n "$h_tok"
check "$H: steps reserved token_initialised failed" test "$(q "SELECT group_concat(step, ' ') FROM (SELECT step FROM issuance_steps WHERE issuance_id = (SELECT max(id) FROM issuances WHERE order_number = '$H') ORDER BY rowid)")" = "reserved token_initialised failed"
expect_status 0 "rerun $H" -- issue $H
check "$H: resumed on the same token" test "$(live $H token_serial)" = "$h_tok"
check "$H: one token labelled $H" test "$(tokens_labelled $H)" = 1

# --- 2. Refused before any token is touched: a chosen PIN against pin_policy (6 to 8
# digits), a PIN mailer that cannot be written.
I=LC-0008
umask 077
printf '123\n' > "$T/pin-short"; printf '123456789\n' > "$T/pin-long"; printf '12ab5678\n' > "$T/pin-letters"
umask 022
slots=$(softhsm2-util --show-slots | md5sum)
for p in short long letters; do
    expect_status 6 "chosen PIN: $p" -- issue $I --user-pin "file:$T/pin-$p"
done
expect_output "not a digit" "letters named"
mkdir -p "$st/out/$I/pin-mailer.txt/x"
expect_status 8 "PIN mailer cannot be written" -- issue $I
expect_output "pin-mailer.txt: exists and is not a regular file" "PIN mailer place named"
check "no token touched by the refusals" test "$(softhsm2-util --show-slots | md5sum)" = "$slots"
check "$I: nothing reserved" test "$(q "SELECT count(*) FROM issuances WHERE order_number = '$I'")" = 0
rm -r "$st/out/$I/pin-mailer.txt"
expect_status 0 "issue $I" -- issue $I

# --- 5. A reissue killed right after C_InitToken leaves a second token labelled with the
# order that the ledger never recorded; the next reissue takes that one (the only labelled
# token the ledger does not know), not a third blank token.
J=LC-0002
expect_status 0 "issue $J" -- issue $J
check "$J: reissue killed after C_InitToken" test "$(crash_at token_init $J --reissue)" = 137
check "$J: two tokens labelled $J" test "$(tokens_labelled $J)" = 2
expect_status 0 "reissue of $J after the crash" -- issue $J --reissue
check "$J: the reissue resumed on the half-made token (no third)" test "$(tokens_labelled $J)" = 2
check "$J: one live certificate" test "$(live $J count\(*\))" = 1

# --- 5. Killed after its token was recorded, then killed again right after re-initialising
# that same token (not recorded by the second attempt): the third run still resumes on it.
M=LC-0011
check "$M: killed after its token was recorded" test "$(crash_at token_initialised $M)" = 137
m_tok=$(last $M token_serial)
check "$M: killed again right after C_InitToken" test "$(crash_at token_init $M)" = 137
check "$M: the second attempt recorded no token" test -z "$(last $M token_serial)"
expect_status 0 "$M: third run" -- issue $M
check "$M: finished on its first token" test "$(live $M token_serial)" = "$m_tok"
check "$M: one token labelled $M" test "$(tokens_labelled $M)" = 1

# --- 5. An attempt killed after its certificate was signed: revoke closes it and revokes
# that certificate, and the token it stopped on is not wiped for another order meanwhile.
K=LC-0009 L=LC-0010
check "$K: issue killed after writing" test "$(crash_at written $K)" = 137
k_tok=$(last $K token_serial) k_cert=$(last $K cert_serial)
expect_status 4 "reinit of $K's unfinished token for $L" -- issue $L --reinit --token "pkcs11:serial=$k_tok"
expect_output "holds order $K's unfinished issuance \\(step written, certificate serial $k_cert\\)" "the refusal names the order and its certificate"
expect_status 0 "revoke $K, whose only certificate is unfinished" -- "$SEALKEY" revoke --station "$st" --order $K --reason keyCompromise
expect_output "certificate serial $k_cert .*revoked \\(cessationOfOperation\\)" "revoke lists the closed attempt's certificate"
check "$K: the attempt is closed as failed, its certificate revoked" test "$(of_serial "$k_cert" "step || ' ' || revocation_reason")" = "failed cessationOfOperation"
crl
check "$K: its certificate is on the CRL" revoked_by_openssl "$k_cert"
expect_status 0 "reinit of the closed attempt's token for $L" -- issue $L --reinit --token "pkcs11:serial=$k_tok"
check "$L: issued on that token" test "$(live $L token_serial)" = "$k_tok"

# --- The invariant, in the ledger: every signed certificate live or revoked, one live per
# order and per token.
check "every signed certificate is live or revoked" test "$(q "SELECT count(*) FROM issuances i JOIN serials s ON s.issuance_id = i.id WHERE s.state = 'used' AND NOT ((i.step = 'verified' AND i.revoked_at = '') OR i.revoked_at <> '')")" = 0
check "one live issuance per order" test "$(q "SELECT count(*) FROM (SELECT order_number FROM issuances WHERE step = 'verified' AND revoked_at = '' GROUP BY order_number HAVING count(*) > 1)")" = 0
check "one live issuance per token" test "$(q "SELECT count(*) FROM (SELECT token_serial FROM issuances WHERE step = 'verified' AND revoked_at = '' GROUP BY token_serial HAVING count(*) > 1)")" = 0
expect_status 0 "audit log verifies" -- "$SEALKEY" audit verify --station "$st"
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"

# --- 4. An older ledger (schema 5) in which a superseded certificate and one signed during a
# failed attempt were never revoked: migration 6 revokes them, and the CRL lists them.
q "UPDATE issuances SET revoked_at = '', revocation_reason = '' WHERE cert_serial IN ('$g1', '$b2');
   DROP INDEX issuances_one_in_flight; DROP INDEX issuances_one_verified; DROP INDEX issuances_token;
   CREATE UNIQUE INDEX issuances_one_live ON issuances(order_number) WHERE step NOT IN ('failed', 'superseded', 'revoked');
   ALTER TABLE issuances DROP COLUMN csr_pem;
   ALTER TABLE issuances DROP COLUMN enc_cert_serial; ALTER TABLE issuances DROP COLUMN enc_cert_pem;
   PRAGMA user_version = 5;"
expect_status 0 "status migrates the old ledger" -- "$SEALKEY" status --station "$st"
check "schema 9 (issue 15: dual certificates)" test "$(q 'PRAGMA user_version')" = 9
check "migration revoked the superseded certificate" test "$(of_serial "$g1" revocation_reason)" = superseded
check "migration revoked the failed attempt's certificate" test "$(of_serial "$b2" revocation_reason)" = cessationOfOperation
crl
check "both on the CRL" test "$(crl_reason "$g1")/$(crl_reason "$b2")" = "Superseded/Cessation Of Operation"
expect_status 0 "ledger reconcile after the migration" -- "$SEALKEY" ledger reconcile --station "$st"
finish
