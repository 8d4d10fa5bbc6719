#!/usr/bin/env bash
# External signing (station.json ca.signing "external"): the station makes the keys on the
# tokens and exports their token-signed requests; `openssl ca` plays the CA's own system and
# signs them; `sealkey cert-import` finishes each token. Proves: 5 orders wait (across a
# crash, and across re-runs that redo nothing), the requests and manifest are exported, a
# wrong certificate (another key, another CA, another subject, a CA certificate) is refused
# with the reason and the order keeps waiting, the right ones finish tokens that verify
# against the external CA's root, and the ledger reconciles.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
sed -i 's|"passphrase": "file:ca-pass",|"passphrase": "file:ca-pass", "signing": "external",|' "$st/station.json"
grep -q '"signing": "external"' "$st/station.json" || fail "station.json: ca.signing set"
clone_orders 5 EXT GCJS "$T/o"
orders=$T/o/orders.json
ext=$T/ext           # the CA's own system
mkdir -p "$ext/db"
SM2ID=distid:1234567812345678
cat > "$ext/ca.ext" <<'X'
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
X
cat > "$ext/leaf.ext" <<'X'
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
X
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ext/root.key" \
    -subj "/C=CN/O=Jiangxi Demo CA/CN=External Root" -days 7300 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$ext/root.crt" 2>/dev/null || fail "external root"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$ext/issuing.key" \
    -subj "/C=CN/O=Jiangxi Demo CA/CN=External Issuing CA" -out "$ext/issuing.csr" 2>/dev/null
openssl x509 -req -in "$ext/issuing.csr" -CA "$ext/root.crt" -CAkey "$ext/root.key" -days 3650 \
    -extfile "$ext/ca.ext" -out "$ext/issuing.crt" 2>/dev/null || fail "external issuing CA"
openssl genpkey -algorithm SM2 -out "$ext/sm2root.key" 2>/dev/null
openssl req -x509 -new -key "$ext/sm2root.key" -sm3 -sigopt $SM2ID -days 7300 \
    -subj "/O=Jiangxi Demo CA/CN=SM2 Seal Root" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$ext/sm2root.crt" 2>/dev/null
# openssl ca's own set-up: the issuing CA signs what the station sends.
touch "$ext/db/index.txt"
cat > "$ext/ca.cnf" <<X
[ ca ]
default_ca = ext
[ ext ]
database = $ext/db/index.txt
new_certs_dir = $ext/db
certificate = $ext/issuing.crt
private_key = $ext/issuing.key
rand_serial = yes
default_md = sha256
default_days = 365
policy = anything
preserve = yes
copy_extensions = none
x509_extensions = leaf
unique_subject = no
[ anything ]
countryName = optional
stateOrProvinceName = optional
localityName = optional
organizationName = optional
organizationIdentifier = optional
commonName = supplied
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
X

# The station: the external CA's certificates, its own seal maker.
expect_status 0 "ca request (seal maker only)" -- "$SEALKEY" ca request --station "$st"
check "no issuing key is made" test ! -e "$st/ca/issuing.key" -a ! -e "$st/ca/issuing.csr"
openssl x509 -req -in "$st/ca/seal-maker.csr" -CA "$ext/sm2root.crt" -CAkey "$ext/sm2root.key" \
    -sm3 -sigopt $SM2ID -vfyopt $SM2ID -days 3650 -extfile "$ext/leaf.ext" \
    -out "$ext/seal-maker.crt" 2>/dev/null || fail "seal maker signed"
expect_status 0 "ca import of the external CA" -- "$SEALKEY" ca import --station "$st" \
    --cert "$ext/issuing.crt" --root "$ext/root.crt" --seal-cert "$ext/seal-maker.crt" --seal-root "$ext/sm2root.crt"
expect_status 0 "ca show" -- "$SEALKEY" ca show --station "$st"
expect_output "mode: external" "show says external"

# A crash right after the first order starts waiting (setsid: the crash point kills the
# process group), then batches that find all 5 waiting and redo nothing. A build without
# the test hooks (Release) is not killed: the same run, then the rest of the test.
killed=137; have_test_hooks || killed=0
rc=$( (SEALKEY_TEST_CRASH_AT=awaiting_certificate setsid "$SEALKEY" batch --station "$st" \
    --orders "$orders" --jobs 1 >"$T/out" 2>&1; echo $?) 2>/dev/null)
check "batch killed while the first order waits (exit $rc)" test "$rc" -eq $killed
db=$st/ledger.sqlite
first_token=$(sqlite3 "$db" "SELECT token_serial FROM issuances WHERE order_number='EXT-0001'")
check "the crashed order waits" test "$(sqlite3 "$db" "SELECT step FROM issuances WHERE order_number='EXT-0001'")" = awaiting_certificate
expect_status 0 "batch: the rest wait too" -- "$SEALKEY" batch --station "$st" --orders "$orders" --jobs 2
expect_output "EXT-0002 waiting for its certificate" "batch shows waiting orders"
expect_output "5 order\(s\) wait for their certificates" "batch counts waiting orders"
expect_status 0 "batch again" -- "$SEALKEY" batch --station "$st" --orders "$orders" --jobs 2
expect_output "5 order\(s\) wait for their certificates" "still waiting, nothing redone"
check "one issuance per order, no failed attempt" test "$(sqlite3 "$db" "SELECT count(*) FROM issuances")" = 5
check "the crashed order kept its token" test "$(sqlite3 "$db" "SELECT token_serial FROM issuances WHERE order_number='EXT-0001'")" = "$first_token"
expect_status 0 "status" -- "$SEALKEY" status --station "$st"
check "status shows 5 waiting" test "$(grep -c awaiting_certificate "$T/out")" = 5
expect_status 4 "issue of a waiting order" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order EXT-0003
expect_output "waiting for its certificate" "issue says the order waits"

# An order given up while waiting: revoke closes its attempt (no certificate was signed, its
# serial is void); the next batch makes a new key on the same token, and it waits again.
tok5=$(sqlite3 "$db" "SELECT token_serial FROM issuances WHERE order_number='EXT-0005'")
expect_status 4 "revoke a waiting order (nothing signed to revoke)" -- "$SEALKEY" revoke --station "$st" --order EXT-0005 --reason closed
check "its attempt is closed" test "$(sqlite3 "$db" "SELECT step FROM issuances WHERE order_number='EXT-0005' ORDER BY id LIMIT 1")" = failed
expect_status 0 "batch after the revoke" -- "$SEALKEY" batch --station "$st" --orders "$orders" --jobs 2
check "EXT-0005 waits again, on its token" test "$(sqlite3 "$db" "SELECT step || ' ' || token_serial FROM issuances WHERE order_number='EXT-0005' ORDER BY id DESC LIMIT 1")" = "awaiting_certificate $tok5"

expect_status 0 "csr-export" -- "$SEALKEY" csr-export --station "$st" --out "$T/req"
expect_output "5 request" "five requests exported"
check "manifest lists 5" test "$(jq '.requests | length' "$T/req/manifest.json")" = 5
for i in 1 2 3 4 5; do
    check "EXT-000$i.csr signed by the token key" openssl req -in "$T/req/EXT-000$i.csr" -noout -verify
done
"$SEALKEY" csr-export --station "$st" --out "$T/req-json" --json > "$T/j" 2>"$T/err"
check "csr-export --json (exit $?): the manifest's requests in the result" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["count"] == 5 and d["dir"] == sys.argv[2] and d["manifest"] == sys.argv[2] + "/manifest.json", d
assert d["requests"] == json.load(open(d["manifest"]))["requests"], d' "$T/j" "$T/req-json"
check "manifest sha256 is the file's" test "$(jq -r '.requests[0].sha256' "$T/req/manifest.json")" = \
    "$(sha256sum "$T/req/$(jq -r '.requests[0].file' "$T/req/manifest.json")" | cut -d' ' -f1)"

# Wrong certificates: each refused with its reason, the order still waiting.
imp() { "$SEALKEY" cert-import --station "$st" --orders "$orders" "$@"; }
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k" -subj "/CN=x" -out "$T/other.csr" 2>/dev/null
openssl x509 -req -in "$T/other.csr" -CA "$ext/issuing.crt" -CAkey "$ext/issuing.key" -days 30 -extfile "$ext/leaf.ext" -out "$T/otherkey.pem" 2>/dev/null
expect_status 3 "a certificate for no waiting key" -- imp "$T/otherkey.pem"
expect_output "token key of no order waiting" "no-match reason"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/rogue.key" -subj "/CN=Rogue CA" \
    -days 30 -addext basicConstraints=critical,CA:TRUE -out "$T/rogue.crt" 2>/dev/null
openssl x509 -req -in "$T/req/EXT-0001.csr" -CA "$T/rogue.crt" -CAkey "$T/rogue.key" -days 30 -extfile "$ext/leaf.ext" -out "$T/rogue.pem" 2>/dev/null
expect_status 3 "a certificate from another CA" -- imp "$T/rogue.pem"
expect_output "does not chain to the station's CA" "chain reason"
openssl x509 -req -in "$T/req/EXT-0001.csr" -CA "$ext/issuing.crt" -CAkey "$ext/issuing.key" -subj "/C=CN/O=Someone Else/CN=Someone Else" \
    -days 30 -extfile "$ext/leaf.ext" -out "$T/subject.pem" 2>/dev/null
expect_status 3 "a certificate with the wrong subject" -- imp "$T/subject.pem"
expect_output "carries the subject .*Someone Else.*; order EXT-0001's is" "subject reason"
openssl x509 -req -in "$T/req/EXT-0001.csr" -CA "$ext/issuing.crt" -CAkey "$ext/issuing.key" -days 30 -extfile "$ext/ca.ext" -out "$T/ca.pem" 2>/dev/null
expect_status 3 "a CA certificate" -- imp "$T/ca.pem"
expect_output "is a CA certificate" "CA reason"
imp --json "$T/ca.pem" > "$T/j" 2>"$T/err"
check "cert-import --json of a refused certificate: exit 3 ($?)" test $? -eq 3
check "cert-import --json: the refusal with its reason" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["certificates"]
assert d["finished"] == 0 and d["refused"] == 1 and len(c) == 1, d
assert c[0]["status"] == "refused" and c[0]["exit_status"] == 3 and "is a CA certificate" in c[0]["error"], d' "$T/j"
check "after the refusals every order still waits" test "$(sqlite3 "$db" "SELECT count(*) FROM issuances WHERE step='awaiting_certificate'")" = 5
check "no PIN mailer yet" test ! -e "$st/out/EXT-0001/pin-mailer.txt"

# The CA's system signs them all; one directory back.
mkdir -p "$T/back"
for i in 1 2 3 4 5; do
    openssl ca -config "$ext/ca.cnf" -batch -notext -utf8 -in "$T/req/EXT-000$i.csr" \
        -out "$T/back/EXT-000$i.pem" >/dev/null 2>&1 || fail "openssl ca signs EXT-000$i"
done
expect_status 0 "cert-import of the directory" -- imp "$T/back"
expect_output "5 finished, 0 refused" "all five finished"
for i in 1 2 3 4 5; do
    n=EXT-000$i
    check "$n verifies against the external root alone" \
        openssl verify -CAfile "$ext/root.crt" -untrusted "$ext/issuing.crt" "$st/out/$n/cert.pem"
    check "$n's certificate is the one the CA signed" cmp -s <(openssl x509 -in "$T/back/$n.pem" -outform DER) <(openssl x509 -in "$st/out/$n/cert.pem" -outform DER)
    check "$n has its PIN mailer (0600)" test "$(stat -c %a "$st/out/$n/pin-mailer.txt")" = 600
done
# The token itself: the certificate beside the key, readable with the mailer's PIN.
pin=$(sed -n 's/^user PIN: *//p' "$st/out/EXT-0002/pin-mailer.txt")
pkcs11-tool --module "$SOFTHSM2_MODULE" --token-label EXT-0002 --login --pin "$pin" -O > "$T/out" 2>&1
expect_output "Certificate Object" "the token holds its certificate"
check "the ledger has the CA's serials" test "$(sqlite3 "$db" "SELECT count(*) FROM issuances i JOIN serials s ON s.issuance_id=i.id AND s.serial=i.cert_serial WHERE i.step='verified' AND s.state='used'")" = 5
expect_status 0 "status" -- "$SEALKEY" status --station "$st"
check "status shows 5 verified" test "$(grep -c verified "$T/out")" = 5
expect_status 3 "a certificate imported twice" -- imp "$T/back/EXT-0001.pem"

# A reissue waits like a first issuance; a crash after its certificate is recorded leaves an
# interrupted attempt, which the next run closes (revoking that certificate) and starts over
# on the same token; the certificate for the new key finishes it, and the replaced one is
# superseded.
sign_one() {
    "$SEALKEY" csr-export --station "$st" --out "$T/re" >/dev/null 2>&1 || fail "csr-export for the reissue"
    openssl ca -config "$ext/ca.cnf" -batch -notext -utf8 -in "$T/re/EXT-0001.csr" -out "$1" >/dev/null 2>&1 || fail "openssl ca signs the reissue"
}
old_serial=$(sqlite3 "$db" "SELECT cert_serial FROM issuances WHERE order_number='EXT-0001' AND step='verified'")
expect_status 0 "reissue waits" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order EXT-0001 --reissue
expect_output "waiting for its certificate" "the reissue waits"
sign_one "$T/re1.pem"
rc=$( (SEALKEY_TEST_CRASH_AT=cert_imported setsid "$SEALKEY" cert-import --station "$st" --orders "$orders" "$T/re1.pem" >"$T/out" 2>&1; echo $?) 2>/dev/null)
check "cert-import killed after recording the certificate (exit $rc)" test "$rc" -eq $killed
expect_status 0 "the reissue again: the interrupted attempt closed, waiting anew" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order EXT-0001 --reissue
have_test_hooks && check "the certificate of the interrupted attempt is revoked" test "$(sqlite3 "$db" "SELECT revocation_reason FROM issuances WHERE order_number='EXT-0001' AND step='failed'")" = cessationOfOperation
sign_one "$T/re2.pem"
expect_status 0 "cert-import finishes the reissue" -- imp --json "$T/re2.pem"
check "cert-import --json: the finished order" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["certificates"][0]
assert d["finished"] == 1 and d["refused"] == 0, d
assert c["status"] == "issued" and c["order_number"] == "EXT-0001" and c["pin_mailer"].endswith("pin-mailer.txt"), d' "$T/out"
check "the replaced certificate is superseded" test "$(sqlite3 "$db" "SELECT step || ' ' || revocation_reason FROM issuances WHERE cert_serial='$old_serial'")" = "superseded superseded"
check "the new one is live" openssl verify -CAfile "$ext/root.crt" -untrusted "$ext/issuing.crt" "$st/out/EXT-0001/cert.pem"
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"
expect_output "clean" "the ledger reconciles"
expect_status 0 "audit verify" -- "$SEALKEY" audit verify --station "$st"
finish
