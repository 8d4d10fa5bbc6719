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
# Names (docs/orders.md "Names and Unicode"): one refused kind of character each, as a JSON
# escape (\uXXXX) or as raw UTF-8 bytes.
variant name-nel '0,/"name": "王𠮷"/s//"name": "王\\u0085𠮷"/'
variant name-lsep '0,/"address": "江西省南昌市/s//"address": "江西省\xe2\x80\xa8南昌市/'
variant name-rlo '0,/"name": "江西赣鄱建设工程有限公司"/s//"name": "江西\xe2\x80\xae赣鄱建设工程有限公司"/'
variant name-zwsp '0,/"name": "李晓梅"/s//"name": "李\xe2\x80\x8b晓梅"/'
variant name-bom '0,/"title": "江西赣鄱建设工程有限公司"/s//"title": "\\ufeff江西赣鄱建设工程有限公司"/'
variant name-nonchar '0,/"reviewer": "张审核"/s//"reviewer": "张\xef\xb7\x90审核"/'
variant name-private '0,/"name": "王𠮷"/s//"name": "王\\ue000"/'
variant name-nfd '0,/"name": "王𠮷"/s//"name": "Jose\xcc\x81 Wang"/'
variant name-compat '0,/"name": "江西赣鄱建设工程有限公司"/s//"name": "江西赣鄱\xef\xa4\xac建设工程有限公司"/'
# Forms (issue 17): a character no installed font has (U+30000, CJK Extension G).
variant name-unprintable '0,/"name": "王𠮷"/s//"name": "王\\ud880\\udc00"/'
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
station_variant caname 's/"name": "Jiangxi Demo CA"/"name": "Jian\\u202egxi Demo CA"/'
station_variant canamezh 's/"name_zh": "江西演示/"name_zh": "江西\\u202e演示/'
station_variant locality 's/"locality": "南昌市"/"locality": "南昌\xe2\x80\xa9市"/'
station_variant badmodule 's|"pkcs11_module": "[^"]*"|"pkcs11_module": "/nonexistent/module.so"|'
cp -r "$ST/ca" badmodule/
station_variant noca 's/x/x/'
station_variant emptysopin 's/x/x/'
cp -r "$ST/ca" emptysopin/
: > emptysopin/so-pin
# SKF stations (issue 15): token_api and its companions, refused combinations.
station_variant skfnolib 's/"station_id": "JX-NC-01",/"station_id": "JX-NC-01", "token_api": "skf",/'
station_variant badapi 's/"station_id": "JX-NC-01",/"station_id": "JX-NC-01", "token_api": "pcsc",/'
station_variant p11skflib 's|"station_id": "JX-NC-01",|"station_id": "JX-NC-01", "skf_library": "/usr/lib/libskf.so",|'
station_variant skfp11 's|"station_id": "JX-NC-01",|"station_id": "JX-NC-01", "token_api": "skf", "skf_library": "/usr/lib/libskf.so", "skf_auth_key": "file:so-pin",|'
station_variant skfnokey 's|"station_id": "JX-NC-01",|"station_id": "JX-NC-01", "token_api": "skf", "skf_library": "/usr/lib/libskf.so",|'
station_variant p11kmc 's|"station_id": "JX-NC-01",|"station_id": "JX-NC-01", "kmc": {"escrow_dir": "kmc", "escrow_secret": "file:so-pin"},|'

# Who may change the station (issue 11): one station each with a directory or file that another
# local user could write, all refused before anything is loaded or read.
station_variant gwdir 's/x/x/'
chmod g+w gwdir
station_variant owjson 's/x/x/'
chmod o+w owjson/station.json
mkdir -p mods/gw mods/ow
cp -L /usr/lib/softhsm/libsofthsm2.so mods/gw/libsofthsm2.so
chmod g+w mods/gw/libsofthsm2.so
station_variant gwmod "s|\"pkcs11_module\": \"[^\"]*\"|\"pkcs11_module\": \"$T/mods/gw/libsofthsm2.so\"|"
ln -s /usr/lib/softhsm/libsofthsm2.so mods/ow/libsofthsm2.so
chmod 777 mods/ow   # not sticky: anybody may repoint the link
station_variant owmoddir "s|\"pkcs11_module\": \"[^\"]*\"|\"pkcs11_module\": \"$T/mods/ow/libsofthsm2.so\"|"
station_variant gwpin 's/x/x/'
chmod g+w gwpin/so-pin
station_variant gwca 's/x/x/'
cp -r "$ST/ca" gwca/
chmod g+w gwca/ca
station_variant owledger 's/x/x/'
"$SK" status --station owledger >/dev/null 2>&1
chmod o+w owledger/ledger.sqlite
station_variant gwaudit 's/x/x/'
: > gwaudit/audit.log
chmod 660 gwaudit/audit.log
# Token URIs and readers (issue 13): a reader mapped by slot ID, a URI attribute a reader
# mapping cannot honour, a CA key URI with a PIN source.
station_variant readerslot 's/"station_id"/"readers": {"R 00": "pkcs11:slot-id=0"}, "station_id"/'
station_variant readerobj 's/"station_id"/"readers": {"R 00": "pkcs11:token=x;object=k"}, "station_id"/'
station_variant cakeypin 's|"passphrase": "file:ca-pass",|"passphrase": "file:ca-pass", "key_uri": "pkcs11:token=ca;object=k?pin-source=file:x",|'
# Special files and links: a FIFO where a file is read (opening it must not wait for a
# writer), secrets cut short, a ledger and an order's output directory reached through links.
station_variant fifost 's/x/x/'
rm fifost/station.json
mkfifo fifost/station.json "$O/fifo.json" fifo-pass
head -c 300 /dev/zero | tr '\0' a > long-pass
printf 'ca passphrase for tests\0 and what a NUL hid\n' > nul-pass
chmod 600 long-pass nul-pass
station_variant linkjson 's/x/x/'
mv linkjson/station.json linkjson.json
ln -s ../linkjson.json linkjson/station.json
station_variant linkledger 's/x/x/'
"$SK" status --station linkledger >/dev/null 2>&1
mv linkledger/ledger.sqlite linkledger.sqlite
ln -s ../linkledger.sqlite linkledger/ledger.sqlite
station_variant linkout 's/x/x/'
cp -r "$ST/ca" linkout/
"$SK" status --station linkout >/dev/null 2>&1
mkdir -p linkout/out linkout-elsewhere
ln -s ../../linkout-elsewhere linkout/out/JX2026-000101
# Issue 14 (docs/pki.md): a signing mode that is not one; a certificate that is no file.
station_variant badsigning 's/"root_crl_url"/"signing": "both", "root_crl_url"/'
printf 'not a certificate\n' > notcert.pem

# Scans and seal files.
scangen=$BUILD_DIR/tests/scangen
"$scangen" blank "$S/blank.jpg" --seed 1 >/dev/null
"$scangen" two "$S/two.jpg" --seed 2 >/dev/null
"$scangen" legal-rep "$S/square.jpg" --seed 3 >/dev/null
"$scangen" huge "$S/huge.png" >/dev/null
printf 'this is not a picture\n' > "$S/notimage.jpg"
head -c 1200000 /dev/urandom > "$S/big.jpg"
python3 "$SOURCE_DIR/tests/scangen/jpeg_scans.py" "$S/scans.jpg" --scans 5000
"$scangen" legal-rep "$S/whole.bmp" --seed 4 >/dev/null
head -c 20000 "$S/whole.bmp" > "$S/cut.bmp"
cp "$S/whole.bmp" "$S/jpeg-in.bmp"
printf '\x04' | dd of="$S/jpeg-in.bmp" bs=1 seek=30 conv=notrunc status=none # BI_JPEG
v4=$SOURCE_DIR/tests/data/eseal/ofdrw-UserV4.esl
cp "$v4" seals/v4.esl
head -c 1000 "$v4" > seals/truncated.esl
head -c 3000 /dev/urandom > seals/garbage.esl
cp "$v4" seals/tampered.esl
size=$(stat -c %s seals/tampered.esl)
printf '\x55' | dd of=seals/tampered.esl bs=1 seek=$((size - 10)) conv=notrunc status=none

# The system log's settings (station.json "log", docs/operations.md).
station_variant badfacility 's/"station_id"/"log": {"facility": "local9"}, "station_id"/'
station_variant badident 's/"station_id"/"log": {"ident": "seal key"}, "station_id"/'
station_variant relsocket 's/"station_id"/"log": {"socket": "dev\/log"}, "station_id"/'

# What "nothing was written" means: every file's size and time (lock files and valgrind logs aside), the
# ledger's content and the token store.
snapshot() {
    {
        find . -path ./valgrind -prune -o -type f ! -name '*.sqlite-wal' ! -name '*.sqlite-shm' ! -name '*.lock' \
            ! -path '*.claims/*' ! -name 'row.out' -printf '%p %s %T@\n' | sort
        sqlite3 "$ST/ledger.sqlite" .dump
    } | md5sum
}

# SEALKEY_BAD_INPUTS_SAMPLE=N (scripts/valgrind.sh): only every N-th row, starting at row
# SEALKEY_BAD_INPUTS_OFFSET (0..N-1): under memcheck each row costs a second or more.
sample=${SEALKEY_BAD_INPUTS_SAMPLE:-1}
offset=${SEALKEY_BAD_INPUTS_OFFSET:-0}
rows=0
while IFS=$'\t' read -r want pattern cmd; do
    case "$want" in ''|'#'*) continue ;; esac
    rows=$((rows + 1))
    [ $(((rows - 1) % sample)) -eq "$offset" ] || continue
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
