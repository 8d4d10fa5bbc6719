#!/bin/bash
# Issue 15, the SM2 side, end to end on the command line: an SM2 station CA (ca init
# --key-alg sm2) whose chain and CRLs OpenSSL accepts; an sm2 project refused on PKCS#11
# tokens; a document signed with the holder's SM2 key and its seal (seal sign), verified with
# the station's anchors (seal verify --doc), refused when the document or the signature is
# changed, and cross-checked with openssl pkeyutl over the signed bytes.
. "$SOURCE_DIR/tests/lib.sh"
ID=1234567812345678
ST=$T/st
mkdir -p "$ST"
cat > "$ST/station.json" <<JSON
{
  "station_id": "SM2-01",
  "pkcs11_module": "$SOFTHSM2_MODULE",
  "ca": {"name": "SM2 Demo CA", "key_algorithm": "sm2", "passphrase": "file:ca-pass"},
  "pin_policy": {"so_pin": "file:so-pin"},
  "projects": [
    {"code": "GMSM", "name": "SM2 project", "key_algorithm": "sm2", "validity_days": 365,
     "crl_url": "http://crl.example/issuing.crl", "province": "江西省", "locality": "南昌市"}
  ]
}
JSON
umask 077
printf '%s\n' 'so-pin-4711' > "$ST/so-pin"
printf '%s\n' 'sm2 ca passphrase' > "$ST/ca-pass"
umask 022

# -- the SM2 hierarchy
expect_status 0 "ca init makes an SM2 CA" -- "$SEALKEY" ca init --station "$ST"
expect_output 'created sm2 CA' "ca init says sm2"
for c in root issuing; do
    expect_status 0 "$c.crt" -- openssl x509 -in "$ST/ca/$c.crt" -noout -text
    expect_output 'Signature Algorithm: SM2-with-SM3' "$c.crt signed SM2-with-SM3"
    expect_output 'ASN1 OID: SM2' "$c.crt holds an SM2 key"
done
# openssl verify gives the SM2 ID (-vfyopt) to the leaf only: check each link as a leaf.
expect_status 0 "openssl verify: issuing CA under the root, with the SM2 ID" -- \
    openssl verify -vfyopt distid:$ID -CAfile "$ST/ca/root.crt" "$ST/ca/issuing.crt"
expect_status 2 "openssl verify without the SM2 ID fails (the ID is really set)" -- \
    openssl verify -CAfile "$ST/ca/root.crt" "$ST/ca/issuing.crt"
expect_status 0 "crl on an SM2 station" -- "$SEALKEY" crl --station "$ST" --ca-pass file:ca-pass
expect_status 0 "the issuing CRL" -- openssl crl -in "$ST/ca/issuing.crl" -noout -text
expect_output 'Signature Algorithm: SM2-with-SM3' "CRL signed SM2-with-SM3"

# -- an sm2 order on a PKCS#11 token: refused before any token or serial is used
jq '.[0] | .project_code = "GMSM" | [.]' "$SOURCE_DIR/examples/orders.json" > "$T/sm2-orders.json"
cp -r "$SOURCE_DIR/examples/scans" "$T/scans"
N=$(jq -r '.[0].order_number' "$T/sm2-orders.json")
expect_status 3 "issue refuses an sm2 project on PKCS#11" -- \
    "$SEALKEY" issue --station "$ST" --orders "$T/sm2-orders.json" --order "$N"
expect_output "order $N: project GMSM has key_algorithm sm2, which needs an SKF token \(token_api \"skf\"\)" \
    "the refusal names the order, project and token_api"
expect_status 0 "status" -- "$SEALKEY" status --station "$ST" --json
expect_no_output "$N" "nothing of the refused order in the ledger"

# -- a seal holder's key, certificate and seal (the fixture plays the SKF token's part)
mkdir -p "$T/fx"
umask 077; printf '%s\n' 'org key passphrase' > "$T/fx/key-pass"; umask 022
check "fixture" "$BUILD_DIR/tests/test_ses_sign" --make-fixture "$ST" "$T/fx"
expect_status 0 "openssl verify: organisation certificate under the issuing CA" -- \
    openssl verify -vfyopt distid:$ID -partial_chain -CAfile "$ST/ca/issuing.crt" "$T/fx/org.pem"
printf '合同正文 contract body\n' > "$T/contract.txt"

expect_status 0 "seal sign" -- "$SEALKEY" seal sign --seal "$T/fx/seal.esl" --cert "$T/fx/org.pem" \
    --key "$T/fx/org.key" --key-pass "file:$T/fx/key-pass" --in "$T/contract.txt" --out "$T/contract.sig"
expect_output 'SES_Signature v4, SM2-with-SM3' "seal sign reports"
expect_status 0 "seal verify --doc with the station's anchors: valid" -- \
    "$SEALKEY" seal verify "$T/contract.sig" --station "$ST" --doc "$T/contract.txt"
expect_output '^check document +ok' "document check"
expect_output '^check doc-sign +ok' "document signature check"
expect_output '^check signer +ok' "signer in certList"
expect_output '^check revocation +ok' "the SM2 CRL was checked"
expect_output '^result: +valid: .*document signed by the seal.s holder, unchanged' "valid"
expect_status 0 "seal verify --json" -- \
    "$SEALKEY" seal verify "$T/contract.sig" --station "$ST" --doc "$T/contract.txt" --json
check "JSON lists the document checks" \
    jq -e '[.verification.checks[].check] | index("doc-sign") != null' "$T/out"
expect_status 12 "seal verify without --doc: not verified" -- \
    "$SEALKEY" seal verify "$T/contract.sig" --station "$ST"
expect_output 'document NOT checked' "says the document was not checked"

# A changed document, and a changed signature file.
cp "$T/contract.txt" "$T/tampered.txt"; printf 'x' >> "$T/tampered.txt"
expect_status 1 "seal verify refuses a changed document" -- \
    "$SEALKEY" seal verify "$T/contract.sig" --station "$ST" --doc "$T/tampered.txt"
expect_output '^check document +FAILED' "document check fails"
expect_output '^result: +NOT VALID' "not valid"
cp "$T/contract.sig" "$T/forged.sig"
off=$(grep -abo 'contract.txt' "$T/forged.sig" | head -1 | cut -d: -f1)
printf 'C' | dd of="$T/forged.sig" bs=1 seek="$off" conv=notrunc 2>/dev/null
expect_status 1 "seal verify refuses a changed toSign" -- \
    "$SEALKEY" seal verify "$T/forged.sig" --station "$ST" --doc "$T/contract.txt"
expect_output '^check doc-sign +FAILED' "document signature check fails"

# -- independent check: OpenSSL alone over toSign's bytes as stored
openssl asn1parse -inform DER -in "$T/contract.sig" > "$T/asn1.txt"
read -r off hl len < <(sed -nE 's/^ *([0-9]+):d=1 +hl= *([0-9]+) +l= *([0-9]+) +cons: +SEQUENCE.*/\1 \2 \3/p' "$T/asn1.txt" | head -1)
tail -c +$((off + 1)) "$T/contract.sig" | head -c $((hl + len)) > "$T/tosign.der"
sig_off=$(sed -nE 's/^ *([0-9]+):d=1 .*BIT STRING.*/\1/p' "$T/asn1.txt")
openssl asn1parse -inform DER -in "$T/contract.sig" -strparse "$sig_off" -noout -out "$T/sig.der"
openssl x509 -in "$T/fx/org.pem" -pubkey -noout > "$T/org_pub.pem"
expect_status 0 "openssl pkeyutl verifies the document signature" -- \
    openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:$ID -pubin \
    -inkey "$T/org_pub.pem" -in "$T/tosign.der" -sigfile "$T/sig.der"
expect_output 'Signature Verified Successfully' "pkeyutl verdict"
want=$(openssl dgst -sm3 -r "$T/contract.txt" | cut -d' ' -f1)
openssl asn1parse -inform DER -in "$T/tosign.der" > "$T/tosign.txt"
hash_off=$(sed -nE 's/^ *([0-9]+):d=1 .*BIT STRING.*/\1/p' "$T/tosign.txt" | head -1)
# dataHash: BIT STRING header 03 21, the unused-bits byte 00, then the 32 bytes
dd if="$T/tosign.der" bs=1 skip=$((hash_off + 3)) count=32 2>/dev/null | xxd -p | tr -d '\n' > "$T/hash.hex"
check "dataHash is openssl's SM3 of the document" [ "$(cat "$T/hash.hex")" = "$want" ]

# -- refusals: nothing written
expect_status 4 "seal sign never overwrites" -- "$SEALKEY" seal sign --seal "$T/fx/seal.esl" \
    --cert "$T/fx/org.pem" --key "$T/fx/org.key" --key-pass "file:$T/fx/key-pass" \
    --in "$T/contract.txt" --out "$T/contract.sig"
umask 077; printf '%s\n' 'wrong' > "$T/wrong-pass"; umask 022
expect_status 6 "seal sign: wrong key passphrase" -- "$SEALKEY" seal sign --seal "$T/fx/seal.esl" \
    --cert "$T/fx/org.pem" --key "$T/fx/org.key" --key-pass "file:$T/wrong-pass" \
    --in "$T/contract.txt" --out "$T/wrong.sig"
check "nothing written on a wrong passphrase" [ ! -e "$T/wrong.sig" ]
expect_status 3 "seal sign: signer certificate not in the seal's certList" -- \
    "$SEALKEY" seal sign --seal "$T/fx/seal.esl" --cert "$ST/ca/issuing.crt" --key "$T/fx/org.key" \
    --key-pass "file:$T/fx/key-pass" --in "$T/contract.txt" --out "$T/other.sig"
expect_output "not in the seal's certList" "names the certList"
"$SEALKEY" seal sign --seal "$T/fx/seal.esl" --cert "$T/fx/org.pem" --key "$T/fx/org.key" \
    --key-pass "file:$T/fx/key-pass" --in "$T/contract.txt" --out "$T/json.sig" --json > "$T/j" 2>"$T/err"
check "seal sign --json (exit $?)" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["signature"] == sys.argv[2] and d["format"] == "SES_Signature v4" and d["seal_id"], d
assert d["property"] == "contract.txt" and d["time"], d' "$T/j" "$T/json.sig"
expect_status 0 "the --json signature verifies" -- \
    "$SEALKEY" seal verify "$T/json.sig" --station "$ST" --doc "$T/contract.txt"
expect_status 2 "seal sign: a pkcs11: key needs --module" -- "$SEALKEY" seal sign \
    --seal "$T/fx/seal.esl" --cert "$T/fx/org.pem" --key "pkcs11:token=t;object=k" \
    --in "$T/contract.txt" --out "$T/p11.sig"

# A PKCS#11 token key (SoftHSM: P-256, it has no SM2) is refused by name, before signing.
softhsm2-util --init-token --free --label sm2t --so-pin 12345678 --pin 654321 >/dev/null
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label sm2t --login --pin 654321 --keypairgen \
    --key-type EC:prime256v1 --id 01 --label k >/dev/null 2>&1
umask 077; printf '%s\n' '654321' > "$T/user-pin"; umask 022
expect_status 3 "seal sign: a PKCS#11 P-256 key is not SM2" -- "$SEALKEY" seal sign \
    --seal "$T/fx/seal.esl" --cert "$T/fx/org.pem" --key "pkcs11:token=sm2t;object=k;type=private" \
    --module "$SOFTHSM2_MODULE" --key-pass "file:$T/user-pin" --in "$T/contract.txt" --out "$T/p11.sig"
expect_output 'not an SM2 key' "names the key's algorithm"
check "nothing written for the token key" [ ! -e "$T/p11.sig" ]
finish
