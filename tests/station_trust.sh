#!/usr/bin/env bash
# Who may change a station (docs/station.md, "Ownership and modes"). The refusals that write
# nothing are rows of tests/bad_inputs.tsv; here: a station made the usual way passes with no
# warning through issuance, a secret file others can read is warned about, files owned by
# another user are refused (as root only: nobody else can make one), and the links an issued
# order's outputs must not be reached through.
source "$SOURCE_DIR/tests/lib.sh"
umask 022
st=$T/st
E=$SOURCE_DIR/examples/orders.json
first=JX2026-000101
make_station "$st"

# The usual station, every command of an issuance: no refusal, no warning.
expect_status 0 "ca init" -- "$SEALKEY" ca init --station "$st"
expect_no_output "warning" "ca init warns about nothing"
expect_status 0 "issue" -- "$SEALKEY" issue --station "$st" --orders "$E" --order "$first"
expect_no_output "warning" "issue warns about nothing"
expect_status 0 "crl" -- "$SEALKEY" crl --station "$st"
expect_status 0 "status" -- "$SEALKEY" status --station "$st"
expect_status 0 "audit verify" -- "$SEALKEY" audit verify --station "$st"

# A secret file others may read: used, with a warning naming it, its mode and the fix.
chmod 644 "$st/ca-pass"
expect_status 0 "CA passphrase file 0644" -- "$SEALKEY" crl --station "$st"
expect_output "warning: CA passphrase file .*ca-pass is readable by group or others \(mode 0644\); run chmod go-rwx" \
    "0644 secret file warned about"
chmod 640 "$st/ca-pass"
expect_status 0 "CA passphrase file 0640" -- "$SEALKEY" crl --station "$st"
expect_output "ca-pass is readable by group or others \(mode 0640\)" "0640 secret file warned about"
chmod 600 "$st/ca-pass"
cp "$st/ca-pass" "$T/pass-override"
chmod 604 "$T/pass-override"
expect_status 0 "--ca-pass file 0604" -- "$SEALKEY" crl --station "$st" --ca-pass "file:$T/pass-override"
expect_output "pass-override is readable by group or others" "an override's file warned about too"
chmod 620 "$T/pass-override"
expect_status 3 "--ca-pass file 0620" -- "$SEALKEY" crl --station "$st" --ca-pass "file:$T/pass-override"
expect_output "pass-override is writable by group .*chmod go-w" "a group-writable override refused"

# A ledger in a directory reached through a link is the operator's layout, not refused; only
# the ledger file itself must not be a link.
mkdir "$T/ledgers"
ln -s "$T/ledgers" "$T/ledgers-link"
sed "s|\"ledger\": \"ledger.sqlite\"|\"ledger\": \"$T/ledgers-link/other.sqlite\"|" "$st/station.json" > "$T/station.json"
mkdir "$T/st2" && cp "$T/station.json" "$st/so-pin" "$st/ca-pass" "$T/st2/"
expect_status 0 "ledger under a linked directory" -- "$SEALKEY" status --station "$T/st2"
check "the ledger was made in the linked directory" test -f "$T/ledgers/other.sqlite"

# An issued order's directory replaced by a link: seal make refuses to write through it.
mv "$st/out/$first" "$T/moved-out"
ln -s "$T/moved-out" "$st/out/$first"
expect_status 3 "seal make into a linked out/ORDER" -- \
    "$SEALKEY" seal make --station "$st" --orders "$E" --order "$first" --kind official
expect_output "out/$first: is a symbolic link" "the link named"
ls "$T/moved-out" > "$T/listing"
check "nothing written through the link" test "$(grep -c '^official-' "$T/listing")" -eq 0
rm "$st/out/$first" && mv "$T/moved-out" "$st/out/$first"

# Owned by another user: only root can give a file away, so only root can test it.
if [ "$(id -u)" -eq 0 ]; then
    chown nobody "$st/station.json"
    expect_status 3 "station.json owned by nobody" -- "$SEALKEY" status --station "$st"
    expect_output "station config .*station.json is owned by nobody \(uid [0-9]+\), not by root.*mode 0644.*chown" \
        "foreign station.json named with owner and mode"
    chown root "$st/station.json"
    chown nobody "$st"
    expect_status 3 "station directory owned by nobody" -- "$SEALKEY" status --station "$st"
    expect_output "station directory .* is owned by nobody" "foreign station directory named"
    chown root "$st"
    chown nobody "$st/so-pin"
    expect_status 3 "SO PIN file owned by nobody" -- "$SEALKEY" status --station "$st"
    expect_output "so_pin file .*so-pin is owned by nobody" "foreign secret file named"
    chown root "$st/so-pin"
    mkdir "$T/mods" && cp -L /usr/lib/softhsm/libsofthsm2.so "$T/mods/" && chown nobody "$T/mods"
    sed -i "s|\"pkcs11_module\": \"[^\"]*\"|\"pkcs11_module\": \"$T/mods/libsofthsm2.so\"|" "$st/station.json"
    expect_status 3 "module's directory owned by nobody" -- "$SEALKEY" status --station "$st"
    expect_output "pkcs11_module .*: directory .*/mods above it is owned by nobody" "foreign module directory named"
    chown root "$T/mods"
    expect_status 0 "the module copy owned by root" -- "$SEALKEY" status --station "$st"
else
    echo "not root: the checks of files owned by another user are left out"
fi
finish
