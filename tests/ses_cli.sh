#!/bin/bash
# sealkey seal verify / show on the real ofdrw seals and on a seal built by test_ses, with
# OpenSSL's own command line as the independent check of structure and signatures.
. "$SOURCE_DIR/tests/lib.sh"

D=$SOURCE_DIR/tests/data/eseal
V1=$D/ofdrw-UserV1.esl
V4=$D/ofdrw-UserV4.esl
TEST_SES=${BUILD_DIR:?}/tests/test_ses

# --- the real seals --------------------------------------------------------------------------
# Without trust anchors an intact seal is not "valid": exit 12, and the result says what was
# checked and what was not.
expect_status 12 "v4 intact inside its validity, not verified without anchors" -- "$SEALKEY" seal verify "$V4" --at 2021-06-01
expect_output "^result: +NOT VERIFIED: signature by the seal maker's key OK; maker certificate NOT checked against any trust anchor; holder certificate NOT checked$" "v4 result line"
expect_output "^sealkey: .*ofdrw-UserV4.esl: not verified: signature by the seal maker's key OK" "v4 message"
expect_output 'check holder +skipped +no trusted CA for the holder certificate' "v4 holder check skipped"
expect_output 'check signature +ok +SM2' "v4 signature check"
expect_output 'esID: +51f044b76510434e9bc67a1185c2fba5' "v4 esID"
expect_output 'picture: +PNG, 15693 bytes, 40 x 40 mm, 400 x 400 px' "v4 picture"
expect_status 12 "v1 intact inside its validity, not verified without anchors" -- "$SEALKEY" seal verify "$V1" --at 2021-06-01T00:00:00Z
expect_output 'format: +v1' "v1 format"
expect_output 'SEQUENCE\{esealInfo, cert, signatureAlgorithm\} verifies' "v1 signing rule"

for f in "$V1" "$V4"; do
    expect_status 1 "$(basename "$f") expired now" -- "$SEALKEY" seal verify "$f"
    expect_output 'sealkey: .*validity: e[sS]ealInfo.property.validEnd: seal expired 2022-04-22' \
        "$(basename "$f") names the expired field"
    expect_output '^result: +NOT VALID' "$(basename "$f") result line"
done

expect_status 12 "verify --json" -- "$SEALKEY" seal verify "$V4" --at 2021-06-01 --json
sed -i '/^sealkey: /d' "$T/out"
check "verify --json: not valid, not verified, signature ok" \
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d["verification"]; c={x["check"]: x["result"] for x in v["checks"]}; assert v["valid"] is False and v["result"] == "not verified" and "NOT checked" in v["summary"] and c["signature"] == "ok" and c["chain"] == "skipped" and c["holder"] == "skipped" and d["format_version"] == 4' "$T/out"

# show: fields and the picture, byte for byte what the file holds (offsets from asn1parse:
# the OCTET STRING at 694 has a 4-byte header).
expect_status 0 "show --picture" -- "$SEALKEY" seal show "$V4" --picture "$T/pic.png"
expect_output 'name: +OFD R&W 测试用印章' "show prints the UTF-8 name"
expect_no_output '^check ' "show runs no checks"
tail -c +$((694 + 4 + 1)) "$V4" | head -c 15693 > "$T/pic.expected"
check "picture bytes extracted exactly" cmp -s "$T/pic.png" "$T/pic.expected"
check "picture file is 0644" test "$(stat -c %a "$T/pic.png")" = 644

# Refused inputs, each with its exit status.
head -c 5000 "$V4" > "$T/truncated.esl"
expect_status 3 "truncated seal" -- "$SEALKEY" seal verify "$T/truncated.esl" --at 2021-06-01
expect_output 'truncated' "truncated message"
{ cat "$V4"; printf 'garbage'; } > "$T/trailing.esl"
expect_status 3 "trailing garbage" -- "$SEALKEY" seal verify "$T/trailing.esl" --at 2021-06-01
expect_output '7 bytes of trailing data' "trailing message"
expect_status 3 "missing file" -- "$SEALKEY" seal show "$T/nope.esl"
cp "$V4" "$T/forged.esl"
printf 'X' | dd of="$T/forged.esl" bs=1 seek=40 conv=notrunc 2>/dev/null # inside esID
expect_status 1 "forged esID" -- "$SEALKEY" seal verify "$T/forged.esl" --at 2021-06-01
expect_output 'signature: SESeal.signedValue: does not verify' "forged message"
expect_status 2 "bad --at" -- "$SEALKEY" seal verify "$V4" --at 2021-13-01
expect_status 2 "no file" -- "$SEALKEY" seal verify
expect_status 0 "verify --help" -- "$SEALKEY" seal verify --help
expect_output '^usage: sealkey seal verify FILE' "verify usage"
expect_status 0 "show --help" -- "$SEALKEY" seal show -h
expect_output '^usage: sealkey seal show FILE' "show usage"

# --- a seal made by sealkey's code, checked by the openssl command line -----------------------
F=$T/fx
mkdir -p "$F"
if ! "$TEST_SES" --make-seal "$F"; then
    fail "test_ses --make-seal"
    finish
    exit
fi
M=$F/maker
check "maker keys are 0600" test "$(stat -c %a "$M/seal-maker.key") $(stat -c %a "$M/seal-root.key")" = "600 600"
check "maker key is encrypted PKCS#8" grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$M/seal-maker.key"

# OpenSSL 3.0's `verify` checks SM2 signatures with an empty ID unless told; -vfyopt gives the
# ID to the leaf, which is enough here because a trusted root's own signature is not checked.
expect_status 0 "openssl verify of the maker cert (SM2 ID)" -- \
    openssl verify -vfyopt distid:1234567812345678 -CAfile "$M/seal-root.crt" "$M/seal-maker.crt"
expect_status 2 "openssl verify without the SM2 ID fails (documents the pitfall)" -- \
    openssl verify -CAfile "$M/seal-root.crt" "$M/seal-maker.crt"
expect_status 0 "root certificate text" -- openssl x509 -in "$M/seal-root.crt" -noout -text
expect_output 'CA:TRUE' "root is a CA"
expect_output 'Certificate Sign, CRL Sign' "root key usage"
expect_output 'SM2-with-SM3' "root signature algorithm"
expect_status 0 "maker certificate text" -- openssl x509 -in "$M/seal-maker.crt" -noout -text
expect_output 'CA:FALSE' "maker is not a CA"
expect_output 'Digital Signature, Non Repudiation' "maker key usage"
expect_output 'Authority Key Identifier' "maker AKI"

expect_status 0 "asn1parse of the built seal" -- openssl asn1parse -inform DER -in "$F/seal.esl" -i
expect_output 'IA5STRING +:ES$' "header ID"
expect_output 'INTEGER +:04$' "header version 4"
expect_output 'IA5STRING +:sealkey$' "vid"
expect_output 'GENERALIZEDTIME' "GeneralizedTime dates"
expect_output 'IA5STRING +:PNG$' "picture type"
expect_output 'OBJECT +:1.2.156.112600.7.1$' "USCC ext data"
expect_output 'OBJECT +:SM2-with-SM3$' "signAlgID"
cp "$T/out" "$T/asn1.txt"

# The exact bytes of eSealInfo (first d=1 element) and the signature (the BIT STRING at d=1),
# then verify with openssl pkeyutl: nothing of ours in this path.
read -r off hl len < <(sed -nE 's/^ *([0-9]+):d=1 +hl= *([0-9]+) +l= *([0-9]+) +cons: +SEQUENCE.*/\1 \2 \3/p' "$T/asn1.txt" | head -1)
tail -c +$((off + 1)) "$F/seal.esl" | head -c $((hl + len)) > "$T/sealinfo.der"
sig_off=$(sed -nE 's/^ *([0-9]+):d=1 .*BIT STRING.*/\1/p' "$T/asn1.txt")
cert_off=$(sed -nE 's/^ *([0-9]+):d=1 .*OCTET STRING.*/\1/p' "$T/asn1.txt")
openssl asn1parse -inform DER -in "$F/seal.esl" -strparse "$sig_off" -noout -out "$T/sig.der"
openssl asn1parse -inform DER -in "$F/seal.esl" -strparse "$cert_off" -noout -out "$T/cert.der"
openssl x509 -in "$M/seal-maker.crt" -outform DER -out "$T/maker.der"
check "SESeal.cert is the maker certificate" cmp -s "$T/cert.der" "$T/maker.der"
openssl x509 -in "$M/seal-maker.crt" -pubkey -noout > "$T/maker_pub.pem"
expect_status 0 "openssl pkeyutl verifies the seal signature" -- \
    openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin \
    -inkey "$T/maker_pub.pem" -in "$T/sealinfo.der" -sigfile "$T/sig.der"
expect_output 'Signature Verified Successfully' "pkeyutl verdict"
printf 'Y' | dd of="$T/sealinfo.der" bs=1 seek=40 conv=notrunc 2>/dev/null
expect_status 1 "openssl pkeyutl refuses altered eSealInfo" -- \
    openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 -pubin \
    -inkey "$T/maker_pub.pem" -in "$T/sealinfo.der" -sigfile "$T/sig.der"

# Our verifier on the same seal.
expect_status 12 "built seal: maker chain checked, holder not: not verified" -- \
    "$SEALKEY" seal verify "$F/seal.esl" --ca "$M/seal-root.crt"
expect_output 'check chain +ok +maker certificate chains to .*Test Station Seal Root CA' "chain ok"
expect_output "^result: +NOT VERIFIED: .*maker certificate chains to the trusted seal root; holder certificate NOT checked$" "says the holder was not checked"
expect_output 'type: +5 \(legal representative seal\)' "type 5"
expect_output 'extData\[0\]: +1.2.156.112600.7.1 "91360100MA35XXXX0X\+测试单位有限公司"' "USCC+name"
expect_status 1 "wrong --ca chain" -- "$SEALKEY" seal verify "$F/seal.esl" --ca "$F/other/seal-root.crt"
expect_output 'chain: maker certificate does not chain to' "wrong chain message"
expect_status 3 "--ca that is not PEM" -- "$SEALKEY" seal verify "$F/seal.esl" --ca "$V4"
expect_output 'no PEM certificates' "bad --ca message"
expect_status 1 "expired built seal" -- "$SEALKEY" seal verify "$F/expired.esl" --ca "$M/seal-root.crt"
expect_output 'validity: eSealInfo.property.validEnd: seal expired' "expired message"

finish
