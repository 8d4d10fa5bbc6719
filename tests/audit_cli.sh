#!/usr/bin/env bash
# sealkey audit verify/show: concurrent appends keep the chain whole, and every kind of
# tampering (edit, delete, swap, truncate, head deleted, garbage) is caught, exit 1,
# naming the first bad record.
source "$SOURCE_DIR/tests/lib.sh"
: "${AUDIT_APPEND:?run through ctest}"
if ! "$SEALKEY" audit --help >/dev/null 2>&1; then
    echo "sealkey has no 'audit' command yet (row missing in cli/main.c): skipped"
    exit 77
fi
st=$T/station
mkdir -p "$st"

expect_status 0 "verify with no log" -- "$SEALKEY" audit verify --station "$st"
expect_output "0 records" "empty log counted"

# Four processes append 25 records each at the same time.
for tag in A B C D; do
    ( "$AUDIT_APPEND" "$st" 25 "ORDER-$tag" ) &
done
wait
expect_status 0 "verify after concurrent appends" -- "$SEALKEY" audit verify --station "$st"
expect_output "100 records, chain intact" "all 100 records present"
check "audit.log is 0600" test "$(stat -c %a "$st/audit.log")" = 600
check "one record per line" test "$(wc -l < "$st/audit.log")" -eq 100
for tag in A B C D; do
    check "25 records of ORDER-$tag" test "$(grep -c "\"order\":\"ORDER-$tag\"" "$st/audit.log")" -eq 25
done
"$SEALKEY" audit verify --station "$st" --json > "$T/out"
expect_output '"records": 100' "verify --json count"
expect_output '"ok": true' "verify --json ok"
"$SEALKEY" audit show --station "$st" --order ORDER-B > "$T/out"
check "show --order lists that order only" test "$(grep -c ORDER-B "$T/out")" -eq 25 -a "$(wc -l < "$T/out")" -eq 25
expect_output "^#[0-9]+ [0-9T:-]+Z JX-NC-01 tester key_generated ok order=ORDER-B token=0123456789abcdef -- ORDER-B #1$" "show line format"
expect_status 2 "verify with an argument" -- "$SEALKEY" audit verify --station "$st" extra
expect_status 2 "unknown audit verb" -- "$SEALKEY" audit frobnicate

good=$T/good
cp -a "$st" "$good"
# tamper NAME EXPECTED-MESSAGE-REGEX -- shell commands run on $st
tamper() {
    local what=$1 want=$2; shift 3
    rm -rf "$st" && cp -a "$good" "$st"
    ( cd "$st" && eval "$*" )
    expect_status 1 "$what detected" -- "$SEALKEY" audit verify --station "$st"
    expect_output "$want" "$what: first bad record named"
}
tamper "edited field" "record 17 \(line 17\): hash does not match its content \(edited\?\)" -- \
    "sed -i '17s/\"result\":\"ok\"/\"result\":\"failed\"/' audit.log"
tamper "edited spacing" "record 5 \(line 5\): not in the form the log writes" -- \
    "sed -i '5s/,\"seq\"/, \"seq\"/' audit.log"
tamper "deleted middle line" "record 9 is missing: seq jumps from 8 to 10" -- "sed -i '9d' audit.log"
tamper "deleted first line" "record 1 is missing: the log starts at record 2" -- "sed -i '1d' audit.log"
tamper "swapped lines" "records out of order: record 31 \(line 30\) comes before record 30 \(line 31\)" -- \
    "sed -i '30{h;d};31G' audit.log"
tamper "truncated last line" "log ends at record 99 but audit.head says 100 \(truncated\?\)" -- \
    "sed -i '\$d' audit.log"
tamper "truncated 3 lines" "log ends at record 97 but audit.head says 100 \(truncated\?\)" -- \
    "head -n 97 audit.log > x && cat x > audit.log && rm x"
tamper "cut mid-line" "line 100 \(after record 99\): incomplete last line" -- \
    "truncate -s -10 audit.log"
tamper "audit.head deleted" "audit.head is missing \(deleted\?\); the log has 100 records" -- \
    "rm audit.head"
tamper "audit.log deleted" "audit.log is missing but .*audit.head says 100 records" -- \
    "rm audit.log"
tamper "garbage appended" "line 101 \(after record 100\): not a JSON record \(garbage\?\)" -- \
    "echo 'rm -rf /' >> audit.log"
tamper "copied record appended" "record 101 \(line 101\): hash does not match its content" -- \
    "tail -n 1 audit.log | sed 's/\"seq\":100/\"seq\":101/' >> audit.log"
# rehash LOG INDEX: python re-hashes line INDEX (0-based) after an edit, as a forger would
# (INDEX past the end: a new record chained to the last one).
rehash() {
    python3 - "$1" "$2" <<'PY'
import hashlib, json, sys
path, i = sys.argv[1], int(sys.argv[2])
lines = open(path, encoding="utf-8").read().splitlines()
dump = lambda r: json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
if i < len(lines):
    r = json.loads(lines[i])
    r["operator"] = "mallory"
else:
    last = json.loads(lines[-1])
    r = dict(last, seq=last["seq"] + 1, prev=last["hash"], operator="mallory")
    lines.append("")
del r["hash"]
r["hash"] = hashlib.sha256(dump(r).encode()).hexdigest()
lines[i] = dump(r)
open(path, "w", encoding="utf-8").write("\n".join(lines) + "\n")
PY
}
# A well-formed record added behind audit.head's back.
rm -rf "$st" && cp -a "$good" "$st" && rehash "$st/audit.log" 100
expect_status 1 "forged record appended detected" -- "$SEALKEY" audit verify --station "$st"
expect_output "log goes on to record 101 but audit.head says 100" "forged record: named"
# A record re-hashed after an edit still breaks the chain at the next one.
rm -rf "$st" && cp -a "$good" "$st" && rehash "$st/audit.log" 41
expect_status 1 "re-hashed edit detected" -- "$SEALKEY" audit verify --station "$st"
expect_output "record 43 \(line 43\): prev does not match the hash of record 42" "re-hashed edit: chain break named"
"$SEALKEY" audit verify --station "$st" --json > "$T/out" 2>/dev/null
expect_output '"ok": false' "verify --json reports the failure"
expect_output '"records": 42' "verify --json counts the good records"

# Appending refuses to paper over a cut log; show prints the good part, then the problem.
rm -rf "$st" && cp -a "$good" "$st" && sed -i '$d' "$st/audit.log"
expect_status 1 "append to a truncated log refused" -- "$AUDIT_APPEND" "$st" 1 LATE
expect_output "ends at record 99 but audit.head says 100; not appending" "append refusal named"
expect_status 1 "show on a truncated log" -- "$SEALKEY" audit show --station "$st"
check "show printed the 99 good records" test "$(grep -c '^#' "$T/out")" -eq 99
expect_output "truncated" "show names the problem"

# A log written before operator names were checked may hold one with a line break, and a
# detail with a bidi override: verify still passes (the chain is whole), and show prints
# each record on one line with those characters escaped, so none can pass for a record.
rm -rf "$st" && cp -a "$good" "$st"
python3 - "$st" <<'PY'
import hashlib, json, sys
st = sys.argv[1]
lines = open(st + "/audit.log", encoding="utf-8").read().splitlines()
dump = lambda r: json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
r = json.loads(lines[-1])
r["operator"] = "mallory\n#101 2026-01-01T00:00:00Z JX-NC-01 root verified ok"
r["detail"] = "paid \u202e0001 CNY\u202c \\ done"
del r["hash"]
r["hash"] = hashlib.sha256(dump(r).encode()).hexdigest()
lines[-1] = dump(r)
open(st + "/audit.log", "w", encoding="utf-8").write("\n".join(lines) + "\n")
open(st + "/audit.head", "w").write(dump({"hash": r["hash"], "seq": r["seq"]}) + "\n")
PY
expect_status 0 "an old record with a line break in a name verifies" -- "$SEALKEY" audit verify --station "$st"
"$SEALKEY" audit show --station "$st" > "$T/out"
check "show prints 100 lines for 100 records" test "$(wc -l < "$T/out")" -eq 100
expect_no_output "^#101" "no forged record line"
expect_output '^#100 [0-9T:-]+Z JX-NC-01 "mallory\\n#101 2026-01-01T00:00:00Z JX-NC-01 root verified ok" key_generated ok .* -- paid \\u202e0001 CNY\\u202c \\\\ done$' \
    "the name quoted and escaped, the detail escaped"
check "no bidi control reaches the terminal" test "$(grep -c $'\xe2\x80\xae' "$T/out")" -eq 0
finish
