#!/usr/bin/env bash
# Every example order becomes a verified SoftHSM token; OpenSSL, OpenSC and GnuTLS agree.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
orders=$SOURCE_DIR/examples/orders.json
export SEALKEY_OPERATOR=tester

expect_status 0 "ca init" -- "$SEALKEY" ca init --station "$st"
check "root and issuing CA certificates exist" test -s "$st/ca/root.crt" -a -s "$st/ca/issuing.crt"
check "CA key file is 0600" test "$(stat -c %a "$st/ca/issuing.key")" = 600
check "CA key is encrypted" grep -q "ENCRYPTED PRIVATE KEY" "$st/ca/issuing.key"
expect_status 4 "second ca init refused" -- "$SEALKEY" ca init --station "$st"
expect_output "already has a CA" "second ca init names the reason"

numbers=$(grep -o '"order_number": *"[^"]*"' "$orders" | sed 's/.*: *"\(.*\)"/\1/')
check "at least 5 example orders" test "$(echo "$numbers" | wc -l)" -ge 5
for n in $numbers; do
    expect_status 0 "issue $n" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$n"
    expect_output "order $n issued" "issue $n reports success"
    d=$st/out/$n
    # The chain verifies with OpenSSL's own verifier.
    openssl verify -CAfile "$st/ca/root.crt" -untrusted "$st/ca/issuing.crt" "$d/cert.pem" >"$T/out" 2>&1
    expect_output "$d/cert.pem: OK" "openssl verify $n"
    openssl x509 -in "$d/cert.pem" -noout -text -nameopt utf8,sep_comma_plus >"$T/out" 2>&1
    expect_output "X509v3 Key Usage: critical" "$n keyUsage is critical"
    expect_output "Digital Signature, Non Repudiation" "$n keyUsage digitalSignature+nonRepudiation"
    expect_output "CA:FALSE" "$n basicConstraints CA:FALSE"
    expect_output "organizationIdentifier=" "$n subject carries organizationIdentifier"
    expect_output "C=CN" "$n subject C=CN"
    expect_output "X509v3 CRL Distribution Points" "$n CRL distribution point"
    expect_output "X509v3 Subject Key Identifier" "$n SKI"
    expect_output "X509v3 Authority Key Identifier" "$n AKI"
    serial_hex=$(openssl x509 -in "$d/cert.pem" -noout -serial | cut -d= -f2)
    check "$n serial is 128 bits with the top one set (32 hex digits)" test ${#serial_hex} -eq 32
    check "$n PIN mailer is 0600" test "$(stat -c %a "$d/pin-mailer.txt")" = 600
    check "$n cert.pem is 0644" test "$(stat -c %a "$d/cert.pem")" = 644
    pin=$(sed -n 's/^user PIN: *//p' "$d/pin-mailer.txt")
    check "$n PIN is 6-8 digits" bash -c "[[ '$pin' =~ ^[0-9]{6,8}$ ]]"
    # OpenSC and GnuTLS see the key and certificate under one CKA_ID.
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$n" --login --pin "$pin" \
        --list-objects >"$T/out" 2>&1
    ids=$(grep -E "^\s+ID:" "$T/out" | awk '{print $2}' | sort | uniq -c)
    expect_output "Private Key Object" "pkcs11-tool sees $n private key"
    expect_output "Certificate Object" "pkcs11-tool sees $n certificate"
    key_id=$(awk '/Private Key Object/{f=1} f && /ID:/{print $2; exit}' "$T/out")
    check "$n key id shared by private key, public key and certificate" \
        test "$(grep -c "ID:[[:space:]]*$key_id" "$T/out")" -eq 3
    p11tool --provider "$SOFTHSM2_MODULE" --login --set-pin "$pin" --list-all \
        "pkcs11:token=$n" >"$T/out" 2>&1
    expect_output "Type: Private key" "p11tool sees $n private key"
    expect_output "Type: X.509 Certificate" "p11tool sees $n certificate"
    expect_output "$(echo "$key_id" | sed 's/../&:/g; s/:$//')" "p11tool shows $n key id"
done

"$SEALKEY" status --station "$st" --json >"$T/status.json" 2>&1
check "status lists every order verified" \
    test "$(grep -c '"step": "verified"' "$T/status.json")" -eq "$(echo "$numbers" | wc -l)"
serials=$(grep -o '"cert_serial": "[^"]*"' "$T/status.json" | sort | uniq -d)
check "certificate serials are unique" test -z "$serials"
sqlite3 "$st/ledger.sqlite" "SELECT count(*) FROM serials WHERE state <> 'used'" >"$T/out"
expect_output "^0$" "every reserved serial was used"

# Nothing the run printed or stored outside the PIN mailers carries a PIN.
for n in $numbers; do
    pin=$(sed -n 's/^user PIN: *//p' "$st/out/$n/pin-mailer.txt")
    check "PIN of $n not in the ledger" bash -c "! sqlite3 '$st/ledger.sqlite' .dump | grep -q -- '$pin'"
done
# Every certificate signed is live on its verified token, every token is the ledger's.
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"
finish
