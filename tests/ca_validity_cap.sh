#!/usr/bin/env bash
# A certificate never outlives the issuing CA: with 100 days of CA left, a 365-day profile
# gives a certificate that ends exactly with the CA (ledger, audit and output say so); with
# under 30 days left the issuance is refused before a token or a serial is used.
source "$SOURCE_DIR/tests/lib.sh"
orders=$SOURCE_DIR/examples/orders.json
n=JX2026-000101   # project GCJS: validity_days 365

st=$T/station
make_station "$st"
expect_status 0 "ca init with a 100-day issuing CA" -- "$SEALKEY" ca init --station "$st" --issuing-days 100
ca_end=$(openssl x509 -in "$st/ca/issuing.crt" -noout -enddate | cut -d= -f2)
expect_status 0 "issue under a CA with 100 days left" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order $n
expect_output "notice: validity capped at the issuing CA's notAfter .*project GCJS asks for 365 days" "the output says it was capped"
cert_end=$(openssl x509 -in "$st/out/$n/cert.pem" -noout -enddate | cut -d= -f2)
check "certificate ends with the CA ($cert_end = $ca_end)" test "$cert_end" = "$ca_end"
ledger_end=$(sqlite3 "$st/ledger.sqlite" "SELECT not_after FROM issuances WHERE order_number = '$n'")
check "ledger not_after is the capped date ($ledger_end)" \
    test "$(date -u -d "$ledger_end" +%s)" = "$(date -u -d "$ca_end" +%s)"
expect_status 0 "the capped certificate verifies" -- \
    openssl verify -CAfile "$st/ca/root.crt" -untrusted "$st/ca/issuing.crt" "$st/out/$n/cert.pem"
# The seals bound to it end no later than it does.
seal_end=$("$SEALKEY" seal show "$st/out/$n/official.esl" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["valid_end"])')
check "seal ends no later than the certificate ($seal_end)" \
    test "$(date -u -d "$seal_end" +%s)" -le "$(date -u -d "$ca_end" +%s)"

# batch says it too, order by order (issue 16): the notice in its text, the flag and the
# date in its --json, as issue --json gives them.
expect_status 0 "batch under the capped CA" -- "$SEALKEY" batch --station "$st" --orders "$orders" --jobs 2
check "batch prints the notice after each order it issued" test "$(grep -A1 ' issued: ' "$T/out" | grep -c "^  notice: validity capped at the issuing CA's notAfter $ledger_end; renew the CA")" = 5
clone_orders 1 CAP GCJS "$T/c"
"$SEALKEY" batch --station "$st" --orders "$T/c/orders.json" --json > "$T/j" 2>"$T/err"
check "batch --json: validity_capped and not_after for each order issued" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
new = [o for o in d["orders"] if o["status"] == "issued"]
assert new and all(o["validity_capped"] is True for o in new), d
assert all(o["not_after"] == sys.argv[2] for o in new), (d, sys.argv[2])' "$T/j" "$ledger_end"
# A CA with 20 days left: refused (exit 4), nothing reserved, no token touched.
st2=$T/short
make_station "$st2"
"$SEALKEY" ca init --station "$st2" --issuing-days 20 >/dev/null 2>&1 || fail "ca init --issuing-days 20"
tokens_before=$(softhsm2-util --show-slots 2>/dev/null | grep -c 'Initialized: *yes')
expect_status 4 "issue under a CA with 20 days left" -- "$SEALKEY" issue --station "$st2" --orders "$orders" --order $n
expect_output "order $n: project GCJS: the issuing CA expires 20[0-9-]+T[0-9:]+Z, leaving under 30 days .*renew the CA" "the refusal names the CA's end"
check "no serial reserved" test "$(sqlite3 "$st2/ledger.sqlite" 'SELECT count(*) FROM serials' 2>/dev/null || echo 0)" = 0
check "no token initialised ($tokens_before before)" test "$(softhsm2-util --show-slots 2>/dev/null | grep -c 'Initialized: *yes')" = "$tokens_before"

# The issuing CA cannot outlive its root.
expect_status 2 "issuing CA longer than the root" -- "$SEALKEY" ca init --station "$T/x" --root-days 300 --issuing-days 400
expect_output "exceeds the root's 300 days" "usage error names both"
expect_status 0 "ca init --help lists the validity options" -- "$SEALKEY" ca init --help
expect_output "--issuing-days N" "help mentions --issuing-days"
finish
