#!/bin/bash
# Issue 15: an SM2 order issued end to end onto a soft SKF device (tests/skfsoft) through
# sealkey issue on a token_api "skf" station: application, PINs and retry counts, signing key
# on the device, CSR signed there, SM2 certificate, seals as files, read-back, a test document
# sealed on the device; checked with OpenSSL and the soft device's files; the ledger, audit
# log and reconcile; the station.json combinations that are refused.
. "$SOURCE_DIR/tests/lib.sh"
: "${SKFSOFT_MODULE:?run through ctest}"
ID=1234567812345678
ST=$T/st
export SKFSOFT_DIR=$T/skf
mkdir -p "$ST" "$SKFSOFT_DIR/dev1" "$SKFSOFT_DIR/dev2"
write_station() { # extra top-level JSON members as $1
    cat > "$ST/station.json" <<JSON
{
  "station_id": "SKF-01",
  "token_api": "skf",
  "skf_library": "$SKFSOFT_MODULE",
  "skf_auth_key": "file:dev-auth",
  $1
  "ca": {"name": "SM2 Demo CA", "key_algorithm": "sm2", "passphrase": "file:ca-pass"},
  "pin_policy": {"so_pin": "file:so-pin", "so_pin_retries": 8, "user_pin_retries": 5},
  "projects": [
    {"code": "GMSM", "name": "SM2 project", "key_algorithm": "sm2", "validity_days": 365,
     "crl_url": "http://crl.example/issuing.crl", "province": "江西省", "locality": "南昌市"}
  ]
}
JSON
}
write_station ""
umask 077
printf '%s\n' 'so-pin-4711' > "$ST/so-pin"
printf '%s\n' 'sm2 ca passphrase' > "$ST/ca-pass"
printf '%s' '1234567812345678' > "$ST/dev-auth"
umask 022
jq '[.[0] | .project_code = "GMSM"]' "$SOURCE_DIR/examples/orders.json" > "$T/orders.json"
cp -r "$SOURCE_DIR/examples/scans" "$T/scans"
N=$(jq -r '.[0].order_number' "$T/orders.json")

expect_status 0 "ca init (SM2)" -- "$SEALKEY" ca init --station "$ST"
expect_status 0 "issue onto the soft SKF device" -- \
    "$SEALKEY" issue --station "$ST" --orders "$T/orders.json" --order "$N" --token skf:dev1
expect_output "issued|verified" "issue reports the order"
O=$ST/out/$N
for f in cert.pem chain.pem official.esl pin-mailer.txt acceptance-test.txt acceptance-test.sig; do
    check "out/$N/$f" [ -s "$O/$f" ]
done
SERIAL=$(sed -n 's/^serial=//p' "$SKFSOFT_DIR/dev1/devinfo")

# -- the certificate: SM2, GM/T 0015 shape, under the SM2 CA
expect_status 0 "openssl verify: the SM2 certificate under the SM2 CA" -- \
    openssl verify -vfyopt distid:$ID -partial_chain -CAfile "$ST/ca/issuing.crt" "$O/cert.pem"
expect_status 0 "x509 text" -- openssl x509 -in "$O/cert.pem" -noout -text
expect_output 'Signature Algorithm: SM2-with-SM3' "signed SM2-with-SM3"
expect_output 'ASN1 OID: SM2' "an SM2 key"
expect_output 'Digital Signature, Non Repudiation' "signing usages"

# -- what the device holds (the soft device's files)
A=$SKFSOFT_DIR/dev1/apps/SEALKEY
check "the application SEALKEY" [ -d "$A" ]
check "signing key and certificate in the container" [ -s "$A/con/sign/sign.key" -a -s "$A/con/sign/sign.cer" ]
openssl x509 -inform DER -in "$A/con/sign/sign.cer" -out "$T/dev-cert.pem"
check "the device's certificate is out/cert.pem" cmp -s "$T/dev-cert.pem" "$O/cert.pem"
check "the official seal as a file, byte for byte" cmp -s "$A/files/official.esl" "$O/official.esl"
check "CA certificates as files" [ -s "$A/files/ca-issuing.cer" -a -s "$A/files/ca-root.cer" ]
check "the device is labelled with the order" grep -q "$N" "$SKFSOFT_DIR/dev1/devinfo"

# -- the ledger and the audit log
expect_status 0 "status" -- "$SEALKEY" status --station "$ST" --order "$N" --json
expect_output '"verified"' "the order is verified"
expect_output "\"token_serial\": \"$SERIAL\"" "the token serial is the device serial"
expect_output '"key_algorithm": "sm2"' "an sm2 issuance"
check "the PIN mailer names the device" grep -q "token serial: $SERIAL" "$O/pin-mailer.txt"
expect_status 0 "audit verify" -- "$SEALKEY" audit verify --station "$ST"
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output 'clean' "reconcile is clean"
expect_output 'SKF' "reconcile says why the tokens are not read"

# -- the seal the device made: its acceptance document, verified and cross-checked
expect_status 0 "crl (for the revocation check)" -- "$SEALKEY" crl --station "$ST" --ca-pass file:ca-pass
expect_status 0 "seal verify --doc of the acceptance test" -- \
    "$SEALKEY" seal verify "$O/acceptance-test.sig" --station "$ST" --doc "$O/acceptance-test.txt"
expect_output '^check doc-sign +ok' "the device's document signature"
expect_output '^check signer +ok' "the SM2 certificate is in the seal's certList"
printf 'x' >> "$O/acceptance-test.txt"
expect_status 1 "a changed document is refused" -- \
    "$SEALKEY" seal verify "$O/acceptance-test.sig" --station "$ST" --doc "$O/acceptance-test.txt"
openssl asn1parse -inform DER -in "$O/acceptance-test.sig" > "$T/asn1.txt"
read -r off hl len < <(sed -nE 's/^ *([0-9]+):d=1 +hl= *([0-9]+) +l= *([0-9]+) +cons: +SEQUENCE.*/\1 \2 \3/p' "$T/asn1.txt" | head -1)
tail -c +$((off + 1)) "$O/acceptance-test.sig" | head -c $((hl + len)) > "$T/tosign.der"
sig_off=$(sed -nE 's/^ *([0-9]+):d=1 .*BIT STRING.*/\1/p' "$T/asn1.txt")
openssl asn1parse -inform DER -in "$O/acceptance-test.sig" -strparse "$sig_off" -noout -out "$T/sig.der"
openssl x509 -in "$O/cert.pem" -pubkey -noout > "$T/pub.pem"
expect_status 0 "openssl pkeyutl verifies the device's signature (SM3, SM2 ID)" -- \
    openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:$ID -pubin \
    -inkey "$T/pub.pem" -in "$T/tosign.der" -sigfile "$T/sig.der"
printf 'X' | dd of="$T/tosign.der" bs=1 seek=20 conv=notrunc 2>/dev/null
expect_status 1 "openssl pkeyutl refuses changed bytes" -- \
    openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:$ID -pubin \
    -inkey "$T/pub.pem" -in "$T/tosign.der" -sigfile "$T/sig.der"

# -- seal sign with the key on the device (skf:DEVICE/APP/CONTAINER), user PIN from a file
umask 077
sed -n 's/^user PIN: *//p' "$O/pin-mailer.txt" > "$T/user-pin"
printf '%s\n' '000000' > "$T/wrong-pin"
umask 022
printf '合同正文 contract body\n' > "$T/contract.txt"
expect_status 0 "seal sign with the SKF device's key" -- "$SEALKEY" seal sign --seal "$O/official.esl" \
    --cert "$O/cert.pem" --key "skf:dev1/SEALKEY/sign" --module "$SKFSOFT_MODULE" \
    --key-pass "file:$T/user-pin" --in "$T/contract.txt" --out "$T/contract.sig"
expect_output 'SES_Signature v4, SM2-with-SM3' "seal sign reports"
expect_status 0 "seal verify --doc: the device's document signature" -- \
    "$SEALKEY" seal verify "$T/contract.sig" --station "$ST" --doc "$T/contract.txt"
expect_output '^check doc-sign +ok' "document signature"
expect_status 0 "seal sign by the device serial" -- "$SEALKEY" seal sign --seal "$O/official.esl" \
    --cert "$O/cert.pem" --key "skf:$SERIAL/SEALKEY/sign" --module "$SKFSOFT_MODULE" \
    --key-pass "file:$T/user-pin" --in "$T/contract.txt" --out "$T/contract2.sig"
expect_status 6 "seal sign: a wrong PIN, tries left" -- "$SEALKEY" seal sign --seal "$O/official.esl" \
    --cert "$O/cert.pem" --key "skf:dev1/SEALKEY/sign" --module "$SKFSOFT_MODULE" \
    --key-pass "file:$T/wrong-pin" --in "$T/contract.txt" --out "$T/wrong.sig"
expect_output 'SAR_PIN_INCORRECT.*4' "says how many tries are left (user_pin_retries 5)"
check "nothing written on a wrong PIN" [ ! -e "$T/wrong.sig" ]
expect_status 3 "seal sign: a malformed skf: key" -- "$SEALKEY" seal sign --seal "$O/official.esl" \
    --cert "$O/cert.pem" --key "skf:dev1/SEALKEY" --module "$SKFSOFT_MODULE" \
    --key-pass "file:$T/user-pin" --in "$T/contract.txt" --out "$T/bad.sig"
expect_output 'skf:DEVICE/APPLICATION/CONTAINER' "names the form"
expect_status 2 "seal sign: an skf: key needs --module" -- "$SEALKEY" seal sign --seal "$O/official.esl" \
    --cert "$O/cert.pem" --key "skf:dev1/SEALKEY/sign" --key-pass "file:$T/user-pin" \
    --in "$T/contract.txt" --out "$T/bad.sig"

# -- a second issue of the same order is refused; the issued device is not blank
expect_status 4 "the order is issued already" -- \
    "$SEALKEY" issue --station "$ST" --orders "$T/orders.json" --order "$N"

# -- dual certificates (双证书): the KMC stand-in's encryption key pair, enveloped to the
# device's signing key, imported into the same container, with its own certificate
write_station '"kmc": {"escrow_dir": "kmc", "escrow_secret": "file:kmc-secret"},'
umask 077; printf '%s\n' 'escrow secret for tests' > "$ST/kmc-secret"; umask 022
jq '[.[1] | .project_code = "GMSM"]' "$SOURCE_DIR/examples/orders.json" > "$T/orders-d.json"
D=$(jq -r '.[0].order_number' "$T/orders-d.json")
expect_status 0 "issue a dual-certificate token (blank device chosen)" -- \
    "$SEALKEY" issue --station "$ST" --orders "$T/orders-d.json" --order "$D"
OD=$ST/out/$D
A2=$SKFSOFT_DIR/dev2/apps/SEALKEY/con/sign
check "the second (blank) device was chosen" [ -d "$A2" ]
check "encryption key and certificate beside the signing ones" \
    [ -s "$A2/enc.key" -a -s "$A2/enc.cer" -a -s "$A2/sign.key" -a -s "$A2/sign.cer" ]
check "out/$D/enc-cert.pem" [ -s "$OD/enc-cert.pem" ]
openssl x509 -inform DER -in "$A2/enc.cer" -out "$T/dev-enc.pem"
check "the device's encryption certificate is out/enc-cert.pem" cmp -s "$T/dev-enc.pem" "$OD/enc-cert.pem"
expect_status 0 "openssl verify: the encryption certificate" -- \
    openssl verify -vfyopt distid:$ID -partial_chain -CAfile "$ST/ca/issuing.crt" "$OD/enc-cert.pem"
expect_status 0 "enc x509 text" -- openssl x509 -in "$OD/enc-cert.pem" -noout -text
expect_output 'Key Encipherment, Data Encipherment' "encryption usages"
expect_no_output 'Digital Signature' "no signing usage"
sign_pub=$(openssl x509 -in "$OD/cert.pem" -noout -pubkey)
enc_pub=$(openssl x509 -in "$OD/enc-cert.pem" -noout -pubkey)
check "two different key pairs" [ "$sign_pub" != "$enc_pub" ]
check "the KMC escrowed the encryption key (0600)" \
    [ "$(stat -c %a "$ST"/kmc/escrow/"$D"-*.p8)" = 600 ]
check "nothing of the escrowed key in the audit log" sh -c "! grep -q 'PRIVATE KEY' '$ST/audit.log'"
ENC=$(openssl x509 -in "$OD/enc-cert.pem" -noout -serial | cut -d= -f2)
SIG=$(openssl x509 -in "$OD/cert.pem" -noout -serial | cut -d= -f2)
check "the ledger holds the encryption certificate's serial" \
    sh -c "sqlite3 '$ST/ledger.sqlite' \"SELECT state FROM serials WHERE serial = '$ENC'\" | grep -qx used"
expect_status 0 "ledger reconcile with both certificates" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output '2 certificates signed|3 certificates signed' "reconcile counts the encryption certificate"
expect_output 'clean' "clean"
expect_status 0 "revoke the dual-certificate order" -- \
    "$SEALKEY" revoke --station "$ST" --order "$D" --reason lost
expect_status 0 "crl" -- "$SEALKEY" crl --station "$ST" --ca-pass file:ca-pass
expect_status 0 "crl text" -- openssl crl -in "$ST/ca/issuing.crl" -noout -text
expect_output "$SIG" "the CRL lists the signing certificate"
expect_output "$ENC" "the CRL lists the encryption certificate"
expect_status 0 "ledger reconcile after the revocation" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output 'clean' "clean"

# -- a device holding another order's live certificate: refused, unless --revoke-holder
jq '[.[3] | .project_code = "GMSM"]' "$SOURCE_DIR/examples/orders.json" > "$T/orders-h.json"
H=$(jq -r '.[0].order_number' "$T/orders-h.json")
expect_status 4 "dev1 holds $N's live certificate" -- \
    "$SEALKEY" issue --station "$ST" --orders "$T/orders-h.json" --order "$H" --token skf:dev1 --reinit
expect_output "holds order $N's live certificate" "names the holder"
expect_status 4 "--revoke-holder must name the holder" -- "$SEALKEY" issue --station "$ST" \
    --orders "$T/orders-h.json" --order "$H" --token skf:dev1 --reinit --revoke-holder "$D"
expect_status 0 "--reinit --revoke-holder $N" -- "$SEALKEY" issue --station "$ST" \
    --orders "$T/orders-h.json" --order "$H" --token skf:dev1 --reinit --revoke-holder "$N"
check "dev1 now holds $H" test "$(sed -n 's/^label=//p' "$SKFSOFT_DIR/dev1/devinfo")" = "$H"
expect_status 0 "status of $N" -- "$SEALKEY" status --station "$ST" --order "$N" --json
expect_output '"revocation_reason": "cessationOfOperation"' "$N's certificate revoked"
expect_status 0 "ledger reconcile after the holder's revocation" -- "$SEALKEY" ledger reconcile --station "$ST"
expect_output 'clean' "clean"

# -- refused station.json combinations name the field
write_station '"pkcs11_module": "/usr/lib/softhsm/libsofthsm2.so",'
expect_status 3 "pkcs11_module on an SKF station" -- "$SEALKEY" status --station "$ST"
expect_output 'pkcs11_module' "names pkcs11_module"
sed -i 's/"token_api": "skf"/"token_api": "pcsc"/' "$ST/station.json"
expect_status 3 "unknown token_api" -- "$SEALKEY" status --station "$ST"
expect_output 'token_api' "names token_api"
write_station ""
sed -i '/"skf_library"/d' "$ST/station.json"
expect_status 3 "skf without skf_library" -- "$SEALKEY" status --station "$ST"
expect_output 'skf_library' "names skf_library"
write_station ""
sed -i '/"skf_auth_key"/d' "$ST/station.json"
expect_status 3 "skf without skf_auth_key" -- "$SEALKEY" status --station "$ST"
expect_output 'skf_auth_key' "names skf_auth_key"
write_station ""
sed -i 's/"token_api": "skf"/"token_api": "pkcs11"/' "$ST/station.json"
expect_status 3 "skf_library on a PKCS#11 station" -- "$SEALKEY" status --station "$ST"
expect_output 'skf_library.*only for token_api' "names skf_library"
write_station ""
umask 077; printf '%s' 'short' > "$ST/dev-auth"; umask 022
jq '[.[2] | .project_code = "GMSM"]' "$SOURCE_DIR/examples/orders.json" > "$T/orders2.json"
N2=$(jq -r '.[0].order_number' "$T/orders2.json")
expect_status 3 "a device key that is not 16 bytes" -- \
    "$SEALKEY" issue --station "$ST" --orders "$T/orders2.json" --order "$N2"
expect_output 'skf_auth_key.*16' "names skf_auth_key and the size"
finish
