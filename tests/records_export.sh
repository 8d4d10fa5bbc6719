#!/usr/bin/env bash
# What the acceptance system and the courier get, and the life of a lost token.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
orders=$SOURCE_DIR/examples/orders.json
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
for n in JX2026-000101 JX2026-000102; do
    "$SEALKEY" issue --station "$st" --orders "$orders" --order $n >/dev/null 2>&1 || fail "issue $n"
done

# Status export: CSV with a header, one line per produced order, seal ids included.
expect_status 0 "export status csv" -- "$SEALKEY" export status --station "$st" --csv
expect_output "^order_number,status,token_serial,cert_serial,seal_ids,produced_at,waybill$" "CSV header"
expect_output "^JX2026-000101,issued,[0-9a-f]{16},[0-9A-F]+,[0-9a-f]{32};[0-9a-f]{32},20[0-9-]+T" "order 101 row"
check "two data rows" test "$(grep -c '^JX2026' "$T/out")" = 2
expect_status 0 "export status --since the future" -- "$SEALKEY" export status --station "$st" --since 2999-01-01
check "nothing produced since 2999" test "$(grep -c '^JX2026' "$T/out")" = 0
expect_status 2 "bad --since" -- "$SEALKEY" export status --station "$st" --since yesterday
expect_output "--since 'yesterday'" "bad time named"

# Shipping manifest from the order file, then a waybill.
expect_status 0 "export shipping" -- "$SEALKEY" export shipping --station "$st" --orders "$orders" --json
expect_output '"recipient_address": "江西省南昌市' "manifest carries the address"
expect_output '"delivery_note_id": "DN-0+[0-9]+"' "manifest carries the delivery note id"
expect_status 3 "bad waybill" -- "$SEALKEY" ship --station "$st" --order JX2026-000101 --waybill "sf 12"
expect_status 0 "ship" -- "$SEALKEY" ship --station "$st" --order JX2026-000101 --waybill SF1234567890123
expect_status 4 "ship an order not issued" -- "$SEALKEY" ship --station "$st" --order JX2026-000105 --waybill SF1234567890124
"$SEALKEY" export status --station "$st" --json > "$T/out"
expect_output '"waybill": "SF1234567890123"' "waybill in the status export"
"$SEALKEY" export shipping --station "$st" --orders "$orders" > "$T/out"
check "shipped order leaves the manifest" bash -c "! grep -q JX2026-000101 '$T/out'"
check "unshipped order stays" grep -q JX2026-000102 "$T/out"

# A lost token: revoke, CRL, replacement.
serial=$(openssl x509 -in "$st/out/JX2026-000101/cert.pem" -noout -serial | cut -d= -f2)
expect_status 3 "bad reason" -- "$SEALKEY" revoke --station "$st" --order JX2026-000101 --reason stolen-by-aliens
expect_status 0 "revoke" -- "$SEALKEY" revoke --station "$st" --order JX2026-000101 --reason lost
expect_output "keyCompromise" "reason mapped to RFC 5280"
expect_status 4 "revoke twice" -- "$SEALKEY" revoke --station "$st" --order JX2026-000101 --reason lost
expect_status 0 "crl" -- "$SEALKEY" crl --station "$st"
openssl crl -in "$st/ca/issuing.crl" -noout -text > "$T/out" 2>&1
expect_output "Serial Number: $serial" "revoked serial on the CRL"
expect_output "Key Compromise" "reason on the CRL"
expect_output "X509v3 CRL Number: *$" "CRL number present"
openssl verify -crl_check -CRLfile "$st/ca/issuing.crl" -CAfile "$st/ca/root.crt" -untrusted "$st/ca/issuing.crt" "$st/out/JX2026-000101/cert.pem" > "$T/out" 2>&1
expect_output "certificate revoked" "openssl sees the certificate revoked"
openssl verify -crl_check -CRLfile "$st/ca/issuing.crl" -CAfile "$st/ca/root.crt" -untrusted "$st/ca/issuing.crt" "$st/out/JX2026-000102/cert.pem" > "$T/out" 2>&1
expect_output ": OK" "the other certificate still verifies against the CRL"
n1=$(openssl crl -in "$st/ca/issuing.crl" -noout -crlnumber | cut -d= -f2)
"$SEALKEY" crl --station "$st" -o "$T/second.crl" > /dev/null 2>&1
n2=$(openssl crl -in "$T/second.crl" -noout -crlnumber | cut -d= -f2)
check "CRL numbers increase ($n1 -> $n2)" test "$((n2))" -gt "$((n1))"
check "-o writes a copy: the station's CRL is the new one too" cmp -s "$T/second.crl" "$st/ca/issuing.crl"

expect_status 4 "issue a revoked order without --reissue" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order JX2026-000101
expect_output "revoked" "revoked reason given"
expect_status 0 "replacement token" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order JX2026-000101 --reissue
"$SEALKEY" export status --station "$st" --csv > "$T/out"
expect_output "^JX2026-000101,revoked," "old issuance shows revoked"
expect_output "^JX2026-000101,issued," "replacement shows issued"
# Every certificate signed along the way is live on one token or revoked.
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"
finish
