#!/usr/bin/env bash
# sealkey ledger reconcile: clean after real issuances, then each kind of violation made for
# real (a token labelled outside sealkey, a live token wiped, a signed serial neither live nor
# revoked, a serial left reserved, two live issuances on one token, an interrupted issuance,
# the audit log deleted or cut) is reported with its order, serial and token, exit 1.
# Also the audit log's anchor in the ledger (issue 11, defect 5): deleting audit.log with
# audit.head, or cutting both, no longer passes `audit verify`.
source "$SOURCE_DIR/tests/lib.sh"
require_test_hooks  # SEALKEY_TEST_CRASH_AT
: "${AUDIT_APPEND:?run through ctest}"
st=$T/station
make_station "$st"
orders=$SOURCE_DIR/examples/orders.json
export SEALKEY_OPERATOR=tester
db=$st/ledger.sqlite
n1=JX2026-000101 n2=JX2026-000102 n3=JX2026-000103 n4=JX2026-000104
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
for n in $n1 $n2 $n3; do
    expect_status 0 "issue $n" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$n"
done
serial_of() { sqlite3 "$db" "SELECT cert_serial FROM issuances WHERE order_number='$1' ORDER BY id DESC LIMIT 1"; }
token_of() { sqlite3 "$db" "SELECT token_serial FROM issuances WHERE order_number='$1' ORDER BY id DESC LIMIT 1"; }
reconcile() { "$SEALKEY" ledger reconcile --station "$st" "$@"; }

expect_status 0 "reconcile after three issuances" -- reconcile
expect_output "3 issuances, 3 serials, 3 certificates signed \(3 live, 0 revoked\), 0 being issued, 3 tokens, [0-9]+ audit records: clean" "clean summary"
reconcile --json > "$T/r.json" 2>&1
check "--json is one JSON report, ok, no violations, 3 tokens" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is True and r["violations"] == [] and r["ledger"] == "sqlite", r
c = r["checked"]
assert c["issuances"] == 3 and c["signed"] == 3 and c["live"] == 3 and c["tokens"] == 3, c
assert c["audit_records"] > 0' "$T/r.json"
reconcile --json --no-tokens > "$T/r.json" 2>&1
check "--no-tokens: tokens null" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["checked"]["tokens"] is None' "$T/r.json"
expect_status 0 "audit verify" -- "$SEALKEY" audit verify --station "$st"
expect_output "matches audit.head and the ledger's anchor \(record [0-9]+\)" "verify names the anchor"

# Each violation below starts from this state (station and token store).
snapshot() { rm -rf "$T/good" && mkdir "$T/good" && cp -a "$st" "$T/hsm" "$T/good/"; }
restore() { rm -rf "$st" "$T/hsm" && cp -a "$T/good/station" "$st" && cp -a "$T/good/hsm" "$T/hsm"; }
snapshot

# A token initialised outside sealkey with an order's label.
softhsm2-util --init-token --free --label JX2026-009999 --so-pin 12345678 --pin 123456 >/dev/null
stray=$(softhsm2-util --show-slots | awk '/Serial number:/{s=$3} /Label: *JX2026-009999 *$/{print s}')
expect_status 1 "a token labelled outside sealkey" -- reconcile
expect_output "^token_unknown: order JX2026-009999, serial -, token $stray: .*no issuance of that order on it" "stray token named with its order and serial"
expect_output ": 1 violation$" "one violation counted"
reconcile --json > "$T/r.json" 2>&1
check "--json lists the stray token" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is False and len(r["violations"]) == 1, r
v = r["violations"][0]
assert v["kind"] == "token_unknown" and v["order"] == "JX2026-009999" and v["token"] == sys.argv[2], v
assert v["message"]' "$T/r.json" "$stray"
expect_status 0 "--no-tokens does not look at it" -- reconcile --no-tokens
restore

# A verified order's token wiped (initialised again with the same label, then another one).
softhsm2-util --init-token --token "$n1" --label "$n1" --so-pin so-pin-4711 --pin 654321 >/dev/null
expect_status 1 "a live token wiped" -- reconcile
expect_output "^token_wiped: order $n1, serial $(serial_of $n1), token $(token_of $n1): .*no longer carries its certificate" "wiped token named"
softhsm2-util --init-token --token "$n2" --label OTHER-1 --so-pin so-pin-4711 --pin 654321 >/dev/null
expect_status 1 "a live token relabelled" -- reconcile
expect_output "^token_wiped: order $n2, serial $(serial_of $n2), token $(token_of $n2): .*now labelled 'OTHER-1'" "relabelled token named"
restore

# A signed serial whose issuance is neither live nor revoked (what a failed attempt with a
# certificate, or a reissue that never revoked the old one, leaves).
sqlite3 "$db" "UPDATE issuances SET step = 'failed' WHERE order_number = '$n2'"
expect_status 1 "a signed serial neither live nor revoked" -- reconcile --no-tokens
expect_output "^serial_unaccounted: order $n2, serial $(serial_of $n2), token $(token_of $n2): .*neither live nor revoked" "unaccounted serial named"
sqlite3 "$db" "UPDATE issuances SET step = 'superseded' WHERE order_number = '$n2'"
expect_status 1 "superseded but not revoked" -- reconcile --no-tokens
expect_output "^serial_unaccounted: order $n2, .*now superseded" "superseded serial named"
# Revoked (revoked_at set) is accounted for, whatever the step says.
sqlite3 "$db" "UPDATE issuances SET revoked_at = '2026-01-01T00:00:00Z', revocation_reason = 'superseded' WHERE order_number = '$n2'"
expect_status 0 "superseded and revoked is accounted for" -- reconcile --no-tokens
restore
# A serial left reserved by a finished issuance, and two live issuances on one token.
sqlite3 "$db" "UPDATE serials SET state = 'reserved' WHERE serial = '$(serial_of $n3)'"
sqlite3 "$db" "UPDATE issuances SET token_serial = '$(token_of $n1)' WHERE order_number = '$n2'"
expect_status 1 "reserved serial and shared token" -- reconcile --no-tokens
expect_output "^serial_not_void: order $n3, serial $(serial_of $n3), .*should be void" "reserved serial named"
expect_output "^token_two_live: order $n2, serial $(serial_of $n2), token $(token_of $n1): .*two live issuances" "shared token named"
restore

# An issuance interrupted (killed after key generation): reported until the order is re-run,
# but not while a process holds the order.
rc=$( (SEALKEY_TEST_CRASH_AT=key_generated setsid "$SEALKEY" issue --station "$st" --orders "$orders" \
    --order "$n4" >/dev/null 2>&1; echo $?) 2>/dev/null)
check "issue killed after key generation (exit $rc)" test "$rc" -eq 137
expect_status 1 "an interrupted issuance" -- reconcile
expect_output "^interrupted: order $n4, serial $(serial_of $n4), token $(token_of $n4): .*stopped at step key_generated .*re-run the order" "interrupted issuance named"
mkdir -p "$db.claims"
exec 9>"$db.claims/$n4"
flock 9   # this shell holds the order's claim, as a running issue would
expect_status 0 "an issuance some process holds is in progress" -- reconcile --no-tokens
expect_output ", 1 being issued, " "counted as being issued"
exec 9>&-
expect_status 0 "the re-run" -- "$SEALKEY" issue --station "$st" --orders "$orders" --order "$n4"
expect_status 0 "clean after the re-run" -- reconcile
expect_output "5 issuances, 5 serials, 4 certificates signed \(4 live, 0 revoked\)" "the interrupted attempt's serial is void"
snapshot

# Defect 5: the audit log deleted with its head is caught by the ledger's anchor.
records=$(grep -c . "$st/audit.log")
rm "$st/audit.log" "$st/audit.head"
expect_status 1 "audit verify: log and head deleted" -- "$SEALKEY" audit verify --station "$st"
expect_output "audit.log has no records, but the ledger's audit anchor says it had $records \(audit.log and audit.head deleted\?\)" "deletion named"
expect_no_output "chain intact" "no longer passes as an empty log"
expect_status 1 "reconcile: log and head deleted" -- reconcile --no-tokens
expect_output "^audit: order -, serial -, token -: .*has no records, but the ledger's audit anchor says it had $records" "reconcile names it"
expect_status 1 "no append onto a deleted log" -- "$SEALKEY" ship --station "$st" --order "$n1" --waybill SF1234567890123
expect_output "ledger's audit anchor says $records; not appending" "append refusal named"
check "nothing appended" test ! -s "$st/audit.log"
restore
# The anchor row gone too: the certificates the ledger holds still show the log was not empty.
rm "$st/audit.log" "$st/audit.head"
sqlite3 "$db" "DELETE FROM audit_anchors"
expect_status 1 "log, head and anchor deleted" -- "$SEALKEY" audit verify --station "$st"
expect_output "has no records, but the ledger holds 4 certificates station JX-NC-01 signed" "certificates named"
restore
# A log from before the anchor (none in the ledger) verifies, and is anchored at its next append.
sqlite3 "$db" "DELETE FROM audit_anchors"
expect_status 0 "a log without an anchor yet" -- "$SEALKEY" audit verify --station "$st"
expect_no_output "anchor" "no anchor claimed"
expect_status 0 "an append" -- "$SEALKEY" ship --station "$st" --order "$n1" --waybill SF1234567890123
expect_status 0 "anchored by the append" -- "$SEALKEY" audit verify --station "$st"
expect_output "the ledger's anchor \(record $((records + 1))\)" "anchor set"
restore
# Cut to 5 records with a head to match: the anchor still says where it ended.
head -n 5 "$st/audit.log" > "$T/cut" && cat "$T/cut" > "$st/audit.log"
python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
open(sys.argv[2], "w").write(json.dumps({"hash": r["hash"], "seq": r["seq"]}, separators=(",", ":")) + "\n")
' "$st/audit.log" "$st/audit.head"
expect_status 1 "audit verify: log and head cut" -- "$SEALKEY" audit verify --station "$st"
expect_output "log ends at record 5 but the ledger's audit anchor says $records \(truncated\?\)" "cut named"
expect_status 1 "audit show stops there too" -- "$SEALKEY" audit show --station "$st"
restore
# A crash between the log and the anchor leaves the log one record ahead: accepted, and the
# next append catches up. Two records ahead is not.
"$AUDIT_APPEND" "$st" 1 LATE || fail "append without the ledger"
expect_status 0 "log one record ahead of its anchor" -- "$SEALKEY" audit verify --station "$st"
expect_status 0 "an append catches the anchor up" -- "$SEALKEY" ship --station "$st" --order "$n1" --waybill SF1234567890123
"$SEALKEY" audit verify --station "$st" > "$T/out" 2>&1
expect_output "anchor \(record $((records + 2))\)" "anchor moved with the append"
"$AUDIT_APPEND" "$st" 2 LATE || fail "two appends without the ledger"
expect_status 1 "log two records ahead of its anchor" -- "$SEALKEY" audit verify --station "$st"
expect_output "log goes on to record $((records + 4)) but the ledger's audit anchor says $((records + 2))" "runaway log named"
finish
