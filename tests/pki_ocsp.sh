#!/usr/bin/env bash
# Revocation status a relying party can query: `sealkey ocsp-index` writes the ledger's
# revocation status in the index format of `openssl ocsp -index`; a responder on loopback
# (openssl ocsp, port chosen by the kernel) answers "good" for a live certificate sealkey
# issued, "revoked" with the reason for one it revoked, and "unknown" for a serial it never
# signed.
source "$SOURCE_DIR/tests/lib.sh"
orders=$SOURCE_DIR/examples/orders.json
st=$T/station
make_station "$st"
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
for n in JX2026-000101 JX2026-000102; do
    "$SEALKEY" issue --station "$st" --orders "$orders" --order $n >/dev/null 2>&1 || fail "issue $n"
done
expect_status 0 "revoke" -- "$SEALKEY" revoke --station "$st" --order JX2026-000101 --reason lost

expect_status 0 "ocsp-index" -- "$SEALKEY" ocsp-index --station "$st"
expect_output "1 good and 1 revoked certificate\(s\) written to .*/ocsp/index.txt" "counts and path reported"
idx=$st/ocsp/index.txt
check "index is mode 0644" test "$(stat -c %a "$idx")" = 644
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
live=$(serial "$st/out/JX2026-000102/cert.pem")
gone=$(serial "$st/out/JX2026-000101/cert.pem")
check "live certificate: a V line" grep -Eq "^V	[0-9]{12}Z		$live	unknown	/" "$idx"
check "revoked certificate: an R line with time and reason" \
    grep -Eq "^R	[0-9]{12}Z	[0-9]{12}Z,keyCompromise	$gone	unknown	/" "$idx"
check "two lines" test "$(wc -l < "$idx")" = 2
"$SEALKEY" audit show --station "$st" > "$T/out" 2>&1
expect_output "ocsp index: 1 good, 1 revoked" "the export is in the audit log"
expect_status 0 "-o FILE" -- "$SEALKEY" ocsp-index --station "$st" -o "$T/elsewhere.txt"
check "-o writes the same index" cmp -s "$idx" "$T/elsewhere.txt"

# The responder, signing with the issuing CA's key (its passphrase from the station's file).
openssl ocsp -index "$idx" -port 0 -CA "$st/ca/issuing.crt" -rsigner "$st/ca/issuing.crt" \
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
    openssl ocsp -url "http://127.0.0.1:$port" -issuer "$st/ca/issuing.crt" -CAfile "$st/ca/chain.pem" "$@"
}
expect_status 0 "OCSP query: live certificate" -- query -cert "$st/out/JX2026-000102/cert.pem"
expect_output "Response verify OK" "response signed by the issuing CA"
expect_output "cert.pem: good" "live certificate is good"
expect_status 0 "OCSP query: revoked certificate" -- query -cert "$st/out/JX2026-000101/cert.pem"
expect_output "cert.pem: revoked" "revoked certificate is revoked"
expect_output "Reason: keyCompromise" "with the reason the operator gave"
expect_status 0 "OCSP query: a serial never issued" -- query -serial 0x0123456789ABCDEF
expect_output ": unknown" "unknown serial"
# The certificates name the URL a CA puts this responder behind (station.json ocsp_url).
openssl x509 -in "$st/out/JX2026-000102/cert.pem" -noout -ocsp_uri > "$T/out" 2>&1
expect_output "^http://ocsp.demo-ca.example/" "certificates carry the profile's OCSP URL"

# Without an issuing CA there is nothing to answer for: refused, naming the file.
empty=$T/empty
make_station "$empty"
expect_status 3 "ocsp-index without a CA" -- "$SEALKEY" ocsp-index --station "$empty"
expect_output "issuing.crt" "missing issuing certificate named"
finish
