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
finish
