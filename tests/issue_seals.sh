#!/usr/bin/env bash
# Issued tokens carry the order's electronic seals; OpenSC reads them back byte-identical and
# OpenSSL verifies their SM2 signature outside sealkey's code path.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
orders=$SOURCE_DIR/examples/orders.json
n=JX2026-000101
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
check "ca init made the SM2 seal maker" test -s "$st/ca/seal-maker.crt" -a -s "$st/ca/seal-root.crt"
check "seal maker key is 0600" test "$(stat -c %a "$st/ca/seal-maker.key")" = 600
openssl x509 -in "$st/ca/seal-maker.crt" -noout -text > "$T/out" 2>&1
expect_output "SM2" "seal maker key is SM2"

expect_status 0 "issue with seals" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$n"
expect_output "seal [0-9a-f]{32}" "issue prints the seal ids"
d=$st/out/$n
"$SEALKEY" crl --station "$st" >/dev/null 2>&1 || fail "crl (seal verify --station checks against it)"
pin=$(sed -n 's/^user PIN: *//p' "$d/pin-mailer.txt")

# The data objects, as OpenSC sees them.
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$n" --list-objects --type data > "$T/out" 2>&1
expect_output "label:[[:space:]]+'official seal'" "official seal object on the token"
expect_output "label:[[:space:]]+'legal-rep seal'" "legal-rep seal object on the token"
expect_output "application:[[:space:]]+'GB/T 38540 SES_Seal v4'" "data objects name the seal format"
for kind in official legal-rep; do
    pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label "$n" --read-object --type data \
        --label "$kind seal" --output-file "$T/$kind.esl" >/dev/null 2>&1
    check "$kind seal read back byte-identical" cmp -s "$T/$kind.esl" "$d/$kind.esl"
    expect_status 0 "$kind seal from the token verifies against the station" -- "$SEALKEY" seal verify "$T/$kind.esl" --station "$st"
    expect_output "result: +valid" "$kind seal valid"
    expect_output "check holder +ok +holder certificate serial [0-9A-F]+ .* chains to" "$kind seal: holder certificate checked"

    # Structure and signature with openssl alone: SESeal = SEQ { eSealInfo, cert, OID, BIT STRING }.
    openssl asn1parse -inform DER -in "$T/$kind.esl" -i > "$T/asn1" 2>&1
    check "$kind: asn1parse reads it" grep -q "IA5STRING *:ES" "$T/asn1"
    check "$kind: sign algorithm OID SM2-with-SM3" grep -Eq "d=1 .*OBJECT +:SM2-with-SM3" "$T/asn1"
    # Offsets of eSealInfo (first child) and the signature (last BIT STRING) at depth 1.
    info=$(awk -F: '$0 ~ /d=1/ {print $1+0; exit}' "$T/asn1")
    info_hl=$(grep -m1 "d=1" "$T/asn1" | sed 's/.*hl= *\([0-9]*\).*/\1/')
    info_l=$(grep -m1 "d=1" "$T/asn1" | sed 's/.*l= *\([0-9]*\) cons.*/\1/')
    dd if="$T/$kind.esl" of="$T/info.der" bs=1 skip="$info" count=$((info_hl + info_l)) status=none
    cert_off=$(awk '/d=1/ && /OCTET STRING/ {print $1+0; exit}' "$T/asn1" | tr -d :)
    openssl asn1parse -inform DER -in "$T/$kind.esl" -strparse "$cert_off" -noout -out "$T/maker.der" >/dev/null 2>&1
    openssl x509 -inform DER -in "$T/maker.der" -pubkey -noout > "$T/maker-pub.pem"
    sig_off=$(awk '/d=1/ && /BIT STRING/ {print $1+0}' "$T/asn1" | tail -1)
    # -strparse on a BIT STRING yields its content after the unused-bits byte: the DER signature.
    openssl asn1parse -inform DER -in "$T/$kind.esl" -strparse "$sig_off" -noout -out "$T/sig.der" >/dev/null 2>&1
    openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin \
        -inkey "$T/maker-pub.pem" -in "$T/info.der" -sigfile "$T/sig.der" > "$T/out" 2>&1
    expect_output "Signature Verified Successfully" "$kind: openssl pkeyutl verifies the SM2 signature"
done

# The ledger knows each seal by esID and hash.
sqlite3 "$st/ledger.sqlite" "SELECT kind || ' ' || sha256 FROM seals ORDER BY kind" > "$T/out"
check "ledger has the official seal's hash" grep -q "official $(sha256sum "$d/official.esl" | cut -c1-64)" "$T/out"
check "ledger has the legal-rep seal's hash" grep -q "legal-rep $(sha256sum "$d/legal-rep.esl" | cut -c1-64)" "$T/out"
"$SEALKEY" status --station "$st" --order "$n" --all > "$T/out"
expect_output "verified" "issuance verified after the seal steps"
sqlite3 "$st/ledger.sqlite" "SELECT group_concat(step, ' ') FROM issuance_steps" > "$T/out"
expect_output "cert_issued seals_made written verified" "the seal step sits between certificate and writing"

# seal make: another seal for the issued order, recorded and verifying.
expect_status 0 "seal make" -- "$SEALKEY" seal make --station "$st" --orders "$orders" --order "$n" --kind official -o "$T/again.esl"
expect_status 0 "made seal verifies" -- "$SEALKEY" seal verify "$T/again.esl" --station "$st"
check "seal make recorded a third esID" test "$(sqlite3 "$st/ledger.sqlite" 'SELECT count(DISTINCT es_id) FROM seals')" = 3
expect_status 0 "seal make from a PNG" -- "$SEALKEY" seal make --station "$st" --orders "$orders" --order "$n" --kind legal-rep --picture "$d/legal-rep.png" -o "$T/png.esl"
expect_status 4 "seal make for an order not issued" -- "$SEALKEY" seal make --station "$st" --orders "$orders" --order JX2026-000102 --kind official
expect_output "not issued" "not-issued reason"
expect_status 3 "seal make with a non-PNG picture" -- "$SEALKEY" seal make --station "$st" --orders "$orders" --order "$n" --kind official --picture "$orders"
expect_status 2 "seal make with a bad kind" -- "$SEALKEY" seal make --station "$st" --orders "$orders" --order "$n" --kind finance

# A scan the quality gate refuses stops the order before a token or serial is used.
mkdir -p "$T/o/scans"
cp "$SOURCE_DIR/examples/scans/"* "$T/o/scans/"
cp "$T/o/scans/JX2026-000102-legal-rep.jpg" "$T/o/scans/JX2026-000102-official.jpg"
cp "$orders" "$T/o/orders.json"
before=$(sqlite3 "$st/ledger.sqlite" "SELECT count(*) FROM serials")
expect_status 3 "square seal scanned as official refused" -- "$SEALKEY" issue --station "$st" --orders "$T/o/orders.json" --order JX2026-000102
expect_output "seal_scans.official" "refusal names the field"
check "no serial reserved for a refused scan" test "$(sqlite3 "$st/ledger.sqlite" 'SELECT count(*) FROM serials')" = "$before"
# Every certificate signed along the way is live on one token or revoked.
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"
finish
