#!/bin/bash
# station.json: a typo, a value out of range or a secret written in clear stops sealkey
# before it issues anything, with the file and the field named.
source "$SOURCE_DIR/tests/lib.sh"
D=$SOURCE_DIR/tests/data/orders

mkdir -p "$T/b/scans"
for f in official legal-rep; do printf 'jpeg' > "$T/b/scans/JX2026-000101-$f.jpg"; done
cp "$D/one.json" "$T/b/o.json"
make_station "$T/st"
S=$T/st/station.json

# bad NAME SED-SCRIPT PATTERN: the example station.json edited by sed is refused with exit 3.
bad() {
    sed -e "$2" "$SOURCE_DIR/examples/station.json" > "$S"
    expect_status 3 "$1: status" -- "$SEALKEY" order check --station "$T/st" "$T/b/o.json"
    expect_output "^sealkey: $T/st/station\.json: $3" "$1: message"
}

cp "$SOURCE_DIR/examples/station.json" "$S"
expect_status 0 "example station" -- "$SEALKEY" order check --station "$T/st" "$T/b/o.json"

bad "unknown field" 's/"ledger":/"ledgr":/' 'ledgr: unknown field$'
bad "unknown nested field" 's/"validity_days": 365/"validity_dyas": 365/' \
    'projects\[0\]\.validity_dyas: unknown field$'
bad "pin digits range" 's/"user_pin_min_digits": 6/"user_pin_min_digits": 3/' \
    'pin_policy\.user_pin_min_digits: 3 is out of range 4\.\.16$'
bad "pin min above max" 's/"user_pin_min_digits": 6/"user_pin_min_digits": 9/' \
    'pin_policy: user_pin_min_digits 9 is above user_pin_max_digits 8$'
bad "seal size" 's/"official_seal_mm": 40/"official_seal_mm": 50/' \
    'projects\[0\]\.official_seal_mm: 50 is out of range 38\.\.45$'
bad "legal rep seal size" 's/"legal_rep_seal_mm": 18/"legal_rep_seal_mm": 17/' \
    'projects\[1\]\.legal_rep_seal_mm: 17 is out of range 18\.\.22$'
bad "validity" 's/"validity_days": 730/"validity_days": 0/' \
    'projects\[1\]\.validity_days: 0 is out of range 1\.\.3650$'
bad "wrong type" 's/"validity_days": 365/"validity_days": "365"/' \
    'projects\[0\]\.validity_days: is a string, expected an integer$'
bad "boolean" 's/"print_user_pin": false/"print_user_pin": "no"/' \
    'pin_policy\.print_user_pin: is a string, expected true or false$'
bad "secret in clear" 's/"so_pin": "file:so-pin"/"so_pin": "87654321"/' \
    'pin_policy\.so_pin: not a secret source; use env:NAME, file:PATH, fd:N or prompt$'
expect_no_output '87654321' "a secret in clear is not echoed"
bad "empty secret source" 's/"passphrase": "file:ca-pass"/"passphrase": "env:"/' \
    'ca\.passphrase: .env:. names nothing after the colon$'
bad "missing so_pin" '/"so_pin"/d' 'pin_policy\.so_pin: missing$'
bad "duplicate project" 's/"ZFCG"/"GCJS"/' "projects\[1\]\.code: 'GCJS' is also the code of projects\[0\]$"
bad "url scheme" 's|"http://crl.demo-ca.example/issuing.crl"|"ftp://crl.demo-ca.example/x.crl"|' \
    "projects\[0\]\.crl_url: 'ftp://crl\.demo-ca\.example/x\.crl' is not an http:// or https:// URL$"
bad "root crl url" 's|"http://crl.demo-ca.example/root.crl"|"crl.demo-ca.example/root.crl"|' \
    "ca\.root_crl_url: 'crl\.demo-ca\.example/root\.crl' is not an http:// or https:// URL$"
bad "key algorithm" 's/"rsa-2048"/"rsa-1024"/' \
    "projects\[1\]\.key_algorithm: key algorithm 'rsa-1024' is not one of"
bad "ca key uri" 's|"passphrase": "file:ca-pass"|&, "key_uri": "token=CA"|' \
    "ca\.key_uri: 'token=CA' is not a pkcs11: URI"
bad "project code" 's/"ZFCG"/"zf cg"/' "projects\[1\]\.code: 'zf cg' is not 1-16 characters"
bad "malformed" '2s/,$//' 'line 3 column [0-9]+: '
bad "duplicate key" '3s/^/  "ledger": "x",/' 'line 4 column 10: duplicate object key near ."ledger".'

# Minimal configs: defaults fill in, but a station needs projects and an SO PIN source.
printf '{"station_id": "T1", "pin_policy": {"so_pin": "prompt"}, "projects": [{"code": "GCJS"}]}' > "$S"
expect_status 0 "minimal station" -- "$SEALKEY" order check --station "$T/st" "$T/b/o.json"
printf '{"station_id": "T1", "pin_policy": {"so_pin": "prompt"}, "projects": []}' > "$S"
expect_status 3 "no projects" -- "$SEALKEY" order check --station "$T/st" "$T/b/o.json"
expect_output 'station\.json: projects: is empty' "no projects: message"
printf '{"station_id": "T1", "projects": [{"code": "GCJS"}]}' > "$S"
expect_status 3 "no pin policy" -- "$SEALKEY" order check --station "$T/st" "$T/b/o.json"
expect_output 'station\.json: pin_policy: missing' "no pin policy: message"
printf '[]' > "$S"
expect_status 3 "not an object" -- "$SEALKEY" order check --station "$T/st" "$T/b/o.json"
expect_output 'station\.json: top level is an array, expected an object' "not an object: message"
rm "$S"
expect_status 3 "no station.json" -- "$SEALKEY" order check --station "$T/st" "$T/b/o.json"
expect_output "$T/st/station\.json: cannot open" "no station.json: message"
head -c 1100000 /dev/zero | tr '\0' ' ' > "$S"
expect_status 3 "over 1 MB" -- "$SEALKEY" order check --station "$T/st" "$T/b/o.json"
expect_output 'station\.json: file is 1100000 bytes, the limit is 1048576' "over 1 MB: message"

finish
