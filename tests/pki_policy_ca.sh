#!/usr/bin/env bash
# A three-level hierarchy made with plain openssl: the CA's offline root signs a policy CA,
# the policy CA signs the station's issuing CA (sealkey ca request). `sealkey ca import
# --chain` checks the whole path (each a CA with the right basic constraints, key usage and
# path length, each signed by the next, ending at the root given) and refuses a missing
# policy CA, one whose pathlen leaves no room, one from another root and a stranger in the
# chain; then chain.pem, `ca show`, every token and out/ORDER/chain.pem carry the policy CA,
# and `openssl verify -CAfile root -untrusted chain` accepts each token certificate. The
# same through a bundle (--cert with the policy CA after the issuing CA), and with external
# signing (ca.signing "external"), whose cert-import checks the whole path.
source "$SOURCE_DIR/tests/lib.sh"
orders=$SOURCE_DIR/examples/orders.json
st=$T/station
make_station "$st"
off=$T/offline       # the CA's own site, never on the station
mkdir -p "$off"
SM2ID=distid:1234567812345678

ext() { # ext FILE PATHLEN: a CA's extensions
    printf 'basicConstraints = critical,CA:TRUE%s\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n' \
        "${2:+,pathlen:$2}" > "$1"
}
ext "$off/policy.ext" 1
ext "$off/policy0.ext" 0
ext "$off/issuing.ext" 0
printf 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,nonRepudiation\n' > "$off/maker.ext"
# root NAME SUBJECT-CN: a self-signed root
root() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$off/$1.key" \
        -subj "/C=CN/O=Jiangxi Demo CA/CN=$2" -days 7300 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -out "$off/$1.crt" 2>/dev/null || fail "root $1"
}
# sign CSR OUT EXTFILE ISSUER: the CA's operators at work.
sign() {
    openssl x509 -req -in "$1" -CA "$off/$4.crt" -CAkey "$off/$4.key" -days 3650 -sha384 \
        -extfile "$3" -out "$2" 2>/dev/null || fail "$4 signs $2"
}
# policy NAME EXTFILE ROOT: a policy CA key and certificate signed by ROOT
policy() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout "$off/$1.key" \
        -subj "/C=CN/O=Jiangxi Demo CA/CN=Jiangxi Demo CA Policy CA ($1)" -out "$off/$1.csr" 2>/dev/null
    sign "$off/$1.csr" "$off/$1.crt" "$2" "$3"
}
root root "Jiangxi Demo CA Offline Root"
root root2 "Another Root"
policy pol "$off/policy.ext" root
policy pol0 "$off/policy0.ext" root
policy stranger "$off/policy.ext" root2
openssl genpkey -algorithm SM2 -out "$off/sm2root.key" 2>/dev/null
openssl req -x509 -new -key "$off/sm2root.key" -sm3 -sigopt $SM2ID -days 7300 \
    -subj "/O=Jiangxi Demo CA/CN=Jiangxi Demo CA SM2 Seal Root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$off/sm2root.crt" 2>/dev/null || fail "SM2 root"

expect_status 0 "ca request" -- "$SEALKEY" ca request --station "$st"
sign "$st/ca/issuing.csr" "$off/issuing.crt" "$off/issuing.ext" pol
sign "$st/ca/issuing.csr" "$off/issuing0.crt" "$off/issuing.ext" pol0
openssl x509 -req -in "$st/ca/seal-maker.csr" -CA "$off/sm2root.crt" -CAkey "$off/sm2root.key" \
    -sm3 -sigopt $SM2ID -vfyopt $SM2ID -days 3650 -extfile "$off/maker.ext" \
    -out "$off/seal-maker.crt" 2>/dev/null || fail "SM2 root signs the seal maker"

imp() { "$SEALKEY" ca import --station "$st" --seal-cert "$off/seal-maker.crt" --seal-root "$off/sm2root.crt" "$@"; }
expect_status 7 "no policy CA given" -- imp --cert "$off/issuing.crt" --root "$off/root.crt"
expect_output "issuing.crt is not signed by the root .*give it with --chain" "names the gap and the option"
expect_status 7 "a policy CA with pathlen:0" -- imp --cert "$off/issuing0.crt" --chain "$off/pol0.crt" --root "$off/root.crt"
expect_output "pol0.crt: policy CA .*pathlen:0 leaves no room for the 1 CA" "the path length is checked"
expect_status 7 "a policy CA of another root" -- imp --cert "$off/issuing.crt" --chain "$off/pol.crt" --root "$off/root2.crt"
expect_output "is signed neither by the root" "another root refused"
cat "$off/pol.crt" "$off/stranger.crt" > "$off/extra.pem"
expect_status 7 "a stranger in the chain" -- imp --cert "$off/issuing.crt" --chain "$off/extra.pem" --root "$off/root.crt"
expect_output "extra.pem: 'Jiangxi Demo CA Policy CA \(stranger\)' is not on the path" "the stranger is named"
expect_status 2 "--chain without --cert" -- "$SEALKEY" ca import --station "$st" --chain "$off/pol.crt" \
    --seal-cert "$off/seal-maker.crt" --seal-root "$off/sm2root.crt"
check "nothing installed by the refusals" test ! -e "$st/ca/issuing.crt" -a ! -e "$st/ca/chain.pem" -a ! -e "$st/ca/seal-maker.crt"

expect_status 0 "ca import --chain" -- imp --cert "$off/issuing.crt" --chain "$off/pol.crt" --root "$off/root.crt"
check "chain.pem is the issuing CA, the policy CA, the root" \
    cmp -s <(cat "$off/issuing.crt" "$off/pol.crt" "$off/root.crt") "$st/ca/chain.pem"
expect_status 0 "ca show" -- "$SEALKEY" ca show --station "$st"
expect_output "mode: production" "show says production"
expect_output "^policy CA:" "show lists the policy CA"
expect_output "CN ?= ?Jiangxi Demo CA Policy CA \(pol\)" "and names it"
expect_status 0 "ca show --json" -- "$SEALKEY" ca show --station "$st" --json
check "--json lists it" test "$(jq -r '.policy_cas[0].subject' "$T/out")" = "/C=CN/O=Jiangxi Demo CA/CN=Jiangxi Demo CA Policy CA (pol)"

for n in JX2026-000101 JX2026-000102; do
    expect_status 0 "issue $n under the policy CA" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order $n
    check "$n: out/ORDER/chain.pem carries the policy CA" cmp -s "$st/ca/chain.pem" "$st/out/$n/chain.pem"
    expect_status 0 "openssl verify $n against the root, the rest untrusted" -- \
        openssl verify -CAfile "$off/root.crt" -untrusted "$st/out/$n/chain.pem" "$st/out/$n/cert.pem"
done
check "every token holds the three CA certificates" \
    test "$(pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label JX2026-000101 -O --type cert 2>/dev/null | grep -c 'label:.*Jiangxi Demo CA')" -ge 3
expect_status 0 "revoke JX2026-000102" -- "$SEALKEY" revoke --station "$st" --order JX2026-000102 --reason keyCompromise
expect_status 0 "crl" -- "$SEALKEY" crl --station "$st"
expect_status 0 "openssl verify -crl_check: a live certificate through the policy CA" -- \
    openssl verify -crl_check -CAfile "$off/root.crt" -untrusted "$st/ca/chain.pem" \
    -CRLfile "$st/ca/issuing.crl" "$st/out/JX2026-000101/cert.pem"
expect_status 2 "openssl verify -crl_check: the revoked one" -- \
    openssl verify -crl_check -CAfile "$off/root.crt" -untrusted "$st/ca/chain.pem" \
    -CRLfile "$st/ca/issuing.crl" "$st/out/JX2026-000102/cert.pem"
expect_output "certificate revoked" "openssl says revoked"
expect_status 0 "seal verify against the station (policy CA in its chain)" -- \
    "$SEALKEY" seal verify "$st/out/JX2026-000101/official.esl" --station "$st"
# The policy CA's CRL (it revokes issuing CAs) comes from the CA: with it, the issuing CA's
# own status is checked too.
mkdir -p "$off/pdb" && touch "$off/pdb/index.txt"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ndefault_md = sha384\ndefault_crl_days = 7\ncrlnumber = %s\n' \
    "$off/pdb/index.txt" "$off/pdb/crlnumber" > "$off/pdb/ca.cnf"
echo 01 > "$off/pdb/crlnumber"
openssl ca -gencrl -config "$off/pdb/ca.cnf" -keyfile "$off/pol.key" -cert "$off/pol.crt" \
    -out "$off/pol.crl" 2>/dev/null || fail "the policy CA's CRL"
expect_status 0 "seal verify with the policy CA's CRL" -- "$SEALKEY" seal verify \
    "$st/out/JX2026-000101/official.esl" --station "$st" --crl "$st/ca/issuing.crl" --crl "$off/pol.crl"
expect_output "CA certificate Jiangxi Demo CA Issuing CA 1 \(serial [0-9A-F]+\) is not on CRL 1 of Jiangxi Demo CA Policy CA \(pol\)" \
    "the issuing CA checked against the policy CA's CRL"
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"

# OCSP through the policy CA: a relying party that trusts the root alone verifies the
# responder's answers with the station's chain (docs/pki.md, section 3).
expect_status 0 "ocsp-index" -- "$SEALKEY" ocsp-index --station "$st"
openssl ocsp -index "$st/ocsp/index.txt" -port 0 -CA "$st/ca/issuing.crt" -rsigner "$st/ca/issuing.crt" \
    -rkey "$st/ca/issuing.key" -passin "file:$st/ca-pass" -nmin 5 > "$T/responder.log" 2>&1 &
responder=$!
trap 'kill $responder 2>/dev/null; rm -rf "$T"' EXIT
port=
for _ in $(seq 50); do
    port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) .*/\1/p' "$T/responder.log")
    [ -n "$port" ] && break
    sleep 0.1
done
check "responder listening" test -n "$port"
query() {
    openssl ocsp -url "http://127.0.0.1:$port" -issuer "$st/ca/issuing.crt" -CAfile "$off/root.crt" \
        -verify_other "$st/out/JX2026-000101/chain.pem" "$@"
}
expect_status 0 "OCSP: the live certificate" -- query -cert "$st/out/JX2026-000101/cert.pem"
expect_output "Response verify OK" "the answer verifies up to the root through the policy CA"
expect_output "cert.pem: good" "good"
expect_status 0 "OCSP: the revoked certificate" -- query -cert "$st/out/JX2026-000102/cert.pem"
expect_output "cert.pem: revoked" "revoked"
kill $responder 2>/dev/null

# A chain.pem whose policy CA is swapped is refused at the next open.
cp "$st/ca/chain.pem" "$T/chain.good"
cat "$off/issuing.crt" "$off/pol0.crt" "$off/root.crt" > "$st/ca/chain.pem"
expect_status 7 "a chain.pem with another policy CA" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order JX2026-000103
expect_output "chain.pem: certificate 1 is not issued by certificate 2" "the break is named"
cp "$T/chain.good" "$st/ca/chain.pem"

# The same from one bundle: the issuing CA, then the policy CA (and the root, skipped).
b=$T/bundle-station
make_station "$b"
expect_status 0 "ca request (bundle station)" -- "$SEALKEY" ca request --station "$b"
sign "$b/ca/issuing.csr" "$off/b-issuing.crt" "$off/issuing.ext" pol
cat "$off/b-issuing.crt" "$off/pol.crt" "$off/root.crt" > "$off/bundle.pem"
expect_status 0 "ca import of a bundle" -- "$SEALKEY" ca import --station "$b" --cert "$off/bundle.pem" --root "$off/root.crt"
check "its chain.pem is the bundle" cmp -s "$off/bundle.pem" "$b/ca/chain.pem"
check "issuing.crt is the first of the bundle" cmp -s "$off/b-issuing.crt" "$b/ca/issuing.crt"

# External signing (ca.signing "external") under a policy CA: the CA's own issuing CA, signed
# by the policy CA, signs the token's request; cert-import checks it against the whole path.
x=$T/external
make_station "$x"
sed -i 's|"passphrase": "file:ca-pass",|"passphrase": "file:ca-pass", "signing": "external",|' "$x/station.json"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$off/x-issuing.key" \
    -subj "/C=CN/O=Jiangxi Demo CA/CN=External Issuing CA" -out "$off/x-issuing.csr" 2>/dev/null
sign "$off/x-issuing.csr" "$off/x-issuing.crt" "$off/issuing.ext" pol
expect_status 0 "ca request (external: seal maker only)" -- "$SEALKEY" ca request --station "$x"
openssl x509 -req -in "$x/ca/seal-maker.csr" -CA "$off/sm2root.crt" -CAkey "$off/sm2root.key" \
    -sm3 -sigopt $SM2ID -vfyopt $SM2ID -days 3650 -extfile "$off/maker.ext" \
    -out "$off/x-seal-maker.crt" 2>/dev/null || fail "SM2 root signs the external seal maker"
expect_status 0 "ca import of the external CA with its policy CA" -- "$SEALKEY" ca import --station "$x" \
    --cert "$off/x-issuing.crt" --chain "$off/pol.crt" --root "$off/root.crt" \
    --seal-cert "$off/x-seal-maker.crt" --seal-root "$off/sm2root.crt"
clone_orders 1 XP GCJS "$T/xp"
expect_status 0 "the order waits for its certificate" -- "$SEALKEY" batch --station "$x" --orders "$T/xp/orders.json"
printf 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,nonRepudiation\n' > "$off/leaf.ext"
openssl x509 -req -in "$x/out/XP-0001/request.csr" -CA "$off/x-issuing.crt" -CAkey "$off/x-issuing.key" \
    -days 365 -extfile "$off/leaf.ext" -out "$T/xp.pem" 2>/dev/null || fail "the external CA signs XP-0001"
expect_status 0 "cert-import under the policy CA" -- "$SEALKEY" cert-import --station "$x" --orders "$T/xp/orders.json" "$T/xp.pem"
expect_status 0 "openssl verify XP-0001 against the root alone" -- \
    openssl verify -CAfile "$off/root.crt" -untrusted "$x/out/XP-0001/chain.pem" "$x/out/XP-0001/cert.pem"
finish
