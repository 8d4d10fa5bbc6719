#!/usr/bin/env bash
# The CLI's rough edges (issue 16, item 6): `sealkey help CMD` prints what `CMD --help` does;
# the output option is the same on every command; `export status --since` reads time zones
# and refuses impossible dates; CSV exports with a UTF-8 BOM on request.
source "$SOURCE_DIR/tests/lib.sh"
export SEALKEY_OPERATOR=tester

# -- sealkey help CMD [VERB]
expect_status 0 "help" -- "$SEALKEY" help
expect_output "^  help +this list" "help lists itself"
for c in "issue" "batch" "ledger" "ca init" "seal verify" "order check" "export status"; do
    "$SEALKEY" $c --help > "$T/want" 2>&1
    expect_status 0 "help $c" -- "$SEALKEY" help $c
    check "help $c prints what $c --help does" cmp -s "$T/want" "$T/out"
done
# ... for every row of the command table (the man pages are made from the same --help), the
# commands and verbs merged since (token, ca request/import, ocsp-index, csr-export,
# cert-import, seal sign) included; a group's verbs inside it (ledger backup) by the group.
"$SEALKEY" --list-commands | cut -f1 > "$T/rows"
for c in token "token show" "token unblock" "token hold" "token release" "token lost" \
    "ca request" "ca import" ocsp-index csr-export cert-import "seal sign"; do
    check "the command table has '$c'" grep -qx "$c" "$T/rows"
done
bad=
while read -r c; do
    "$SEALKEY" $c --help > "$T/want" 2>&1 || bad="$bad [$c --help failed]"
    "$SEALKEY" help $c > "$T/got" 2>&1 || bad="$bad [help $c failed]"
    cmp -s "$T/want" "$T/got" || bad="$bad [help $c differs]"
    grep -q "^usage: sealkey " "$T/got" && grep -q "sealkey $c" "$T/got" || bad="$bad [help $c: no usage of $c]"
done < "$T/rows"
check "help CMD [VERB] is CMD [VERB] --help for all $(wc -l < "$T/rows") rows:$bad" test -z "$bad"
"$SEALKEY" help ledger backup > "$T/got" 2>&1
check "help ledger backup: the ledger's help, backup and its --json in it" grep -q "^  backup --to DIR|FILE.tar \[--json\]" "$T/got"
expect_status 2 "help of a command that does not exist" -- "$SEALKEY" help frobnicate
expect_output "help: 'frobnicate' is not a command" "help names the unknown command"
# -- a station with two orders issued, for what follows
st=$T/station
make_station "$st"
E=$SOURCE_DIR/examples/orders.json
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
for n in JX2026-000101 JX2026-000102; do
    "$SEALKEY" issue --station "$st" --orders "$E" --order $n >/dev/null 2>&1 || fail "issue $n"
done

# -- CSV with a byte order mark, for spreadsheet programs on Chinese Windows
"$SEALKEY" export status --station "$st" --csv --bom > "$T/bom.csv" 2>"$T/err"
check "--bom: the CSV starts with EF BB BF" test "$(head -c 3 "$T/bom.csv" | od -An -tx1 | tr -d ' ')" = efbbbf
check "--bom: then the header" test "$(head -1 "$T/bom.csv" | tail -c +4 | cut -d, -f1)" = order_number
"$SEALKEY" export status --station "$st" > "$T/plain.csv" 2>"$T/err"
check "without --bom: no mark, CSV the default, otherwise the same" cmp -s "$T/plain.csv" <(tail -c +4 "$T/bom.csv")
"$SEALKEY" export shipping --station "$st" --orders "$E" --bom > "$T/ship.csv" 2>"$T/err"
check "--bom on the shipping manifest (CSV by default)" test "$(head -c 3 "$T/ship.csv" | od -An -tx1 | tr -d ' ')" = efbbbf
check "the recipient's Chinese name is UTF-8 after the mark" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
assert len(rows) == 2 and all(r["recipient_name"] and not r["recipient_name"].isascii() for r in rows), rows' "$T/ship.csv"
expect_status 2 "--bom with --json" -- "$SEALKEY" export status --station "$st" --json --bom
expect_output "export: --bom is for CSV output" "--bom with --json refused"
expect_status 2 "--json and --csv together" -- "$SEALKEY" export status --station "$st" --json --csv
expect_output "export: one output format: --json or --csv" "two formats refused"
# -- --json on issue, revoke, crl, ca show and station: one JSON document (station: one per
#    line), the result's fields, nothing else on standard output
js() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); $1" "$T/j" "${@:2}"; }
"$SEALKEY" issue --station "$st" --orders "$E" --order JX2026-000103 --json > "$T/j" 2>"$T/err"
check "issue --json (exit $?)" js '
assert d["order_number"] == "JX2026-000103" and d["token_label"] == "JX2026-000103", d
assert len(d["cert_serial"]) == 32 and d["token_serial"] and d["not_after"].endswith("Z"), d
assert len(d["seal_ids"]) == 2 and d["pin_mailer"].endswith("JX2026-000103/pin-mailer.txt"), d
assert d["validity_capped"] is False and d["replaced_cert_serial"] is None, d'
pin=$(sed -n 's/^user PIN: *//p' "$st/out/JX2026-000103/pin-mailer.txt")
check "issue --json never carries the PIN" test -n "$pin" -a -z "$(grep -F -- "$pin" "$T/j")"
serial=$(sqlite3 "$st/ledger.sqlite" "SELECT cert_serial FROM issuances WHERE order_number='JX2026-000103'")
check "issue --json: the ledger's certificate serial" js 'assert d["cert_serial"] == sys.argv[2]' "$serial"

"$SEALKEY" revoke --station "$st" --order JX2026-000103 --reason lost --json > "$T/j" 2>"$T/err"
check "revoke --json" js '
assert d["order_number"] == "JX2026-000103" and d["reason"] == "keyCompromise" and d["count"] == 1, d
r = d["revoked"][0]
assert r["cert_serial"] == sys.argv[2] and r["reason"] == "keyCompromise" and r["revoked_at"].endswith("Z"), r' "$serial"

"$SEALKEY" crl --station "$st" --json > "$T/j" 2>"$T/err"
check "crl --json" js '
assert d["issuing_crl"]["number"] == 1 and d["issuing_crl"]["revoked"] == 1, d
assert d["root_crl"]["number"] == 1 and "issuing.crl" in d["published"], d'
check "crl --json: the CRL it names lists the revoked serial" sh -c \
    "openssl crl -in '$st/ca/issuing.crl' -noout -text | grep -q '$serial'"

"$SEALKEY" ca show --station "$st" --json > "$T/j" 2>"$T/err"
issuing_serial=$(openssl x509 -in "$st/ca/issuing.crt" -noout -serial | cut -d= -f2)
check "ca show --json" js '
assert d["issuing_ca"]["serial"] == sys.argv[2] and d["issuing_key"] == "file", d
assert "Root CA" in d["root_ca"]["subject"] and d["root_ca"]["not_after"].endswith("Z"), d' "$issuing_serial"

"$SEALKEY" status --station "$st" --json > "$T/j" 2>"$T/err"
check "status --json in the same form" js 'assert len(d) == 3 and d[2]["revocation_reason"] == "keyCompromise", d'

# station: no pcscd here (a socket that is not there), so it plans, says so, and stops.
python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); c["readers"] = {"Virtual PCD": "blank"}
json.dump(c, open(sys.argv[1], "w"), ensure_ascii=False)' "$st/station.json"
PCSCLITE_CSOCK_NAME=$T/no-pcscd "$SEALKEY" station --station "$st" --orders "$E" --json > "$T/j" 2>"$T/err"
check "station --json without pcscd: exit 5 ($?)" test $? -eq 5
check "station --json: a JSON line per event, the plan first" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ev = [json.loads(l) for l in lines]
assert ev and ev[0]["event"] == "planned" and ev[0]["already_issued"] == 2, ev
assert all(e["time"].endswith("Z") for e in ev), ev' "$T/j"
check "station --json: the error on standard error" grep -q "cannot reach pcscd" "$T/err"

# -- export status --since: time zones, the same instant however written
"$SEALKEY" export status --station "$st" --json > "$T/j" 2>"$T/err"
p=$(python3 -c 'import json,sys; print(sorted(r["produced_at"] for r in json.load(open(sys.argv[1])))[-1])' "$T/j")
in_beijing=$(date -u -d "${p%Z} UTC + 8 hours" +%Y-%m-%dT%H:%M:%S+08:00)
later=$(date -u -d "${p%Z} UTC + 1 second" +%Y-%m-%dT%H:%M:%SZ)
expect_status 0 "--since in Beijing time" -- "$SEALKEY" export status --station "$st" --since "$in_beijing"
expect_output "JX2026-000103" "--since $in_beijing (= $p) keeps the order produced then"
expect_status 0 "--since a second later" -- "$SEALKEY" export status --station "$st" --since "$later"
expect_no_output "JX2026-000103" "--since $later leaves it out"
expect_status 2 "--since an impossible date" -- "$SEALKEY" export status --station "$st" --since 2026-02-30
expect_output "export: --since '2026-02-30': no day 30 in February 2026" "the option and the reason named"
# -- --json on the commands merged after the output option (cli/cli_output.h): the token
#    verbs, ocsp-index, ledger backup; each one document, in the same form
tok() { "$SEALKEY" token "$@" --station "$st" --json > "$T/j" 2>"$T/err"; }
c101=$(sqlite3 "$st/ledger.sqlite" "SELECT cert_serial FROM issuances WHERE order_number='JX2026-000101'")
tok show --order JX2026-000101
check "token show --json (exit $?)" js '
assert d["ledger"]["order_number"] == "JX2026-000101" and d["ledger"]["cert_serial"] == sys.argv[2], d
assert d["token"]["label"] == "JX2026-000101" and d["token_serial"] == d["ledger"]["token_serial"], d' "$c101"
check "token show --json: keys in the command's order, not sorted" js 'assert list(d) == ["token_serial", "ledger", "token", "events"], list(d)'
tok hold --order JX2026-000101
check "token hold --json (exit $?)" js '
assert d["action"] == "hold" and d["cert_serial"] == sys.argv[2] and d["held_since"].endswith("Z"), d' "$c101"
tok release --order JX2026-000101
check "token release --json (exit $?)" js 'assert d["action"] == "release" and d["held_since"] is None, d'
tok unblock --order JX2026-000101 --force
check "token unblock --json (exit $?)" js '
assert d["order_number"] == "JX2026-000101" and d["was_locked"] is False, d
assert d["pin_mailer"].endswith("/pin-mailer-unblock-1.txt"), d'
pin=$(sed -n 's/^user PIN: *//p' "$st/out/JX2026-000101/pin-mailer-unblock-1.txt")
check "token unblock --json never carries the new PIN" test -n "$pin" -a -z "$(grep -F -- "$pin" "$T/j")"
tok lost --order JX2026-000102
check "token lost --json (exit $?)" js '
assert d["order_number"] == "JX2026-000102" and d["reason"] == "keyCompromise", d
assert len(d["revoked"]) == 1 and d["revoked"][0]["cert_serial"] == d["cert_serial"], d'
for v in show hold release lost unblock; do
    expect_status 0 "token $v --help" -- "$SEALKEY" token $v --help
    expect_output "^  --json +the result as one JSON document" "token $v --help: --json in the one wording"
done
"$SEALKEY" ocsp-index --station "$st" --json > "$T/j" 2>"$T/err"
check "ocsp-index --json (exit $?)" js '
assert d["good"] == 1 and d["revoked"] == 2 and d["path"].endswith("ocsp/index.txt"), d'
check "ocsp-index --json: its numbers are the file's" test "$(grep -c '^R' "$st/ocsp/index.txt")" = 2
"$SEALKEY" ledger backup --station "$st" --to "$T/bk.tar" --json > "$T/j" 2>"$T/err"
check "ledger backup --json (exit $?)" js '
assert d["to"] == sys.argv[2] and d["archive"] is True and d["ledger"] == "ledger.sqlite", d
assert d["audit_log"] is True and d["ca_files"] > 0, d' "$T/bk.tar"
check "ledger backup --json: the archive is there" test -s "$T/bk.tar"
expect_status 2 "ledger version --json" -- "$SEALKEY" ledger version --station "$st" --json
expect_output "for reconcile \(--json also for backup\)" "--json named where it belongs"
# -- test-only hooks: in a test build only, and the version line says which this is
bin=${SEALKEY_VALGRIND_BIN:-$SEALKEY}
if have_test_hooks; then
    check "a test build has the crash hook" grep -q SEALKEY_TEST_CRASH_AT "$bin"
else
    check "a build without test hooks has none of them" test -z "$(grep -ao 'SEALKEY_TEST_[A-Z_]*' "$bin")"
    expect_status 77 "a test that needs them skips" -- bash "$SOURCE_DIR/tests/batch_crash.sh"
    expect_output "^SKIPPED: batch_crash.sh needs the test-only hooks" "and says why"
fi
finish
