#!/usr/bin/env bash
# Issue 13, items 1-2: the token module named the p11-kit way (by its p11-kit name as well as
# by path), and a --token URI's module attributes honoured: one naming another module than
# the station's is refused with that module named, before any token or serial is used.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
orders=$SOURCE_DIR/examples/orders.json
first=$(grep -o '"order_number": *"[^"]*"' "$orders" | head -1 | sed 's/.*: *"\(.*\)"/\1/')
second=$(grep -o '"order_number": *"[^"]*"' "$orders" | sed -n 2p | sed 's/.*: *"\(.*\)"/\1/')
third=$(grep -o '"order_number": *"[^"]*"' "$orders" | sed -n 3p | sed 's/.*: *"\(.*\)"/\1/')
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"

# By p11-kit name: "softhsm2" as `p11-kit list-modules` shows it.
sed -i 's|"pkcs11_module": "[^"]*"|"pkcs11_module": "softhsm2"|' "$st/station.json"
expect_status 0 "issue on the module named softhsm2" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$first"
pkcs11-tool --module "$SOFTHSM2_MODULE" -L > "$T/out" 2>&1
expect_output "token label +: $first" "token made through the p11-kit name"

# Item 5: the signing key as an outside tool sees it: sign only (no decrypt, unwrap, derive),
# sensitive, never extractable, generated on the token. Both an EC and an RSA project.
pin=$(sed -n 's/^user PIN: *//p' "$st/out/$first/pin-mailer.txt")
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$first" --login --pin "$pin" -O --type privkey > "$T/out" 2>&1
expect_output "Usage: +sign$" "private key usage is sign only"
expect_output "Access: +sensitive, always sensitive, never extractable, local" "private key access"
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$first" -O --type pubkey > "$T/out" 2>&1
expect_output "Usage: +verify$" "public key usage is verify only"

# A URI naming another module than the station's is refused, naming it: before the token,
# the ledger or a serial is touched.
expect_status 3 "URI with module-name of another module" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token 'pkcs11:token=?module-name=opensc-pkcs11'
expect_output "module-name=opensc-pkcs11 .*opensc-pkcs11\.so\) is not the station's module" "other module named"
expect_status 3 "URI with module-path of another module" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token 'pkcs11:token=?module-path=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so'
expect_output "module-path=/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so is not the station's module" "other module path named"
expect_status 3 "URI naming a module p11-kit does not know" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token 'pkcs11:token=?module-name=nosuch'
expect_output "module-name=nosuch \(no such p11-kit module\)" "unknown module named"
# Attributes a token-picking URI cannot honour are errors naming them.
expect_status 3 "URI with object=" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token 'pkcs11:token=;object=key'
expect_output "object= names an object" "object= named"
expect_status 3 "URI with pin-source=" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token 'pkcs11:token=?pin-source=file:/etc/pin'
expect_output "pin-source= is not honoured" "pin-source= named"
"$SEALKEY" status --station "$st" --order "$second" --json > "$T/out" 2>&1
expect_no_output '"step"' "nothing recorded for the refused order"

# The same module by name, by path, and its slot and library attributes are honoured.
expect_status 0 "URI naming the station's module by name and path" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$second" --token "pkcs11:token=;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;library-manufacturer=SoftHSM;slot-manufacturer=SoftHSM%20project?module-name=softhsm2&module-path=$SOFTHSM2_MODULE"

# By path, as before: the station's module given as a file.
sed -i "s|\"pkcs11_module\": \"[^\"]*\"|\"pkcs11_module\": \"$SOFTHSM2_MODULE\"|" "$st/station.json"
expect_status 0 "issue on the module by path" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$third" --token 'pkcs11:token=?module-name=softhsm2'
pin=$(sed -n 's/^user PIN: *//p' "$st/out/$third/pin-mailer.txt")
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$third" --login --pin "$pin" -O --type privkey > "$T/out" 2>&1
expect_output "Private Key Object; RSA" "the third order's key is RSA"
expect_output "Usage: +sign$" "RSA private key usage is sign only (SoftHSM would allow decrypt)"
expect_output "Access: +sensitive, always sensitive, never extractable, local" "RSA private key access"

# A name neither p11-kit nor the loader knows: the message lists p11-kit's modules.
sed -i 's|"pkcs11_module": "[^"]*"|"pkcs11_module": "softhsm9"|' "$st/station.json"
expect_status 5 "unknown module name" -- "$SEALKEY" ledger reconcile --station "$st"
expect_output "softhsm9: neither a p11-kit module \(p11-kit list-modules: .*softhsm2" "p11-kit names listed"
finish
