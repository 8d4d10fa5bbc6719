#!/usr/bin/env bash
# The issuing CA key on an HSM (a second SoftHSM token) named by an RFC 7512 URI.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
orders=$SOURCE_DIR/examples/orders.json
first=$(grep -o '"order_number": *"[^"]*"' "$orders" | head -1 | sed 's/.*: *"\(.*\)"/\1/')

# The CA's token: initialised with its own label and PINs; its user PIN is the CA secret.
softhsm2-util --init-token --free --label sealkey-ca --so-pin 87654321 --pin 11223344 >/dev/null
printf '11223344\n' > "$st/ca-pass"
sed 's|"passphrase": "file:ca-pass"|"passphrase": "file:ca-pass", "key_uri": "pkcs11:token=sealkey-ca;object=issuing%20CA"|' \
    "$SOURCE_DIR/examples/station.json" > "$st/station.json"
check "station.json names the HSM key" grep -q key_uri "$st/station.json"

expect_status 0 "ca init with the HSM" -- "$SEALKEY" ca init --station "$st"
expect_output "HSM" "ca init says the key is on the HSM"
check "no issuing key file" test ! -e "$st/ca/issuing.key"
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label sealkey-ca --login --pin 11223344 --list-objects >"$T/out" 2>&1
expect_output "label:[[:space:]]+issuing CA" "the CA key is on the HSM token under the URI's label"
expect_output "Private Key Object" "the HSM holds the private key"

expect_status 0 "issue with the HSM-held CA key" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$first"
openssl verify -CAfile "$st/ca/root.crt" -untrusted "$st/ca/issuing.crt" "$st/out/$first/cert.pem" >"$T/out" 2>&1
expect_output ": OK" "certificate signed on the HSM verifies"

# A wrong HSM PIN is a PIN error that does not echo the PIN.
printf '99999999\n' > "$T/bad"
second=$(grep -o '"order_number": *"[^"]*"' "$orders" | sed -n 2p | sed 's/.*: *"\(.*\)"/\1/')
expect_status 6 "wrong HSM PIN" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --ca-pass "file:$T/bad"
expect_no_output "99999999" "HSM PIN not echoed"

# The HSM key is checked against issuing.crt on every open (by a test signature, as a token
# key need not show its public half): another CA's certificate in its place is refused.
other=$T/other
make_station "$other"
"$SEALKEY" ca init --station "$other" >/dev/null 2>&1 || fail "ca init of a second station"
cp "$other/ca/issuing.crt" "$st/ca/issuing.crt"
expect_status 7 "issuing.crt of another CA beside the HSM key" -- "$SEALKEY" crl --station "$st"
expect_output "pkcs11:token=sealkey-ca.* does not match .*ca/issuing.crt" "names the key and the file"
finish
