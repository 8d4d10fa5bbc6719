#!/usr/bin/env bash
# seal verify says "valid" only with trust established: the maker chains to the station's seal
# root, the holder (organisation) certificate in the seal to its CA, and neither is on the
# station's CRLs. Without anchors it says what was checked and exits 12; a seal from another
# station's maker, or bound to a revoked certificate, fails (1).
source "$SOURCE_DIR/tests/lib.sh"
orders=$SOURCE_DIR/examples/orders.json
st=$T/station
other=$T/other
make_station "$st"
make_station "$other"
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
"$SEALKEY" ca init --station "$other" >/dev/null 2>&1 || fail "ca init of a second station"
for n in JX2026-000101 JX2026-000102; do
    "$SEALKEY" issue --station "$st" --orders "$orders" --order $n >/dev/null 2>&1 || fail "issue $n"
done
"$SEALKEY" issue --station "$other" --orders "$orders" --order JX2026-000103 >/dev/null 2>&1 || fail "issue on the second station"
good=$st/out/JX2026-000102/official.esl
doomed=$st/out/JX2026-000101/legal-rep.esl
foreign=$other/out/JX2026-000103/official.esl

# Before any CRL: chains check, revocation cannot, so not verified.
expect_status 12 "--station without a CRL yet" -- "$SEALKEY" seal verify "$good" --station "$st"
expect_output "check revocation +skipped +no CRL given \(--crl, or .sealkey crl. for --station\)" "says there is no CRL"
expect_output "^result: +NOT VERIFIED: .*holder certificate chains to the trusted CA; holder certificate revocation NOT checked$" "summary names what was missing"
"$SEALKEY" crl --station "$st" >/dev/null 2>&1 || fail "crl"

# No trust anchor: intact is not valid.
expect_status 12 "no trust anchor: not verified" -- "$SEALKEY" seal verify "$good"
expect_output "^result: +NOT VERIFIED: signature by the seal maker's key OK; maker certificate NOT checked against any trust anchor; holder certificate NOT checked$" "the result says what was and was not checked"
expect_no_output "^result: +valid" "never says valid"
expect_output "^sealkey: .*official.esl: not verified: " "the message says not verified"
expect_status 12 "a foreign maker's seal without anchors: not verified either" -- "$SEALKEY" seal verify "$foreign"

# The station's anchors: a good seal is valid.
expect_status 0 "good seal against its station" -- "$SEALKEY" seal verify "$good" --station "$st"
expect_output "check chain +ok +maker certificate chains to .*Seal Root CA" "maker chain checked"
expect_output "check holder +ok +holder certificate serial [0-9A-F]+ \(.*\) chains to .*Root CA, valid until" "holder chain checked"
expect_output "check revocation +ok +holder certificate serial [0-9A-F]+ is not on CRL 1 of .*Issuing CA 1 .*; CA certificate .*Issuing CA 1 .* is not on CRL 1 of .*Root CA" "holder and its CA checked against both CRLs"
expect_output "^result: +valid: signature by the seal maker's key OK; maker certificate chains to the trusted seal root; holder certificate chains to the trusted CA; holder certificate not revoked$" "result valid"
expect_status 0 "--json with --station" -- "$SEALKEY" seal verify "$good" --station "$st" --json
check "JSON: valid, result valid" python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["verification"]; assert v["valid"] is True and v["result"] == "valid", v' "$T/out"

# The same with explicit files: the DER CRLs as published.
expect_status 0 "explicit --ca --holder-ca --crl" -- "$SEALKEY" seal verify "$good" --ca "$st/ca/seal-root.crt" \
    --holder-ca "$st/ca/chain.pem" --crl "$st/crl/issuing.crl" --crl "$st/crl/root.crl"
expect_output "^result: +valid" "explicit anchors: valid"

# Another station's seal fails against this station: its maker and its holder do not chain.
expect_status 1 "foreign seal against this station" -- "$SEALKEY" seal verify "$foreign" --station "$st"
expect_output "check chain +FAILED +maker certificate does not chain to .*seal-root.crt" "maker chain fails"
expect_output "check holder +FAILED +certList\[0\]: holder certificate serial [0-9A-F]+ .* does not chain to .*chain.pem" "holder chain fails"
expect_output "^result: +NOT VALID" "result not valid"
"$SEALKEY" crl --station "$other" >/dev/null 2>&1 || fail "crl of the second station"
expect_status 0 "the foreign seal is valid against its own station" -- "$SEALKEY" seal verify "$foreign" --station "$other"

# A seal bound to a revoked certificate fails, naming the serial and the reason.
serial=$(openssl x509 -in "$st/out/JX2026-000101/cert.pem" -noout -serial | cut -d= -f2)
expect_status 0 "doomed seal valid before revocation" -- "$SEALKEY" seal verify "$doomed" --station "$st"
"$SEALKEY" revoke --station "$st" --order JX2026-000101 --reason lost >/dev/null 2>&1 || fail "revoke"
"$SEALKEY" crl --station "$st" >/dev/null 2>&1 || fail "crl after revoke"
expect_status 1 "seal of a revoked certificate" -- "$SEALKEY" seal verify "$doomed" --station "$st"
expect_output "check revocation +FAILED +holder certificate serial $serial is revoked: keyCompromise since 20[0-9-]+T[0-9:]+Z, on CRL 2 of .*Issuing CA 1" "names serial, reason, CRL"
expect_output "^sealkey: .*legal-rep.esl: revocation: holder certificate serial $serial is revoked: keyCompromise" "the message names the serial and reason"
expect_status 1 "revoked, with the published DER CRL" -- "$SEALKEY" seal verify "$doomed" --ca "$st/ca/seal-root.crt" \
    --holder-ca "$st/ca/chain.pem" --crl "$st/crl/issuing.crl"
expect_status 0 "the other order's seal stays valid" -- "$SEALKEY" seal verify "$good" --station "$st"

# Only the maker's anchor: still not verified (the holder is what the seal vouches for).
expect_status 12 "--ca alone" -- "$SEALKEY" seal verify "$good" --ca "$st/ca/seal-root.crt"
expect_output "^result: +NOT VERIFIED: .*maker certificate chains to the trusted seal root; holder certificate NOT checked$" "--ca alone: summary"

# Bad anchor files are refused as input (3).
expect_status 3 "--crl that is not a CRL" -- "$SEALKEY" seal verify "$good" --station "$st" --crl "$st/ca/root.crt"
expect_output "root.crt: not a CRL" "names the file"
expect_status 3 "--station that is not a station" -- "$SEALKEY" seal verify "$good" --station "$T/nowhere"
expect_status 0 "--help" -- "$SEALKEY" seal verify --help
expect_output "12 not verified" "help documents exit 12"
finish
