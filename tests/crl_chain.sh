#!/usr/bin/env bash
# CRLs for the whole chain: the issuing CA certificate points at the root CRL, the
# organisation certificates at the issuing CA's, `sealkey crl` publishes both (DER under the
# URLs' file names, PEM beside), and `openssl verify -crl_check_all` with exactly those files
# passes a live certificate and fails a revoked one.
source "$SOURCE_DIR/tests/lib.sh"
orders=$SOURCE_DIR/examples/orders.json
st=$T/station
make_station "$st"
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
for n in JX2026-000101 JX2026-000102; do
    "$SEALKEY" issue --station "$st" --orders "$orders" --order $n >/dev/null 2>&1 || fail "issue $n"
done

openssl x509 -in "$st/ca/issuing.crt" -noout -ext crlDistributionPoints > "$T/out" 2>&1
expect_output "URI:http://crl.demo-ca.example/root.crl" "issuing CA certificate points at the root CRL (ca.root_crl_url)"
openssl x509 -in "$st/out/JX2026-000101/cert.pem" -noout -ext crlDistributionPoints > "$T/out" 2>&1
expect_output "URI:http://crl.demo-ca.example/issuing.crl" "organisation certificate points at the issuing CA's CRL"
openssl x509 -in "$st/ca/root.crt" -noout -ext crlDistributionPoints > "$T/out" 2>&1
expect_no_output "URI:" "the root carries no distribution point"

expect_status 0 "revoke" -- "$SEALKEY" revoke --station "$st" --order JX2026-000101 --reason lost
expect_status 0 "crl" -- "$SEALKEY" crl --station "$st"
expect_output "root CRL number 1 written" "the root CRL is made"
expect_output "published in .*/crl: issuing.crl issuing.crl.pem root.crl root.crl.pem" "publication listed"
P=$st/crl
for f in issuing.crl root.crl; do
    check "$f is DER" openssl crl -inform DER -in "$P/$f" -noout
    check "$f.pem is PEM" openssl crl -in "$P/$f.pem" -noout
    check "$f and $f.pem are the same CRL" \
        cmp -s <(openssl crl -inform DER -in "$P/$f" -outform DER) <(openssl crl -in "$P/$f.pem" -outform DER)
done
check "the station's copy ca/issuing.crl is the published one" \
    cmp -s <(openssl crl -in "$st/ca/issuing.crl" -outform DER) "$P/issuing.crl"
check "the station's copy ca/root.crl is the published one" \
    cmp -s <(openssl crl -in "$st/ca/root.crl" -outform DER) "$P/root.crl"
openssl crl -inform DER -in "$P/root.crl" -CAfile "$st/ca/root.crt" -noout > "$T/out" 2>&1
expect_output "verify OK" "the root CRL is signed by the root"
openssl crl -inform DER -in "$P/root.crl" -noout -text > "$T/out" 2>&1
expect_output "No Revoked Certificates" "the root CRL is empty"
expect_output "Issuer: .*Root CA" "the root CRL's issuer is the root"
openssl crl -inform DER -in "$P/issuing.crl" -CAfile "$st/ca/chain.pem" -noout > "$T/out" 2>&1
expect_output "verify OK" "the issuing CRL is signed by the issuing CA"

# Exactly the relying party's command line.
verify() {
    openssl verify -crl_check_all -CRLfile "$P/root.crl" -CRLfile "$P/issuing.crl" \
        -CAfile "$st/ca/root.crt" -untrusted "$st/ca/issuing.crt" "$1"
}
expect_status 0 "openssl verify -crl_check_all: live certificate" -- verify "$st/out/JX2026-000102/cert.pem"
expect_output ": OK" "live certificate OK"
expect_status 2 "openssl verify -crl_check_all: revoked certificate" -- verify "$st/out/JX2026-000101/cert.pem"
expect_output "certificate revoked" "revoked certificate refused as revoked"

# A second run: new numbers, same names.
expect_status 0 "crl again" -- "$SEALKEY" crl --station "$st"
check "issuing CRL number 2" test "$(openssl crl -inform DER -in "$P/issuing.crl" -noout -crlnumber | cut -d= -f2)" = 0x02
check "root CRL number 2" test "$(openssl crl -inform DER -in "$P/root.crl" -noout -crlnumber | cut -d= -f2)" = 0x02
expect_status 0 "crl --publish elsewhere" -- "$SEALKEY" crl --station "$st" --publish "$T/www"
check "published to --publish DIR" test -s "$T/www/issuing.crl" -a -s "$T/www/root.crl.pem"

# A station whose CA predates ca.root_crl_url: its issuing CA has no distribution point; crl
# still makes both CRLs (named from the configuration when set) and says what is missing.
old=$T/old
make_station "$old"
sed '/"root_crl_url"/d; s/"passphrase": "file:ca-pass",/"passphrase": "file:ca-pass"/' \
    "$SOURCE_DIR/examples/station.json" > "$old/station.json"
"$SEALKEY" ca init --station "$old" >/dev/null 2>&1 || fail "ca init without root_crl_url"
openssl x509 -in "$old/ca/issuing.crt" -noout -text > "$T/out" 2>&1
expect_no_output "CRL Distribution" "an old-style issuing CA has no distribution point"
expect_status 0 "crl on an old station" -- "$SEALKEY" crl --station "$old"
expect_output "notice: the issuing CA certificate has no CRL distribution point" "crl says a new ca init is needed for it"
check "its root CRL is published as root.crl" test -s "$old/crl/root.crl"
sed -i 's|"passphrase": "file:ca-pass"|&, "root_crl_url": "http://crl.demo-ca.example/ca/r2.crl"|' "$old/station.json"
expect_status 0 "crl on an old station with ca.root_crl_url set later" -- "$SEALKEY" crl --station "$old"
check "named as the configured URL ends" test -s "$old/crl/r2.crl"

# The root key kept off the station: only the issuing CA's CRL, and a notice.
mv "$old/ca/root.key" "$T/root.key.offline"
expect_status 0 "crl without the root key" -- "$SEALKEY" crl --station "$old"
expect_output "notice: no root CRL: ca/root.key is not in this station" "the missing root CRL is explained"
mv "$T/root.key.offline" "$old/ca/root.key"

# A CRL URL that names no file cannot be published.
sed -i '0,/"crl_url": "http:\/\/crl.demo-ca.example\/issuing.crl"/s//"crl_url": "http:\/\/crl.demo-ca.example\/"/' "$old/station.json"
expect_status 3 "crl_url without a file name" -- "$SEALKEY" crl --station "$old"
expect_output "projects\[0\]\.crl_url: 'http://crl.demo-ca.example/' does not end in a file name" "the field is named"
finish
