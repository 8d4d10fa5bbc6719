#!/bin/bash
# sealkey order check: every kind of bad order is reported with the order, the field and
# what is wrong, and the exit status tells a script whether the batch can go ahead.
source "$SOURCE_DIR/tests/lib.sh"
D=$SOURCE_DIR/tests/data/orders

mkdir -p "$T/b/scans"
for f in official legal-rep; do printf 'jpeg' > "$T/b/scans/JX2026-000101-$f.jpg"; done
for f in official legal-rep; do printf 'jpeg' > "$T/b/scans/JX2026-000102-$f.jpg"; done
make_station "$T/st"

# bad NAME SED-SCRIPT PATTERN: the one-order fixture edited by sed has exactly this problem.
bad() {
    local name=$1 script=$2 want=$3
    sed -e "$script" "$D/one.json" > "$T/b/c.json"
    expect_status 1 "$name: status" -- "$SEALKEY" order check --station "$T/st" "$T/b/c.json"
    expect_output "$want" "$name: message"
    expect_output '^1 order, 1 problem in 1 order$' "$name: exactly one problem"
}
# broken NAME PATTERN: $T/b/c.json cannot be read as orders at all.
broken() {
    expect_status 3 "$1: status" -- "$SEALKEY" order check --no-station "$T/b/c.json"
    expect_output "$2" "$1: message"
}
# two FILE1 FILE2: the orders of two one-order files as one file on stdout.
two() {
    sed -e '$d' "$1" | sed -e '$s/}$/},/'
    sed -e '1d' "$2"
}

O='^.*c\.json: order JX2026-000101: '

# The good fixture and the shipped examples are clean.
cp "$D/one.json" "$T/b/good.json"
expect_status 0 "good fixture" -- "$SEALKEY" order check --station "$T/st" "$T/b/good.json"
expect_output '^1 order, 0 problems$' "good fixture summary"
expect_status 0 "examples" -- "$SEALKEY" order check --station "$SOURCE_DIR/examples" \
    "$SOURCE_DIR/examples/orders.json"
expect_output '^6 orders, 0 problems$' "examples summary"

# The demo of typical mistakes: every one reported, order by order (the loader's problems
# of the third order come after the second order's, not first).
expect_status 1 "bad examples" -- "$SEALKEY" order check --station "$SOURCE_DIR/examples" \
    "$SOURCE_DIR/examples/orders-bad.json"
expect_output '^3 orders, 9 problems in 3 orders$' "bad examples summary"
check "bad examples: reported order by order" test \
    "$(grep -n "review.status" "$T/out" | cut -d: -f1)" -lt "$(grep -n "'\.\.' component" "$T/out" | cut -d: -f1)"

# Identifiers.
bad "uscc check" 's/"uscc": "91360100MA35G8K21Y"/"uscc": "91360100MA35G8K213"/' \
    "${O}unit\.uscc: '91360100MA35G8K213': check character is 3, expected Y$"
bad "uscc letter O" 's/"uscc": "91360100MA35G8K21Y"/"uscc": "913601OOMA35G8K21Y"/' \
    "${O}unit\.uscc: .*character 7 is the letter 'O'.*mistyped 0"
bad "uscc length" 's/"uscc": "91360100MA35G8K21Y"/"uscc": "91360100MA35G8K21"/' \
    "${O}unit\.uscc: '91360100MA35G8K21': 17 characters, expected 18$"
bad "id check digit" 's/"360102197504123015"/"360102197504123016"/' \
    "${O}legal_rep\.id_number: '360102197504123016': check digit is 6, expected 5$"
bad "id birth date" 's/"360104198809232527"/"360104198802302527"/' \
    "${O}handler\.id_number: .*birth date 19880230 is not a real date"
bad "id lower-case x" 's/"360102197504123015"/"11010519491231002x"/' \
    "${O}legal_rep\.id_number: .*upper-case X"
bad "mobile short" '16s/"13807910101"/"1380791010"/' \
    "${O}handler\.mobile: '1380791010': 10 digits, expected 11$"
bad "email" 's/"finance@ganpo-build.example"/"finance.ganpo-build.example"/' \
    "${O}invoice\.email: 'finance\.ganpo-build\.example': has no '@'$"
bad "tax number" 's/"tax_number": "91360100MA35G8K21Y"/"tax_number": "9136010"/' \
    "${O}invoice\.tax_number: '9136010': 7 characters, expected 18"
bad "order number" 's/"JX2026-000101"/"jx2026-000101"/' \
    "c\.json: order #1: order_number: 'jx2026-000101': must start with A-Z or 0-9"

# Presence, types and limits.
bad "missing field" '14d' \
    "${O}handler\.name: missing$"
bad "missing number" '/"order_number"/d' "c\.json: order #1: order_number: missing$"
bad "empty string" '24s/"李晓梅"/""/' "${O}recipient\.name: is empty$"
bad "number for string" '16s/"13807910101"/13807910101/' \
    "${O}handler\.mobile: is a number, expected a string$"
bad "array for object" '5,8c\    "unit": ["x"],' \
    "${O}unit: is an array, expected an object$"
bad "unknown field" 's/"uscc": "91360100MA35G8K21Y"$/&, "fax": "0791-1234"/' \
    "${O}unit\.fax: unknown field$"
# A misspelt name is unknown, and the field it should have been is missing.
sed -e 's/"name": "江西赣鄱建设工程有限公司"/"nmae": "江西赣鄱建设工程有限公司"/' "$D/one.json" > "$T/b/c.json"
expect_status 1 "misspelt field" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output "${O}unit\.nmae: unknown field$" "misspelt field: unknown"
expect_output "${O}unit\.name: missing$" "misspelt field: missing"
long=$(printf '王%.0s' $(seq 65))
bad "over-long name" "s/\"name\": \"王𠮷\"/\"name\": \"$long\"/" \
    "${O}legal_rep\.name: is 65 characters, at most 64$"
bad "control character" 's/"address": "江西省/"address": "江西省\\n/' \
    "${O}recipient\.address: character 4 is U\+000A \(a control character\), which is not allowed$"
# Names (docs/orders.md "Names and Unicode"): invisible and format characters, in JSON
# escapes or raw, and text that NFC would change are refused, named by code point.
bad "bidi override" 's/"name": "王𠮷"/"name": "王\\u202e𠮷"/' \
    "${O}legal_rep\.name: character 2 is U\+202E \(a format character"
bad "next line" 's/"address": "江西省/"address": "江西省\xc2\x85/' \
    "${O}recipient\.address: character 4 is U\+0085 \(a control character\)"
bad "decomposed" 's/"reviewer": "张审核"/"reviewer": "Jose\xcc\x81"/' \
    "${O}review\.reviewer: characters 4-5 \(U\+0065 U\+0301\) are not in Unicode normalisation form C: NFC would write U\+00E9"
bad "padded" 's/"name": "王𠮷"/"name": "王𠮷 "/' "${O}legal_rep\.name: '王𠮷 ' has leading or trailing"

# Review, project, payment.
bad "not approved" 's/"status": "approved"/"status": "rejected"/' \
    "${O}review\.status: is 'rejected'; only approved orders are issued$"
bad "unknown project" 's/"GCJS"/"XXJS"/' \
    "${O}project_code: 'XXJS' is not a project of station JX-NC-01 \(GCJS, ZFCG\)$"
bad "amount syntax" 's/"220.00"/"22O.00"/' \
    "${O}payment\.amount_cny: '22O\.00' is not an amount in CNY like \"220\.00\"$"
bad "amount zero" 's/"220.00"/"0.00"/' "${O}payment\.amount_cny: is zero"
bad "amount float" 's/"220.00"/220.5/' "${O}payment\.amount_cny: is a number, expected a string"
bad "channel" 's/"wechat"/"cash"/' \
    "${O}payment\.channel: 'cash' is not a payment channel \(wechat or alipay\)$"

# Seal scans.
bad "scan missing" 's/000101-official.jpg/000199-official.jpg/' \
    "${O}seal_scans\.official: '.*/b/scans/JX2026-000199-official\.jpg' does not exist$"
bad "scan dotdot" 's|"scans/JX2026-000101-official.jpg"|"scans/../../etc/x.jpg"|' \
    "${O}seal_scans\.official: 'scans/\.\./\.\./etc/x\.jpg' has a '\.\.' component"
bad "scan absolute" 's|"scans/JX2026-000101-official.jpg"|"/etc/passwd"|' \
    "${O}seal_scans\.official: '/etc/passwd' is an absolute path"
bad "scan type" 's|000101-official.jpg|000101-official.pdf|' \
    "${O}seal_scans\.official: .* is not a \.jpg, \.jpeg, \.png or \.bmp file$"

# Project codes are only checked against a station.
sed -e 's/"GCJS"/"XXJS"/' "$D/one.json" > "$T/b/c.json"
expect_status 0 "--no-station" -- "$SEALKEY" order check --no-station "$T/b/c.json"
(cd "$T/b" && "$SEALKEY" order check c.json > "$T/out" 2>&1; echo "rc=$?" >> "$T/out")
expect_output 'no station.json in \.: project codes not checked' "no station in cwd: note"
expect_output 'rc=0' "no station in cwd: not an error"
SEALKEY_STATION=$T/st expect_status 1 "SEALKEY_STATION" -- "$SEALKEY" order check "$T/b/c.json"
expect_output "project_code: 'XXJS'" "SEALKEY_STATION is used"

# Several problems in several orders are all reported, duplicates included.
sed -e '16s/"13807910101"/"1380791010"/; 25s/"13807910101"/"1380791010"/; s/"220.00"/"0"/' \
    "$D/one.json" > "$T/b/a.json"
two "$T/b/a.json" "$D/one.json" > "$T/b/c.json"
expect_status 1 "several problems" -- "$SEALKEY" order check --station "$T/st" "$T/b/c.json"
expect_output "${O}handler\.mobile: '1380791010'" "several: handler.mobile"
expect_output "${O}recipient\.mobile: '1380791010'" "several: recipient.mobile"
expect_output "${O}payment\.amount_cny: is zero" "several: amount"
expect_output "${O}order_number: order #2 \(line 43\) repeats the number of order #1 \(line 2\)$" \
    "several: duplicate number"
expect_output '^2 orders, 4 problems in 2 orders$' "several: summary"
expect_status 1 "json report" -- sh -c '"$1" order check --no-station --json "$2" 2>/dev/null' \
    sh "$SEALKEY" "$T/b/c.json"
expect_output '"orders_with_problems": 2' "json: orders with problems"
expect_output '"order": "JX2026-000101",' "json: order label"
expect_output '"message": "handler.mobile: ' "json: message"
expect_output '"field": "handler.mobile",' "json: field"
expect_output '"code": "bad_format"' "json: kind of problem"
expect_output '"code": "duplicate"' "json: duplicate's kind"

# Files that are not an array of orders at all: exit 3 with line and column.
sed -e '4s/,$//' "$D/one.json" > "$T/b/c.json"
broken "malformed json" "c\.json: line 5 column 10: '}' expected near '\"unit\"'$"
sed -e '40,$d' "$D/one.json" > "$T/b/c.json"
broken "truncated" "c\.json: line 40 column 0: .*expected near end of file"
sed -e '1d; $d' "$D/one.json" > "$T/b/c.json"
broken "top-level object" "c\.json: line 1 column 3: the top level is an object \(a single order\?\)"
printf '"orders"' > "$T/b/c.json"
broken "top-level string" "c\.json: line 1 column 1: the top level is a string"
sed -e 's/"王𠮷"/"\xcd\xf5"/' "$D/one.json" > "$T/b/c.json"
broken "non-UTF-8" "c\.json: line 10 column 15: .*\(the file must be UTF-8; was it saved as GBK\?\)$"
sed -e 's/"unit": {/"unit": {"name": "x",/' "$D/one.json" > "$T/b/c.json"
broken "duplicate key" "c\.json: line 6 column 12: duplicate object key"
printf '[]' > "$T/b/c.json"
expect_status 0 "empty array" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output '^0 orders, 0 problems$' "empty array summary"
: > "$T/b/c.json"
broken "empty file" "c\.json: is empty; expected an array of orders$"
printf '[{}] x' > "$T/b/c.json"
broken "trailing garbage" "c\.json: line 1 column 6: 'x' after the end of the array"
printf '[{"x\\ny": 1}]' > "$T/b/c.json"
expect_status 1 "control character in a key" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output 'c\.json: order #1: x\\ny: unknown field$' "a key is printed on one line"
printf '[{"a\xe2\x80\xaeb": 1}]' > "$T/b/c.json"
expect_status 1 "bidi override in a key" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output 'c\.json: order #1: a\\u202eb: unknown field$' "a key cannot reorder the message"
printf '[1, "x"]' > "$T/b/c.json"
expect_status 1 "scalar orders" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output 'order #2: is a string, expected an object$' "scalar order named by position"
expect_status 3 "missing file" -- "$SEALKEY" order check --no-station "$T/b/nope.json"
expect_output 'nope\.json: cannot open' "missing file message"

# Usage.
expect_status 2 "no file" -- "$SEALKEY" order check
expect_output '^usage: sealkey order check' "usage line"
expect_status 2 "bad subcommand" -- "$SEALKEY" order frobnicate
expect_status 2 "conflicting options" -- "$SEALKEY" order check --station x --no-station f
expect_status 0 "help" -- "$SEALKEY" order check --help
expect_output '^usage: sealkey order check' "help text"

finish
