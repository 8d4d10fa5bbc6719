#!/bin/bash
# Size limits: a 50 MB batch of valid orders checks in seconds with bounded memory; 50 MB
# of garbage, a bracket bomb or an over-limit file fails cleanly with exit 3.
source "$SOURCE_DIR/tests/lib.sh"
D=$SOURCE_DIR/tests/data/orders

mkdir -p "$T/b/scans"
for f in official legal-rep; do printf 'jpeg' > "$T/b/scans/$f.jpg"; done

# One order per line from the fixture, numbered so that no two repeat, up to 50 MB.
line=$(sed -e '1d; $d' "$D/one.json" | tr -d '\n' | sed -e 's/  */ /g' \
       -e 's|scans/JX2026-000101-\([a-z-]*\)\.jpg|scans/\1.jpg|g')
n=$(( 50 * 1024 * 1024 / ($(printf %s "$line" | wc -c) + 2) ))
awk -v n="$n" -v tpl="$line" 'BEGIN {
    split(tpl, part, "JX2026-000101")
    print "["
    for (i = 1; i <= n; i++)
        printf "%sJX2026-%06d%s%s\n", part[1], i, part[2], i < n ? "," : ""
    print "]"
}' > "$T/b/big.json"
size=$(stat -c %s "$T/b/big.json")
check "big file is about 50 MB ($size bytes)" test "$size" -gt 52000000

# Memory stays near the size of the orders (about 65 MB here), not a JSON tree of the file.
# The sanitizers reserve terabytes of address space, so bound only a plain build.
limit=$((200 * 1024))
case $(ldd "$SEALKEY" 2>/dev/null) in *libasan*) limit=unlimited ;; esac
start=$(date +%s%N)
expect_status 0 "50 MB of valid orders" -- \
    bash -c 'ulimit -v "$1"; exec "$2" order check --no-station "$3"' _ "$limit" "$SEALKEY" "$T/b/big.json"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# The time is printed, not asserted: speed is for bench/ (it failed under load here).
echo "checked $n orders ($size bytes) in $ms ms"
expect_output "^$n orders, 0 problems$" "50 MB summary"

head -c $((50 * 1024 * 1024)) /dev/urandom > "$T/b/c.json"
expect_status 3 "50 MB of random bytes" -- "$SEALKEY" order check --no-station "$T/b/c.json"
# (random bytes may open with white space, so the position is any)
expect_output 'c\.json: line [0-9]+ column [0-9]+: ' "random bytes: position"
{ printf '['; head -c $((50 * 1024 * 1024)) /dev/urandom; } > "$T/b/c.json"
expect_status 3 "array of random bytes" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output 'c\.json: line [0-9]+ column [0-9]+: ' "array of random bytes: position"
{ printf '['; head -c $((50 * 1024 * 1024)) /dev/zero | tr '\0' '['; } > "$T/b/c.json"
expect_status 3 "bracket bomb" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output 'c\.json: line 1 column [0-9]+: .*depth' "bracket bomb: depth"
{ printf '[{"order_number": "'; head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'A'; } > "$T/b/c.json"
expect_status 3 "2 MB order" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output 'c\.json: line 1: order #1 is larger than 1048576 bytes' "2 MB order: message"
{ printf '['; for i in $(seq 2000); do printf '{},'; done; printf '{}]'; } > "$T/b/c.json"
expect_status 1 "many empty orders" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output '^2001 orders, [0-9]+ problems in 2001 orders$' "many empty orders: summary"
truncate -s $((65 * 1024 * 1024)) "$T/b/c.json"
expect_status 3 "over 64 MB" -- "$SEALKEY" order check --no-station "$T/b/c.json"
expect_output 'c\.json: file is 68157440 bytes, the limit is 67108864; split it$' "over 64 MB: message"

finish
