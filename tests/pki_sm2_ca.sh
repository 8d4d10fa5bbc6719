#!/usr/bin/env bash
# An SM2 issuing CA signed by the CA's offline SM2 root (GM/T 0015), openssl playing the root:
# `ca request --key-alg sm2` makes the SM2 key and a request signed SM2-with-SM3 with the SM2
# ID (the root checks it with -vfyopt); `ca import` checks the certificate with the ID and
# refuses one signed without it; the station in production mode then issues (a P-256
# project on SoftHSM: SM2 token keys need SKF) certificates signed SM2-with-SM3 that openssl
# verifies link by link against the root, and SM2 CRLs, with no root key on the station.
source "$SOURCE_DIR/tests/lib.sh"
orders=$SOURCE_DIR/examples/orders.json
st=$T/station
make_station "$st"
off=$T/offline
mkdir -p "$off"
ID=distid:1234567812345678
printf 'basicConstraints = critical,CA:TRUE,pathlen:0\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n' > "$off/issuing.ext"
printf 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,nonRepudiation\n' > "$off/maker.ext"
openssl genpkey -algorithm SM2 -out "$off/root.key" 2>/dev/null
openssl req -x509 -new -key "$off/root.key" -sm3 -sigopt $ID -days 7300 \
    -subj "/C=CN/O=Jiangxi Demo CA/CN=Jiangxi Demo CA SM2 Root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$off/root.crt" 2>/dev/null || fail "SM2 root"

expect_status 0 "ca request --key-alg sm2" -- "$SEALKEY" ca request --station "$st" --key-alg sm2
expect_output "made the sm2 issuing CA key" "request says sm2"
expect_status 0 "the request" -- openssl req -in "$st/ca/issuing.csr" -noout -text
expect_output "Signature Algorithm: SM2-with-SM3" "the request is signed SM2-with-SM3"
expect_output "ASN1 OID: SM2" "for an SM2 key"
# sign CSR OUT [SIGOPTS...]: the SM2 root's operators; -vfyopt checks the request with the ID.
sign() {
    local csr=$1 out=$2 ext=$3
    shift 3
    openssl x509 -req -in "$csr" -CA "$off/root.crt" -CAkey "$off/root.key" -sm3 "$@" \
        -vfyopt $ID -days 3650 -extfile "$ext" -out "$out" 2>/dev/null
}
check "the root accepts the request's signature with the SM2 ID" sign "$st/ca/issuing.csr" "$off/issuing.crt" "$off/issuing.ext" -sigopt $ID
check "the seal maker" sign "$st/ca/seal-maker.csr" "$off/seal-maker.crt" "$off/maker.ext" -sigopt $ID
check "(a certificate signed without the ID, for the refusal)" sign "$st/ca/issuing.csr" "$off/noid.crt" "$off/issuing.ext"

imp() { "$SEALKEY" ca import --station "$st" --root "$off/root.crt" "$@"; }
expect_status 7 "an SM2 certificate signed without the SM2 ID" -- imp --cert "$off/noid.crt"
expect_output "noid.crt is not signed by the root" "refused: its signature does not verify with the ID"
expect_status 0 "ca import of the SM2 issuing CA" -- imp --cert "$off/issuing.crt" \
    --seal-cert "$off/seal-maker.crt" --seal-root "$off/root.crt"
expect_status 0 "ca show" -- "$SEALKEY" ca show --station "$st"
expect_output "mode: production" "an SM2 station in production mode"

n=JX2026-000101
expect_status 0 "issue under the SM2 issuing CA" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order $n
expect_status 0 "the certificate" -- openssl x509 -in "$st/out/$n/cert.pem" -noout -text
expect_output "Signature Algorithm: SM2-with-SM3" "signed SM2-with-SM3 by the issuing CA"
# openssl verify gives the ID to the leaf only (docs/station.md, SM2 stations): link by link.
expect_status 0 "openssl verify: the token certificate under the issuing CA" -- \
    openssl verify -vfyopt $ID -partial_chain -CAfile "$st/ca/issuing.crt" "$st/out/$n/cert.pem"
expect_status 0 "openssl verify: the issuing CA under the root alone" -- \
    openssl verify -vfyopt $ID -CAfile "$off/root.crt" "$st/ca/issuing.crt"
expect_status 0 "crl" -- "$SEALKEY" crl --station "$st"
expect_status 0 "the issuing CRL" -- openssl crl -in "$st/ca/issuing.crl" -noout -text
expect_output "Signature Algorithm: SM2-with-SM3" "an SM2 CRL"
expect_status 0 "seal verify against the station" -- "$SEALKEY" seal verify "$st/out/$n/official.esl" --station "$st"
keys=$(grep -rl "PRIVATE KEY" "$st" | sed "s|$st/||" | sort | tr '\n' ' ')
check "the only private keys are the issuing CA's and the seal maker's ($keys)" test "$keys" = "ca/issuing.key ca/seal-maker.key "

# An SM2 CA key cannot be made on a PKCS#11 HSM (no SM2 mechanism): refused, nothing made.
h=$T/hsm-station
make_station "$h"
sed -i 's|"passphrase": "file:ca-pass",|"passphrase": "file:ca-pass", "key_uri": "pkcs11:token=none;object=ca",|' "$h/station.json"
expect_status 3 "ca request --key-alg sm2 with ca.key_uri" -- "$SEALKEY" ca request --station "$h" --key-alg sm2
expect_output "an sm2 CA key cannot be made on a PKCS#11 HSM" "names the reason"
check "nothing made" test ! -e "$h/ca/issuing.csr" -a ! -e "$h/ca/seal-maker.key"
finish
