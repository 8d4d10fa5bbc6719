#!/usr/bin/env bash
# A production station inside the CA's own PKI: a test CA made with plain openssl plays the
# CA's offline root (and its SM2 seal root); `sealkey ca request` makes the station's keys and
# requests, the roots sign them with `openssl x509 -req`, `sealkey ca import` checks and
# installs what comes back (refusing a wrong key, a non-CA certificate, another root, a bad
# key usage); the station then issues orders whose certificates `openssl verify` accepts
# against that root alone, and no root private key is ever on the station.
source "$SOURCE_DIR/tests/lib.sh"
orders=$SOURCE_DIR/examples/orders.json
st=$T/station
make_station "$st"
off=$T/offline       # the CA's own site, never on the station
mkdir -p "$off"
SM2ID=distid:1234567812345678

# The offline roots.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$off/root.key" \
    -subj "/C=CN/O=Jiangxi Demo CA/CN=Jiangxi Demo CA Offline Root" -days 7300 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$off/root.crt" 2>/dev/null || fail "offline root"
openssl genpkey -algorithm SM2 -out "$off/sm2root.key" 2>/dev/null
openssl req -x509 -new -key "$off/sm2root.key" -sm3 -sigopt $SM2ID -days 7300 \
    -subj "/O=Jiangxi Demo CA/CN=Jiangxi Demo CA SM2 Seal Root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$off/sm2root.crt" 2>/dev/null || fail "offline SM2 root"
cat > "$off/issuing.ext" <<'X'
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://crl.demo-ca.example/root.crl
X
cat > "$off/maker.ext" <<'X'
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
X
# sign_issuing CSR OUT [EXTFILE [ROOT]]: the root's operators at work.
sign_issuing() {
    local root=${4:-$off/root}
    openssl x509 -req -in "$1" -CA "$root.crt" -CAkey "$root.key" -days 3650 -sha384 \
        -extfile "${3:-$off/issuing.ext}" -out "$2" 2>/dev/null
}

expect_status 4 "import before any request" -- "$SEALKEY" ca import --station "$st" --cert "$off/root.crt" --root "$off/root.crt"
expect_output "no issuing CA request" "import without a request refused"
expect_status 3 "show with no CA" -- "$SEALKEY" ca show --station "$st"

expect_status 0 "ca request" -- "$SEALKEY" ca request --station "$st"
expect_output "issuing.csr" "request paths printed"
check "issuing key made, encrypted" grep -q "ENCRYPTED PRIVATE KEY" "$st/ca/issuing.key"
check "seal maker key made, encrypted" grep -q "ENCRYPTED PRIVATE KEY" "$st/ca/seal-maker.key"
check "issuing CA request verifies" openssl req -in "$st/ca/issuing.csr" -noout -verify
openssl req -in "$st/ca/issuing.csr" -noout -text > "$T/out" 2>&1
expect_output "CN = Jiangxi Demo CA Issuing CA 1" "request subject"
expect_output "CA:TRUE, pathlen:0" "request asks for a CA certificate"
check "seal maker request verifies (SM2, SM2 ID)" \
    openssl req -in "$st/ca/seal-maker.csr" -noout -verify -vfyopt $SM2ID
expect_status 0 "ca show while waiting" -- "$SEALKEY" ca show --station "$st"
expect_output "mode: requested" "show says requested"
expect_status 4 "a second request" -- "$SEALKEY" ca request --station "$st"
expect_status 4 "ca init over a request" -- "$SEALKEY" ca init --station "$st"
expect_status 3 "issue before import" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order JX2026-000101

# What comes back, and what is refused (nothing installed by a refusal).
sign_issuing "$st/ca/issuing.csr" "$off/issuing.crt" || fail "root signs the issuing CA"
openssl x509 -req -in "$st/ca/seal-maker.csr" -CA "$off/sm2root.crt" -CAkey "$off/sm2root.key" \
    -sm3 -sigopt $SM2ID -vfyopt $SM2ID -days 3650 -extfile "$off/maker.ext" \
    -out "$off/seal-maker.crt" 2>/dev/null || fail "SM2 root signs the seal maker"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$off/other.key" \
    -subj "/CN=someone else" -out "$off/other.csr" 2>/dev/null
sign_issuing "$off/other.csr" "$off/other.crt"
sed 's/CA:TRUE,pathlen:0/CA:FALSE/; s/keyCertSign,cRLSign/digitalSignature/' "$off/issuing.ext" > "$off/leaf.ext"
sign_issuing "$st/ca/issuing.csr" "$off/leaf.crt" "$off/leaf.ext"
sed 's/keyCertSign,cRLSign/keyCertSign/' "$off/issuing.ext" > "$off/nocrl.ext"
sign_issuing "$st/ca/issuing.csr" "$off/nocrl.crt" "$off/nocrl.ext"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$off/root2.key" \
    -subj "/C=CN/O=Jiangxi Demo CA/CN=Jiangxi Demo CA Offline Root" -days 7300 \
    -addext basicConstraints=critical,CA:TRUE -out "$off/root2.crt" 2>/dev/null
imp() { "$SEALKEY" ca import --station "$st" "$@"; }
expect_status 7 "a certificate for another key" -- imp --cert "$off/other.crt" --root "$off/root.crt"
expect_output "other.crt: its key is not the one of this station's request" "wrong key named"
expect_status 7 "a certificate that is not a CA" -- imp --cert "$off/leaf.crt" --root "$off/root.crt"
expect_output "leaf.crt: not a CA certificate" "non-CA refused"
expect_status 7 "a CA certificate without cRLSign" -- imp --cert "$off/nocrl.crt" --root "$off/root.crt"
expect_output "keyUsage must allow keyCertSign and cRLSign" "key usage refused"
expect_status 7 "another root (same name, other key)" -- imp --cert "$off/issuing.crt" --root "$off/root2.crt"
expect_output "is not signed by the root" "wrong root refused"
expect_status 7 "the issuing CA as its own root" -- imp --cert "$off/issuing.crt" --root "$off/issuing.crt"
expect_output "not a self-signed CA" "non-root refused"
expect_status 7 "seal maker: the issuing CA's root" -- imp --seal-cert "$off/seal-maker.crt" --seal-root "$off/root.crt"
expect_status 7 "seal maker: a certificate for another key" -- imp --seal-cert "$off/sm2root.crt" --seal-root "$off/sm2root.crt"
printf 'not the passphrase\n' > "$T/wrong" && chmod 600 "$T/wrong"
expect_status 6 "wrong CA passphrase" -- imp --cert "$off/issuing.crt" --root "$off/root.crt" --ca-pass "file:$T/wrong"
expect_status 2 "--cert without --root" -- imp --cert "$off/issuing.crt"
check "nothing installed by the refusals" test ! -e "$st/ca/issuing.crt" -a ! -e "$st/ca/root.crt" -a ! -e "$st/ca/seal-maker.crt"

expect_status 0 "ca import" -- imp --cert "$off/issuing.crt" --root "$off/root.crt" \
    --seal-cert "$off/seal-maker.crt" --seal-root "$off/sm2root.crt"
expect_output "no root key on this station" "import says so"
expect_status 4 "import twice" -- imp --cert "$off/issuing.crt" --root "$off/root.crt"
expect_status 0 "ca show" -- "$SEALKEY" ca show --station "$st"
expect_output "mode: production" "show says production"
expect_output "Offline Root" "show names the offline root"
"$SEALKEY" audit show --station "$st" > "$T/out" 2>&1
expect_output "import issuing CA, seal maker" "the import is in the audit log"

for n in JX2026-000101 JX2026-000102; do
    expect_status 0 "issue $n under the imported CA" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order $n
    expect_status 0 "openssl verify $n against the offline root alone" -- \
        openssl verify -CAfile "$off/root.crt" -untrusted "$st/ca/issuing.crt" "$st/out/$n/cert.pem"
done
check "chain.pem is the issuing CA then the offline root" \
    cmp -s <(cat "$off/issuing.crt" "$off/root.crt" | openssl crl2pkcs7 -nocrl -certfile /dev/stdin | openssl pkcs7 -print_certs | grep subject) \
           <(openssl crl2pkcs7 -nocrl -certfile "$st/ca/chain.pem" | openssl pkcs7 -print_certs | grep subject)
expect_status 0 "crl without a root key" -- "$SEALKEY" crl --station "$st"
expect_output "no root CRL" "crl says the root's CRL is signed elsewhere"
expect_status 0 "seal verify against the station" -- "$SEALKEY" seal verify "$st/out/JX2026-000101/official.esl" --station "$st"
# No root private key anywhere on the station: only the issuing and seal-maker keys.
check "no root key files" test ! -e "$st/ca/root.key" -a ! -e "$st/ca/seal-root.key"
keys=$(grep -rl "PRIVATE KEY" "$st" | sed "s|$st/||" | sort | tr '\n' ' ')
check "the only private keys are the issuing CA's and the seal maker's ($keys)" test "$keys" = "ca/issuing.key ca/seal-maker.key "

# The same with the issuing key on an HSM (a second SoftHSM token, ca.key_uri): ca request
# makes the key there and the request is signed on the token; ca import checks the HSM key
# by a test signature.
hsm=$T/hsm-station
make_station "$hsm"
softhsm2-util --init-token --free --label pki-ca --so-pin 87654321 --pin 11223344 >/dev/null
printf '11223344\n' > "$hsm/ca-pass"
sed 's|"passphrase": "file:ca-pass"|"passphrase": "file:ca-pass", "key_uri": "pkcs11:token=pki-ca;object=issuing%20CA"|' \
    "$SOURCE_DIR/examples/station.json" > "$hsm/station.json"
"$SEALKEY" ca request --station "$hsm" --json > "$T/j" 2>"$T/err"
check "ca request --json with the HSM (exit $?)" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["issuing_key"] == "hsm" and d["key_algorithm"], d
assert [r["path"] for r in d["requests"]] == [sys.argv[2] + "/ca/issuing.csr", sys.argv[2] + "/ca/seal-maker.csr"], d' "$T/j" "$hsm"
check "no issuing key file" test ! -e "$hsm/ca/issuing.key"
check "the HSM-signed request verifies" openssl req -in "$hsm/ca/issuing.csr" -noout -verify
sign_issuing "$hsm/ca/issuing.csr" "$off/hsm-issuing.crt" || fail "root signs the HSM station's CA"
openssl x509 -req -in "$hsm/ca/seal-maker.csr" -CA "$off/sm2root.crt" -CAkey "$off/sm2root.key" \
    -sm3 -sigopt $SM2ID -vfyopt $SM2ID -days 3650 -extfile "$off/maker.ext" \
    -out "$off/hsm-seal-maker.crt" 2>/dev/null || fail "SM2 root signs the HSM station's seal maker"
expect_status 7 "the other station's certificate" -- "$SEALKEY" ca import --station "$hsm" --cert "$off/issuing.crt" --root "$off/root.crt"
expect_output "not the one of this station's request" "another station's certificate refused"
expect_status 0 "ca import with the HSM key" -- "$SEALKEY" ca import --station "$hsm" --cert "$off/hsm-issuing.crt" \
    --root "$off/root.crt" --seal-cert "$off/hsm-seal-maker.crt" --seal-root "$off/sm2root.crt" --json
check "ca import --json: the files installed" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ca_dir"] == sys.argv[2] + "/ca" and d["installed"] == ["root.crt", "issuing.crt", "chain.pem", "seal-maker.crt", "seal-root.crt"], d' "$T/out" "$hsm"
expect_status 0 "issue with the HSM key under the offline root" -- "$SEALKEY" issue --station "$hsm" --orders "$orders" --order JX2026-000101
check "verifies against the offline root alone" \
    openssl verify -CAfile "$off/root.crt" -untrusted "$hsm/ca/issuing.crt" "$hsm/out/JX2026-000101/cert.pem"
finish
