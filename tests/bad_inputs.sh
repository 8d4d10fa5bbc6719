#!/usr/bin/env bash
# The bad-input table (tests/bad_inputs.tsv): each refused input gives its documented exit
# status, a message naming the input and the problem, and writes nothing.
source "$SOURCE_DIR/tests/lib.sh"
cd "$T" || exit 1
export T SK=$SEALKEY ST=$T/st O=$T/orders S=$T/scans E=$SOURCE_DIR/examples/orders.json
make_station "$ST"
"$SK" ca init --station "$ST" >/dev/null 2>&1 || fail "ca init"
"$SK" status --station "$ST" >/dev/null 2>&1   # the ledger exists before the first row
mkdir -p out seals "$O" "$S"
printf 'wrong\n' > wrong-pass
chmod 600 wrong-pass
# Chosen user PINs that pin_policy (6 to 8 digits) refuses.
printf '123\n' > "$ST/short-user-pin"
printf '12ab5678\n' > "$ST/letters-user-pin"
chmod 600 "$ST/short-user-pin" "$ST/letters-user-pin"

# Order files: one mistake each, made from the examples.
cp -r "$SOURCE_DIR/examples/scans" "$O/"
variant() { sed "$2" "$E" > "$O/$1.json"; }
variant bad-uscc '0,/91360100MA35G8K21Y/s//91360100MA35G8K21X/'
variant bad-id '0,/360102197504123015/s//360102197504123016/'
variant bad-mobile '0,/"13807910101"/s//"1380791010"/'
variant bad-email '0,/finance@ganpo-build.example/s//finance.ganpo-build.example/'
variant pending '0,/"approved"/s//"pending"/'
variant bad-project '0,/"GCJS"/s//"NOPE"/'
variant missing-scan '0,/scans\/JX2026-000101-official.jpg/s//scans\/missing.jpg/'
variant dotdot-scan '0,/scans\/JX2026-000101-official.jpg/s//..\/scans\/JX2026-000101-official.jpg/'
variant wrong-type '0,/"name": "江西赣鄱建设工程有限公司"/s//"name": 12345/'
variant unknown-field '0,/"order_number": "JX2026-000101",/s//"order_number": "JX2026-000101", "colour": "red",/'
variant duplicate '0,/"order_number": "JX2026-000102"/s//"order_number": "JX2026-000101"/'
variant long-address "0,/\"address\": \"[^\"]*\"/s//\"address\": \"$(printf '江%.0s' $(seq 1 300))\"/"
variant latin1 "0,/李晓梅/s//Li \\xe9/"
sed -n '1,3p' "$E" | sed '3s/$/,,/' > "$O/malformed.json"
printf '{"orders": []}\n' > "$O/top-object.json"

# Station configurations: one mistake each; those that get as far as the CA share $ST's.
station_variant() { mkdir -p "$1"; sed "$2" "$SOURCE_DIR/examples/station.json" > "$1/station.json"; cp "$ST/so-pin" "$ST/ca-pass" "$1/"; }
mkdir -p nostation badjson
printf '{\n  "station_id": \n' > badjson/station.json
station_variant unknown 's/"station_id"/"colour": "red", "station_id"/'
station_variant nosopin '/"so_pin"/d'
station_variant clearpin 's/"so_pin": "file:so-pin"/"so_pin": "1234"/'
station_variant badalg '0,/"key_algorithm": "ec-p256"/s//"key_algorithm": "ec-p999"/'
station_variant shortpin 's/"user_pin_min_digits": 6/"user_pin_min_digits": 2/'
station_variant bigseal '0,/"official_seal_mm": 40/s//"official_seal_mm": 50/'
station_variant badurl '0,/"crl_url": "http:/s//"crl_url": "ftp:/'
station_variant badstep 's/"key_generated": 120/"keygen": 5/'
station_variant zerostep 's/"key_generated": 120/"key_generated": 0/'
station_variant badmodule 's|"pkcs11_module": "[^"]*"|"pkcs11_module": "/nonexistent/module.so"|'
cp -r "$ST/ca" badmodule/
station_variant noca 's/x/x/'
station_variant emptysopin 's/x/x/'
cp -r "$ST/ca" emptysopin/
: > emptysopin/so-pin

# Scans and seal files.
scangen=$BUILD_DIR/tests/scangen
"$scangen" blank "$S/blank.jpg" --seed 1 >/dev/null
"$scangen" two "$S/two.jpg" --seed 2 >/dev/null
"$scangen" legal-rep "$S/square.jpg" --seed 3 >/dev/null
"$scangen" huge "$S/huge.png" >/dev/null
printf 'this is not a picture\n' > "$S/notimage.jpg"
head -c 1200000 /dev/urandom > "$S/big.jpg"
v4=$SHARED_DIR/testdata/eseal/ofdrw-UserV4.esl
cp "$v4" seals/v4.esl
head -c 1000 "$v4" > seals/truncated.esl
head -c 3000 /dev/urandom > seals/garbage.esl
cp "$v4" seals/tampered.esl
size=$(stat -c %s seals/tampered.esl)
printf '\x55' | dd of=seals/tampered.esl bs=1 seek=$((size - 10)) conv=notrunc status=none

# What "nothing was written" means: every file's size and time (lock files and valgrind logs aside), the
# ledger's content and the token store.
snapshot() {
    {
        find . -path ./valgrind -prune -o -type f ! -name '*.sqlite-wal' ! -name '*.sqlite-shm' ! -name '*.lock' \
            ! -path '*.claims/*' ! -name 'row.out' -printf '%p %s %T@\n' | sort
        sqlite3 "$ST/ledger.sqlite" .dump
    } | md5sum
}

rows=0
while IFS=$'\t' read -r want pattern cmd; do
    case "$want" in ''|'#'*) continue ;; esac
    rows=$((rows + 1))
    before=$(snapshot)
    bash -c "$cmd" > row.out 2>&1
    got=$?
    after=$(snapshot)
    if [ "$got" -ne "$want" ]; then
        fail "row $rows: exit $got, want $want: $cmd"; sed 's/^/    /' row.out >&2
    else ok; fi
    if grep -Eq -- "$pattern" row.out; then ok; else
        fail "row $rows: message lacks /$pattern/: $cmd"; sed 's/^/    /' row.out >&2; fi
    if [ "$before" = "$after" ]; then ok; else fail "row $rows: something was written: $cmd"; fi
done < "$SOURCE_DIR/tests/bad_inputs.tsv"
check "the table has at least 60 rows ($rows)" test "$rows" -ge 60
finish
